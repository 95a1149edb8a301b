"""Stock in the console: levels per distributor, goods received, alerts on demand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import ManagerDep, ReaderDep, ServicesDep
from api.stored_values import StoredText
from domain.model.field_limits import BASE_UNITS_MAX, ID_LENGTH, UNIT_LENGTH
from domain.model.party import Role
from domain.services.stock_alerts import run_stock_alerts

router = APIRouter(prefix="/api/stock", tags=["stock"])


class StockLevelPublic(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    last_moved_at: datetime | None


class StockPublic(BaseModel):
    data: list[StockLevelPublic]
    count: int


class ReceiptCreate(BaseModel):
    distributor_id: StoredText = Field(min_length=1, max_length=ID_LENGTH)
    sku: StoredText = Field(min_length=1, max_length=ID_LENGTH)
    qty: Decimal = Field(gt=0, le=1_000_000)
    unit: StoredText | None = Field(default=None, max_length=UNIT_LENGTH)
    ref: StoredText = Field(min_length=1, max_length=ID_LENGTH, description="GRN or invoice number")


@router.get("", operation_id="list_stock")
def list_stock(services: ServicesDep, _: ReaderDep,
               distributor_id: Annotated[str, Query(max_length=64)]) -> StockPublic:
    with services.uow() as uow:
        party = uow.parties.get(distributor_id)
        if party is None or party.role != Role.DISTRIBUTOR:  # not "a distributor with none"
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no distributor {distributor_id}")
        levels = uow.stock.levels(distributor_id)
    data = [StockLevelPublic(sku=lv.sku, on_hand=lv.on_hand, reserved=lv.reserved,
                             available=lv.available, last_moved_at=lv.last_moved_at)
            for lv in levels]
    return StockPublic(data=data, count=len(data))


@router.post("/receipts", operation_id="receive_stock", status_code=201)
def receive(body: ReceiptCreate, services: ServicesDep, _: ManagerDep) -> StockLevelPublic:
    now = datetime.now(UTC)
    with services.uow() as uow:
        distributor = uow.parties.get(body.distributor_id)
        if distributor is None or distributor.role != Role.DISTRIBUTOR:
            raise HTTPException(status.HTTP_404_NOT_FOUND,
                                f"no distributor {body.distributor_id}")
        product = services.catalog.current(uow).products.get(body.sku)
        if product is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no product {body.sku}")
        qty_base = product.to_base(body.qty, body.unit)
        if uow.stock.level(body.distributor_id, body.sku).on_hand + qty_base > BASE_UNITS_MAX:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"{body.sku} would hold more than {BASE_UNITS_MAX:,} "
                                f"{product.base_unit}s on hand; check the quantity")
        uow.stock.receive(body.distributor_id, body.sku, qty_base, "receipt", body.ref, now)
        uow.commit()
        level = uow.stock.level(body.distributor_id, body.sku)
    return StockLevelPublic(sku=level.sku, on_hand=level.on_hand, reserved=level.reserved,
                            available=level.available, last_moved_at=level.last_moved_at)


class AlertsPublic(BaseModel):
    raised: list[str]


@router.post("/alerts/run", operation_id="run_stock_alerts")
def run_alerts(services: ServicesDep, _: ManagerDep,
               distributor_id: Annotated[str, Query(max_length=64)]) -> AlertsPublic:
    with services.uow() as uow:
        catalog = services.catalog.current(uow).products
    new = run_stock_alerts(services.uow(), catalog, distributor_id, datetime.now(UTC),
                           services.settings.STOCK_ALERT_COVER_DAYS)
    services.relay.wake()
    return AlertsPublic(raised=[a.text for a in new])
