"""Orders in the console: list with filters, and one order in full."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from api.deps import ReaderDep, ServicesDep
from domain.model.order import Order, OrderStatus

router = APIRouter(prefix="/api/orders", tags=["orders"])


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
    status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OrdersPublic:
    with services.uow() as uow:
        orders, count = uow.orders.list(party_id=party_id, status=status_, limit=limit,
                                        offset=offset)
    return OrdersPublic(data=[to_public(o) for o in orders], count=count)


@router.get("/{order_id}", operation_id="get_order")
def get_order(order_id: int, services: ServicesDep, _: ReaderDep) -> OrderPublic:
    with services.uow() as uow:
        order = uow.orders.get(order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order {order_id}")
    return to_public(order)
