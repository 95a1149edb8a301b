"""Settings that could only fail later, or quietly (a negative TTL, a relay interval of NaN, a
URL no driver can parse), are refused at start, naming the setting."""

from __future__ import annotations

import pytest

from api.settings import Settings


@pytest.mark.parametrize(("name", "value"), [
    ("CONVERSATION_TTL_SECONDS", -5),
    ("DEDUP_TTL_SECONDS", 0),
    ("SENDER_LOCK_LEASE_SECONDS", 0),
    ("OUTBOX_RELAY_INTERVAL_SECONDS", -2),
    ("OUTBOX_RELAY_INTERVAL_SECONDS", float("nan")),
    ("TELEGRAM_CHAT_INTERVAL_SECONDS", -1),
    ("STOCK_ALERT_COVER_DAYS", 0),
    ("RATE_LIMIT_PER_MINUTE", -1),
    ("DATABASE_URL", "garbage"),
    ("DATABASE_URL", "postgresql://u:p@host:notaport/db"),
    ("REDIS_URL", "not-a-url"),
])
def test_a_setting_that_would_break_later_is_refused_at_start(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        Settings(**{name: value})  # type: ignore[arg-type]


def test_zero_still_turns_the_relay_and_the_rate_limit_off() -> None:
    settings = Settings(OUTBOX_RELAY_INTERVAL_SECONDS=0, RATE_LIMIT_PER_MINUTE=0)
    assert settings.OUTBOX_RELAY_INTERVAL_SECONDS == 0 and settings.RATE_LIMIT_PER_MINUTE == 0
