"""SQLModel tables. Money is NUMERIC, never float; JSON columns hold small lists and schemes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from domain.model import field_limits as limits

# The sizes live in the domain, which checks every value against them before writing.
MONEY = Numeric(limits.MONEY.digits, limits.MONEY.places)
QTY = Numeric(limits.QUANTITY.digits, limits.QUANTITY.places)


class ProductRow(SQLModel, table=True):
    __tablename__ = "product"

    sku: str = Field(primary_key=True, max_length=limits.ID_LENGTH)
    name: str = Field(max_length=limits.PRODUCT_NAME_LENGTH)
    brand: str = Field(max_length=limits.BRAND_LENGTH, index=True)
    category: str = Field(max_length=limits.CATEGORY_LENGTH)
    base_unit: str = Field(max_length=limits.UNIT_LENGTH)
    pack_units: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    default_unit: str = Field(max_length=limits.UNIT_LENGTH)
    price: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    mrp: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True


class PartyRow(SQLModel, table=True):
    __tablename__ = "party"

    id: str = Field(primary_key=True, max_length=limits.ID_LENGTH)
    role: str = Field(max_length=limits.ROLE_LENGTH, index=True)
    name: str = Field(max_length=limits.PARTY_NAME_LENGTH)
    phone: str = Field(max_length=limits.PHONE_LENGTH, unique=True, index=True)
    telegram_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    distributor_id: str | None = Field(default=None, max_length=limits.ID_LENGTH, index=True)
    routes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    region: str | None = Field(default=None, max_length=limits.REGION_LENGTH)
    lat: float | None = None
    lon: float | None = None
    outlet_class: str | None = Field(default=None, max_length=1)
    channel: str | None = Field(default=None, max_length=limits.CHANNEL_LENGTH)
    credit_limit: Decimal | None = Field(default=None, sa_column=Column(MONEY, nullable=True))
    active: bool = True


class SchemeRow(SQLModel, table=True):
    __tablename__ = "scheme"

    id: str = Field(primary_key=True, max_length=limits.ID_LENGTH)
    name: str = Field(max_length=limits.SCHEME_NAME_LENGTH)
    active: bool = True
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OrderRow(SQLModel, table=True):
    __tablename__ = "sales_order"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=20, unique=True)
    party_id: str = Field(max_length=64, index=True)
    distributor_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(max_length=20, index=True)
    channel: str = Field(max_length=20)
    draft_id: str | None = Field(default=None, max_length=64, unique=True)
    # secondary: retailer -> distributor; primary: distributor -> brand
    kind: str = Field(default="secondary", max_length=20, index=True)
    status_note: str | None = Field(default=None, max_length=limits.STATUS_NOTE_LENGTH)
    updated_at: datetime | None = None
    gross: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    discount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    net: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    created_at: datetime = Field(index=True)
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class OrderLineRow(SQLModel, table=True):
    __tablename__ = "sales_order_line"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    position: int
    sku: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    qty: Decimal = Field(sa_column=Column(QTY, nullable=False))
    unit: str = Field(max_length=30)
    qty_base: int
    unit_price: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    gross: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    discount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    net: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    free: bool = False
    schemes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    savings: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class InboundMessageRow(SQLModel, table=True):
    """One row per handled channel message: the unique key makes a retried webhook a no-op."""

    __tablename__ = "inbound_message"

    key: str = Field(primary_key=True, max_length=200)
    party_id: str | None = Field(default=None, max_length=64)
    received_at: datetime
    reply: str


class MetaRow(SQLModel, table=True):
    __tablename__ = "app_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    revoked_at: datetime | None = None


class LedgerEntryRow(SQLModel, table=True):
    """One line of a party's account. Never edited: a mistake is reversed by another row."""

    __tablename__ = "ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    party_id: str = Field(max_length=limits.ID_LENGTH, index=True)
    kind: str = Field(max_length=20)
    ref: str = Field(max_length=limits.ID_LENGTH)
    debit: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    credit: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    entry_date: date = Field(index=True)
    created_at: datetime
    # The id the caller generated: a retried POST finds the first entry instead of a second.
    client_id: str | None = Field(default=None, max_length=limits.CLIENT_ID_LENGTH, unique=True)
    reverses_id: int | None = Field(default=None, unique=True)
    order_id: int | None = Field(default=None, index=True)
    narration: str = Field(default="", max_length=limits.NARRATION_LENGTH)


class StockLevelRow(SQLModel, table=True):
    __tablename__ = "stock_level"

    distributor_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    qty_base: int = 0  # on hand
    reserved_base: int = 0  # promised to accepted orders, not yet dispatched
    last_moved_at: datetime | None = None


class StockMoveRow(SQLModel, table=True):
    __tablename__ = "stock_move"

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: str = Field(max_length=64, index=True)
    sku: str = Field(max_length=64, index=True)
    qty_base: int  # signed: + in, - out
    reason: str = Field(max_length=30)
    ref: str = Field(max_length=64)
    created_at: datetime = Field(index=True)


class AlertStateRow(SQLModel, table=True):
    """An alert condition that has been announced; removed when the condition clears."""

    __tablename__ = "alert_state"

    key: str = Field(primary_key=True, max_length=200)
    party_id: str = Field(max_length=64, index=True)
    raised_at: datetime


class DeadLetterRow(SQLModel, table=True):
    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    channel: str = Field(max_length=30)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str = Field(max_length=500)
    created_at: datetime


class OutboxRow(SQLModel, table=True):
    """Notices committed with the change that caused them; a relay hands them to the queue."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    party_id: str = Field(max_length=64, index=True)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    relayed_at: datetime | None = Field(default=None, index=True)
    # A relay that has taken the row to enqueue it; others leave it alone until then.
    claimed_until: datetime | None = None


class LearnedAliasRow(SQLModel, table=True):
    """A phrase a sender taught by picking a product; sender_id NULL: the phrase serves all."""

    __tablename__ = "learned_alias"
    __table_args__ = (
        UniqueConstraint("phrase", "sender_id"),
        # NULLs are distinct in a unique constraint: this keeps one global row per phrase.
        Index("ux_learned_alias_global_phrase", "phrase", unique=True,
              sqlite_where=text("sender_id IS NULL"),
              postgresql_where=text("sender_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(max_length=200, index=True)
    sku: str = Field(max_length=64)
    sender_id: str | None = Field(default=None, max_length=64)
    count: int = 1  # per sender: times taught; global: senders who agree
    updated_at: datetime = Field(index=True)
