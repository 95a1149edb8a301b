"""The one settings object, read from the environment (spec/runtime.md) and checked at start."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # Empty strings (docker-compose's ${VAR:-}) count as unset.
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    ENVIRONMENT: str = "development"
    DATABASE_URL: str = "sqlite:///./dms.db"
    REDIS_URL: str | None = None
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"
    ADMIN_API_TOKEN: str | None = None

    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_WHATSAPP_FROM: str | None = None
    TWILIO_API_BASE_URL: str = "https://api.twilio.com"

    WHATSAPP_VERIFY_TOKEN: str | None = None
    WHATSAPP_APP_SECRET: str | None = None
    WHATSAPP_TOKEN: str | None = None
    WHATSAPP_PHONE_NUMBER_ID: str | None = None
    GRAPH_API_BASE_URL: str = "https://graph.facebook.com"
    GRAPH_API_VERSION: str = "v21.0"
    # Sent instead of free text when the 24-hour customer-service window has closed.
    WHATSAPP_TEMPLATE_NAME: str = "dms_update"
    WHATSAPP_TEMPLATE_LANGUAGE: str = "en"

    TELEGRAM_BOT_TOKEN: str | None = None
    TELEGRAM_WEBHOOK_SECRET: str | None = None
    TELEGRAM_API_BASE_URL: str = "https://api.telegram.org"
    TELEGRAM_CHAT_INTERVAL_SECONDS: float = 1.0  # spacing of sends into one chat

    # How often each app process moves committed notices to the queue; 0 turns the background
    # relay off (tests relay by hand).
    OUTBOX_RELAY_INTERVAL_SECONDS: float = 2.0
    STOCK_ALERT_COVER_DAYS: float = 7.0
    REPLENISH_COVER_DAYS: int = 14

    NLU_BACKEND: str = "builtin"
    RASA_URL: str | None = None

    # The web chat lets anyone speak as any party: on in development, off elsewhere by default.
    WEB_CHAT_ENABLED: bool | None = None
    CONVERSATION_TTL_SECONDS: int = 24 * 3600
    DEDUP_TTL_SECONDS: int = 7 * 24 * 3600
    RATE_LIMIT_PER_MINUTE: int = 30  # per sender; 0 turns the limit off
    LOG_FORMAT: str | None = None  # json or text; default json outside development
    SENDER_LOCK_WAIT_SECONDS: float = 10.0
    SENDER_LOCK_LEASE_SECONDS: float = 30.0
    INBOX_THREADS: int = Field(default=4, ge=1, le=64)  # chat messages handled at once per process

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.ENVIRONMENT != "development" and self.ADMIN_API_TOKEN is not None and len(
            self.ADMIN_API_TOKEN
        ) < 24:
            raise ValueError("ADMIN_API_TOKEN must be at least 24 characters outside development")
        if self.NLU_BACKEND not in ("builtin", "rasa"):
            raise ValueError("NLU_BACKEND must be 'builtin' or 'rasa'")
        if self.NLU_BACKEND == "rasa" and not self.RASA_URL:
            raise ValueError("NLU_BACKEND=rasa needs RASA_URL")
        return self

    @cached_property
    def web_chat_enabled(self) -> bool:
        if self.WEB_CHAT_ENABLED is not None:
            return self.WEB_CHAT_ENABLED
        return self.ENVIRONMENT == "development"

    @property
    def log_json(self) -> bool:
        if self.LOG_FORMAT is not None:
            return self.LOG_FORMAT == "json"
        return self.ENVIRONMENT != "development"

    def secrets(self) -> list[str | None]:
        """Values that must never reach a log line."""
        return [self.ADMIN_API_TOKEN, self.TWILIO_AUTH_TOKEN, self.WHATSAPP_APP_SECRET,
                self.WHATSAPP_TOKEN, self.WHATSAPP_VERIFY_TOKEN, self.TELEGRAM_BOT_TOKEN,
                self.TELEGRAM_WEBHOOK_SECRET]

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.TWILIO_AUTH_TOKEN)
