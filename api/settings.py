"""The one settings object, read from the environment (spec/runtime.md) and checked at start."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.connection import parse_url as parse_redis_url
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


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
    TELEGRAM_CHAT_INTERVAL_SECONDS: float = Field(default=1.0, ge=0, le=60,
                                                  allow_inf_nan=False)  # spacing into one chat

    # How often each app process moves committed notices to the queue; 0 turns the background
    # relay off (tests relay by hand).
    OUTBOX_RELAY_INTERVAL_SECONDS: float = Field(default=2.0, ge=0, le=3600, allow_inf_nan=False)
    STOCK_ALERT_COVER_DAYS: float = Field(default=7.0, gt=0, le=365, allow_inf_nan=False)
    REPLENISH_COVER_DAYS: int = Field(default=14, ge=1, le=365)

    NLU_BACKEND: str = "builtin"
    RASA_URL: str | None = None

    # The web chat lets anyone speak as any party: on in development, off elsewhere by default.
    WEB_CHAT_ENABLED: bool | None = None
    CONVERSATION_TTL_SECONDS: int = Field(default=24 * 3600, ge=60)
    DEDUP_TTL_SECONDS: int = Field(default=7 * 24 * 3600, ge=60)
    RATE_LIMIT_PER_MINUTE: int = Field(default=30, ge=0)  # per sender; 0 turns it off
    LOG_FORMAT: str | None = None  # json or text; default json outside development
    SENDER_LOCK_WAIT_SECONDS: float = Field(default=10.0, ge=0, le=600, allow_inf_nan=False)
    SENDER_LOCK_LEASE_SECONDS: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    INBOX_THREADS: int = Field(default=4, ge=1, le=64)  # chat messages handled at once per process

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.ENVIRONMENT != "development" and self.ADMIN_API_TOKEN is not None and len(
            self.ADMIN_API_TOKEN
        ) < 24:
            raise ValueError("ADMIN_API_TOKEN must be at least 24 characters outside development")
        _check_url("DATABASE_URL", self.DATABASE_URL, database=True)
        if self.REDIS_URL is not None:
            _check_url("REDIS_URL", self.REDIS_URL, database=False)
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


def _check_url(name: str, url: str, database: bool) -> None:
    """A URL that cannot be parsed fails here, at start, naming the setting, not later in a
    traceback from the driver."""
    try:
        if database:
            make_url(url)
        else:
            parse_redis_url(url)  # type: ignore[no-untyped-call]
    except (ValueError, ArgumentError) as exc:
        raise ValueError(f"{name} is not a usable URL: {exc}") from None
