"""Push channels: the sender each one gives the outbound queue, and its start and stop.

Each channel registers itself in build_channels when its settings are set; a channel whose
settings are unset is off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from redis import Redis

from api.settings import Settings
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.twilio_whatsapp import TwilioSender
from bot.channels.whatsapp_cloud import CloudSender, Template, service_window
from bot.outbound import ChannelSender
from bot.send_progress import send_progress
from domain.services.unit_of_work import UnitOfWorkFactory

Hook = Callable[[], Awaitable[None]]


@dataclass
class Channels:
    senders: dict[str, ChannelSender] = field(default_factory=dict)
    startups: list[Hook] = field(default_factory=list)
    shutdowns: list[Hook] = field(default_factory=list)
    # Channel objects the routes need (e.g. the Telegram Application), by channel name.
    handles: dict[str, object] = field(default_factory=dict)


def build_channels(settings: Settings, uow_factory: UnitOfWorkFactory,
                   http: httpx.AsyncClient, redis: Redis | None = None) -> Channels:
    channels = Channels()
    # How far each multi-piece send got, shared by the workers: a retry repeats no piece.
    progress = send_progress(redis)
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and \
            settings.TWILIO_WHATSAPP_FROM:
        channels.senders["whatsapp"] = TwilioSender(
            http, settings.TWILIO_API_BASE_URL, settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN, settings.TWILIO_WHATSAPP_FROM, progress)
    if settings.TELEGRAM_BOT_TOKEN:
        telegram = TelegramChannel(
            build_application(settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_BASE_URL),
            uow_factory, settings.TELEGRAM_CHAT_INTERVAL_SECONDS, progress)
        channels.handles["telegram"] = telegram
        channels.senders["telegram"] = telegram.sender
        channels.startups.append(telegram.start)
        channels.shutdowns.append(telegram.stop)
    if settings.WHATSAPP_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID:
        # The webhook records each customer's last message here; the sender reads it.
        window = service_window(redis)
        channels.handles["whatsapp_cloud"] = window
        channels.senders["whatsapp_cloud"] = CloudSender(
            http, base_url=settings.GRAPH_API_BASE_URL, version=settings.GRAPH_API_VERSION,
            phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID, token=settings.WHATSAPP_TOKEN,
            window=window, template=Template(settings.WHATSAPP_TEMPLATE_NAME,
                                             settings.WHATSAPP_TEMPLATE_LANGUAGE),
            progress=progress)
    return channels
