"""Logs and metrics: JSON log lines with a request id, no secrets or full phone numbers in
them, and Prometheus counters for messages, latency, queue depth and errors."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")

MESSAGES = Counter("dms_messages_total", "Chat messages handled", ["channel", "intent"])
HANDLING = Histogram("dms_message_seconds", "Time to handle one chat message", ["channel"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("dms_errors_total", "Failures by kind", ["kind"])
QUEUE_DEPTH = Gauge("dms_queue_depth", "Messages waiting to be sent", ["queue"],
                    multiprocess_mode="max")
RATE_LIMITED = Counter("dms_rate_limited_total", "Messages refused by the rate limit",
                       ["channel"])

# E.164 numbers run from 8 to 15 digits (parties are imported with as few as 8)
PHONE = re.compile(r"(?<![\w])\+?\d[\d -]{6,}\d(?![\w])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
URL_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Every configured secret is masked wherever it would appear in a log line."""
    if value and len(value) >= 6:
        _secrets.add(value)


def mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) < 8 or ISO_DATE.fullmatch(match.group(0).strip()):
        return match.group(0)
    return ("+" if match.group(0).startswith("+") else "") + "*" * (len(digits) - 4) + digits[-4:]


def mask(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "***")
    text = BEARER.sub(r"\1***", text)
    text = URL_TOKEN.sub(r"\1***", text)
    return PHONE.sub(mask_phone, text)


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = mask(str(record.msg))
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, mask(value))
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter())
    formatter: logging.Formatter
    if json_lines:
        formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                  rename_fields={"levelname": "level", "asctime": "time"})
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] "
                                      "%(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our middleware logs each request once, with its request id; uvicorn's line would repeat it.
    logging.getLogger("uvicorn.access").disabled = True


def log_fields(**fields: Any) -> dict[str, Any]:
    """`extra=` for a structured log line; values are masked by the filter."""
    return {k: v for k, v in fields.items() if v is not None}
