"""Push channels: the sender each one gives the outbound queue, and its start and stop.

Each channel registers itself in build_channels when its settings are set; a channel whose
settings are unset is off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from api.settings import Settings
from bot.channels.twilio_whatsapp import TwilioSender
from bot.outbound import ChannelSender
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
                   http: httpx.AsyncClient) -> Channels:
    channels = Channels()
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and \
            settings.TWILIO_WHATSAPP_FROM:
        channels.senders["whatsapp"] = TwilioSender(
            http, settings.TWILIO_API_BASE_URL, settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN, settings.TWILIO_WHATSAPP_FROM)
    # telegram: registered below by bot.channels.telegram
    # whatsapp_cloud: registered below by bot.channels.whatsapp_cloud
    return channels
