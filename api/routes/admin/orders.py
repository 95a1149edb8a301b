"""Orders in the console: list with filters, and one order in full."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from api.bootstrap import Services
from api.deps import ManagerDep, ReaderDep, ServicesDep
from api.stored_values import StoredText
from domain.commands import AcceptOrder, DispatchOrder, RejectOrder
from domain.model.catalog import Product
from domain.model.field_limits import NARRATION_LENGTH
from domain.model.order import Order, OrderStatus
from domain.services.fulfilment import StepResult, accept_order, dispatch_order, reject_order
from domain.services.stock_alerts import run_stock_alerts

router = APIRouter(prefix="/api/orders", tags=["orders"])

# Ids are 32-bit INTEGER on PostgreSQL, which answers a larger one with an error, not None.
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class OrderLinePublic(BaseModel):
    sku: str
    name: str
    qty: Decimal
    unit: str
    qty_base: int
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    net: Decimal
    free: bool
    schemes: list[str]
    reasons: list[str]


class OrderTotals(BaseModel):
    gross: Decimal
    discount: Decimal
    net: Decimal


class OrderPublic(BaseModel):
    id: int
    number: str
    party_id: str
    distributor_id: str | None
    status: OrderStatus
    status_note: str | None
    kind: str
    channel: str
    lines: list[OrderLinePublic]
    totals: OrderTotals
    created_at: datetime


class OrdersPublic(BaseModel):
    data: list[OrderPublic]
    count: int


def to_public(order: Order) -> OrderPublic:
    assert order.id is not None and order.number is not None
    return OrderPublic(
        id=order.id, number=order.number, party_id=order.party_id,
        distributor_id=order.distributor_id, status=order.status, channel=order.channel,
        status_note=order.status_note, kind=order.kind,
        created_at=order.created_at,
        totals=OrderTotals(gross=order.gross, discount=order.discount, net=order.net),
        lines=[
            OrderLinePublic(
                sku=ln.sku, name=ln.name, qty=ln.qty, unit=ln.unit, qty_base=ln.qty_base,
                unit_price=ln.unit_price, gross=ln.gross, discount=ln.discount, net=ln.net,
                free=ln.free, schemes=list(ln.schemes), reasons=list(ln.reasons),
            )
            for ln in order.lines
        ],
    )


@router.get("", operation_id="list_orders")
def list_orders(
    services: ServicesDep,
    _: ReaderDep,
    party_id: Annotated[str | None, Query(max_length=64)] = None,
    # runtime.md writes the filters out empty (?party_id=&status=): empty is no filter.
    status_: Annotated[OrderStatus | Literal[""] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> OrdersPublic:
    with services.uow() as uow:
        orders, count = uow.orders.list(party_id=party_id or None, status=status_ or None,
                                        limit=limit, offset=offset)
    return OrdersPublic(data=[to_public(o) for o in orders], count=count)


@router.get("/{order_id}", operation_id="get_order")
def get_order(order_id: OrderId, services: ServicesDep, _: ReaderDep) -> OrderPublic:
    with services.uow() as uow:
        order = uow.orders.get(order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order {order_id}")
    return to_public(order)


class RejectBody(BaseModel):
    reason: StoredText = Field(min_length=3, max_length=NARRATION_LENGTH)


class StepPublic(BaseModel):
    order: OrderPublic
    changed: bool
    shortages: list[str]


def _step(result: StepResult) -> StepPublic:
    if result.short:
        raise HTTPException(status.HTTP_409_CONFLICT, {
            "detail": "stock is short", "shortages": [str(s) for s in result.shortages]})
    return StepPublic(order=to_public(result.order), changed=result.changed, shortages=[])


def _catalog(services: Services) -> dict[str, Product]:
    with services.uow() as uow:
        return services.catalog.current(uow).products


@router.post("/{order_id}/accept", operation_id="accept_order")
def accept(order_id: OrderId, services: ServicesDep, _: ManagerDep) -> StepPublic:
    return _step(accept_order(AcceptOrder(order_id, None, datetime.now(UTC)), services.uow(),
                              _catalog(services)))


@router.post("/{order_id}/reject", operation_id="reject_order")
def reject(order_id: OrderId, body: RejectBody, services: ServicesDep, _: ManagerDep) -> StepPublic:
    return _step(reject_order(RejectOrder(order_id, None, body.reason, datetime.now(UTC)),
                              services.uow()))


@router.post("/{order_id}/dispatch", operation_id="dispatch_order")
def dispatch(order_id: OrderId, services: ServicesDep, _: ManagerDep) -> StepPublic:
    now, catalog = datetime.now(UTC), _catalog(services)
    result = dispatch_order(DispatchOrder(order_id, None, now), services.uow(), catalog)
    distributor = result.order.distributor_id
    if result.changed and distributor is not None:
        # As a dispatch from chat does: the stock that left may now run short.
        run_stock_alerts(services.uow(), catalog, distributor, now,
                         services.settings.STOCK_ALERT_COVER_DAYS,
                         skus={ln.sku for ln in result.order.lines})
    services.relay.wake()
    return _step(result)
