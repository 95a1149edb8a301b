"""`dms telegram set-webhook`: our public URL, the secret and the two update kinds we read."""

from __future__ import annotations

import pytest
import respx

from api.settings import Settings
from api.telegram_cli import set_webhook
from tests.fake_telegram_api import API, TOKEN, FakeBotApi

SECRET = "tg-webhook-secret_0123456789"


def settings(**changes: object) -> Settings:
    base = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": API, "PUBLIC_BASE_URL": "https://dms.example.test/"}
    return Settings.model_validate({**base, **changes})


def test_the_webhook_is_registered_with_its_secret(capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeBotApi()
    with respx.mock(assert_all_called=False) as router:
        api.install(router)
        assert set_webhook(settings()) == 0
    [call] = api.of("setWebhook")
    assert call["url"] == "https://dms.example.test/webhooks/telegram"
    assert call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]
    assert "ok" in capsys.readouterr().out


def test_telegram_saying_no_is_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeBotApi()
    api.fail_next("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided")
    with respx.mock(assert_all_called=False) as router:
        api.install(router)
        assert set_webhook(settings()) == 1
    assert "BadRequest" in capsys.readouterr().err


@pytest.mark.parametrize("secret", [None, "has spaces in it", "x" * 257])
def test_no_webhook_without_a_usable_secret(secret: str | None) -> None:
    with respx.mock() as router:  # nothing may be called
        assert set_webhook(settings(TELEGRAM_WEBHOOK_SECRET=secret)) == 2
        assert not router.calls


def test_no_webhook_without_a_token() -> None:
    assert set_webhook(settings(TELEGRAM_BOT_TOKEN=None)) == 2
