"""Order buttons as words anyone can type: "accept 12", "reject 12 out of stock",
"dispatched 12".

WhatsApp over Twilio shows no buttons. Numbered choices work for a reply, whose choices the
conversation remembers, but not for a notice (a new order, sent on its own) nor for several
order cards at once, whose numbers would clash. So order buttons are offered as commands, which
name their order and need no memory, and the dialogue reads them back as the button's payload.
"""

from __future__ import annotations

import re

# payload action -> the word shown; each word (and the action itself) is read back
SHOWN = {"accept": "ACCEPT", "reject": "REJECT", "dispatch": "DISPATCHED"}
TYPED = re.compile(
    r"^(?P<verb>accept|reject|dispatch|dispatched)\s+(?:#|ord-?)?0*(?P<id>\d{1,10})"
    r"(?:\s*[:,.-]?\s+(?P<reason>\S.*))?$", re.IGNORECASE)


def typed(payload: str) -> str | None:
    """The command that does what the button with this payload does, or None if it has none."""
    parts = payload.split(":", 3)
    if len(parts) < 3 or parts[0] != "ord" or parts[1] not in SHOWN or not parts[2].isdecimal():
        return None
    command = f"{SHOWN[parts[1]]} {int(parts[2])}"
    if len(parts) == 4 and parts[1] == "reject":
        command += f" {parts[3]}"
    return command


def payload_of(text: str) -> str | None:
    """The button payload a typed command stands for, or None if the text is not one."""
    m = TYPED.match(" ".join(text.split()))
    if m is None:
        return None
    action = "dispatch" if m["verb"].lower().startswith("dispatch") else m["verb"].lower()
    if m["reason"] and action != "reject":
        return None  # "accept 12 cases of maggi" is an order, not a command
    payload = f"ord:{action}:{int(m['id'])}"
    return f"{payload}:{m['reason']}" if m["reason"] else payload
