const log = document.getElementById("log");
const party = document.getElementById("party");

function bubble(text, who) {
  const div = document.createElement("div");
  div.className = "msg " + who;
  // *bold* as WhatsApp shows it; text nodes only, so nothing in a message becomes markup.
  text.split(/(\*[^*\n]+\*)/).forEach(part => {
    if (part.length > 2 && part.startsWith("*") && part.endsWith("*")) {
      const b = document.createElement("b");
      b.textContent = part.slice(1, -1);
      div.appendChild(b);
    } else {
      div.appendChild(document.createTextNode(part));
    }
  });
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

function showReplies(replies) {
  for (const r of replies) {
    const div = bubble(r.text, "bot");
    if (r.document) {
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([r.document.content], {type: r.document.mime_type}));
      link.download = r.document.filename;
      link.textContent = "📎 " + r.document.filename;
      link.style.display = "block";
      div.appendChild(link);
    }
    if (r.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const b of r.buttons) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.onclick = () => {
          row.querySelectorAll("button").forEach(x => x.disabled = true);
          send(b.title, b.payload);
        };
        row.appendChild(btn);
      }
      div.appendChild(row);
    }
  }
}

async function send(text, payload) {
  bubble(text, "me");
  const res = await fetch("chat/messages", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({party_id: party.value, text: text, payload: payload || null,
                          message_id: crypto.randomUUID()}),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    bubble("(" + res.status + ") " + (body.detail || "the server could not answer"), "bot");
    return;
  }
  showReplies((await res.json()).replies);
}

document.getElementById("send").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("text");
  if (!party.value) return;
  send(input.value);
  input.value = "";
};

party.onchange = () => { log.innerHTML = ""; bubble("You are now " + party.selectedOptions[0].text + ". Say hi!", "bot"); };

// Notices (a new order for a distributor, a dispatch for a shop) arrive without asking.
async function pollNotices() {
  if (party.value) {
    const res = await fetch("chat/notices?party_id=" + encodeURIComponent(party.value));
    if (res.ok) showReplies((await res.json()).replies);
  }
}
setInterval(pollNotices, 3000);

fetch("chat/parties").then(r => r.json()).then(body => {
  for (const p of body.data) {
    const opt = document.createElement("option");
    opt.value = p.id;
    opt.textContent = p.name + " (" + p.role + ", " + p.id + ")";
    party.appendChild(opt);
  }
  party.onchange();
});
