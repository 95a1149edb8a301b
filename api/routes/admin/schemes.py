"""Schemes in the console: list, create, edit, deactivate, simulate, settle, claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from api.bootstrap import Services
from api.deps import ManagerDep, ReaderDep, ServicesDep
from api.stored_values import StoredText
from domain.errors import InvalidInput
from domain.model.field_limits import ID_LENGTH
from domain.model.party import Party, Role
from domain.model.scheme import (
    Scheme,
    scheme_from_dict,
    scheme_storage_problems,
    scheme_to_dict,
)
from domain.pricing import Buyer, OrderLineInput, SchemeIndex, price_order
from domain.services.imports import scheme_reference_errors
from domain.services.period_schemes import settle_scheme
from domain.services.scheme_claims import claims_csv, scheme_claims

router = APIRouter(prefix="/api", tags=["schemes"])


class SchemesPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


def _invalid(exc: InvalidInput) -> HTTPException:
    field, _, reason = str(exc).partition(": ")
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         {"field": field if reason else None, "reason": reason or str(exc)})


def _checked(body: dict[str, Any], services: Services) -> Scheme:
    try:
        scheme = scheme_from_dict(body)
    except InvalidInput as exc:
        raise _invalid(exc) from None
    with services.uow() as uow:
        catalog = services.catalog.current(uow).products
    problems = scheme_storage_problems(scheme) + scheme_reference_errors(scheme, catalog)
    if problems:
        field, reason = problems[0]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            {"field": field, "reason": reason})
    return scheme


def _save(services: Services, scheme: Scheme) -> None:
    with services.uow() as uow:
        uow.schemes.upsert(scheme)
        uow.meta.bump_catalog_version()  # every worker reloads its scheme index
        uow.commit()


@router.get("/schemes", operation_id="list_schemes")
def list_schemes(services: ServicesDep, _: ReaderDep,
                 active: Annotated[bool | None, Query()] = None) -> SchemesPublic:
    with services.uow() as uow:
        schemes = [s for s in uow.schemes.list() if active is None or s.active == active]
    return SchemesPublic(data=[_public(s) for s in schemes], count=len(schemes))


def _public(scheme: Scheme) -> dict[str, Any]:
    return {**scheme_to_dict(scheme), "active": scheme.active}


def _stored(services: Services, scheme_id: str) -> Scheme:
    with services.uow() as uow:
        scheme = uow.schemes.get(scheme_id)
    if scheme is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no scheme {scheme_id}")
    return scheme


@router.get("/schemes/{scheme_id}", operation_id="get_scheme")
def get_scheme(scheme_id: str, services: ServicesDep, _: ReaderDep) -> dict[str, Any]:
    return _public(_stored(services, scheme_id))


@router.post("/schemes", operation_id="create_scheme", status_code=201)
def create_scheme(body: dict[str, Any], services: ServicesDep, _: ManagerDep) -> dict[str, Any]:
    """The body is a scheme exactly as in schemes.md; a bad one gets 422 naming the field."""
    scheme = _checked(body, services)
    with services.uow() as uow:
        if uow.schemes.get(scheme.id) is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"scheme {scheme.id} exists; PUT it")
    _save(services, scheme)
    return _public(scheme)


@router.put("/schemes/{scheme_id}", operation_id="update_scheme")
def update_scheme(scheme_id: str, body: dict[str, Any], services: ServicesDep, _: ManagerDep
                  ) -> dict[str, Any]:
    """Edits apply to new drafts only: placed orders keep the prices they were confirmed at."""
    if body.get("id", scheme_id) != scheme_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            {"field": "id", "reason": "does not match the URL"})
    scheme = _checked({**body, "id": scheme_id}, services)
    _stored(services, scheme_id)
    _save(services, scheme)
    return _public(scheme)


@router.post("/schemes/{scheme_id}/deactivate", operation_id="deactivate_scheme")
def deactivate_scheme(scheme_id: str, services: ServicesDep, _: ManagerDep) -> dict[str, Any]:
    off = replace(_stored(services, scheme_id), active=False)
    _save(services, off)
    return _public(off)


class SimLine(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    qty: Decimal = Field(gt=0, le=1_000_000)
    unit: str | None = Field(default=None, max_length=30)


class SimulateBody(BaseModel):
    lines: list[SimLine] = Field(min_length=1, max_length=200)
    party_id: StoredText | None = Field(default=None, max_length=ID_LENGTH)
    role: str = Field(default="retailer", max_length=20)
    region: str | None = Field(default=None, max_length=50)
    on: date | None = Field(default=None, alias="date")
    schemes: list[dict[str, Any]] | None = Field(
        default=None, description="price with these schemes instead of the live ones")


@router.post("/schemes/simulate", operation_id="simulate_pricing")
def simulate(body: SimulateBody, services: ServicesDep, _: ReaderDep) -> dict[str, Any]:
    """Prices a sample order: every line's applied schemes, why others did not, and nudges."""
    with services.uow() as uow:
        snapshot = services.catalog.current(uow)
        party: Party | None = uow.parties.get(body.party_id) if body.party_id else None
    if body.party_id and party is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no party {body.party_id}")
    index = snapshot.scheme_index
    if body.schemes is not None:
        try:
            inline = [scheme_from_dict(s) for s in body.schemes]
        except InvalidInput as exc:
            raise _invalid(exc) from None
        # What a stored scheme must pass: out-of-range thresholds break pricing here too.
        for i, scheme in enumerate(inline):
            for field, reason in scheme_storage_problems(scheme)[:1]:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                    {"field": f"schemes[{i}].{field}", "reason": reason})
        index = SchemeIndex(inline)
    buyer = Buyer(on=body.on or datetime.now(UTC).date(),
                  role=party.role.value if party else body.role,
                  region=party.region if party else body.region,
                  party_id=party.id if party else None)
    try:
        priced = price_order([OrderLineInput(ln.sku, ln.qty, ln.unit) for ln in body.lines],
                             snapshot.products, index, buyer)
    except InvalidInput as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return priced.to_json()


class SettlementPublic(BaseModel):
    party_id: str
    amount: Decimal
    created: bool


@router.post("/schemes/{scheme_id}/settle", operation_id="settle_scheme")
def settle(scheme_id: str, services: ServicesDep, _: ManagerDep) -> list[SettlementPublic]:
    """Settles a period scheme after its window: one credit note per qualifying party, once."""
    with services.uow() as uow:
        catalog = services.catalog.current(uow).products
    now = datetime.now(UTC)
    done = settle_scheme(services.uow, scheme_id, catalog, now.date(), now)
    return [SettlementPublic(party_id=s.party_id, amount=s.amount, created=s.created)
            for s in done]


class ClaimPublic(BaseModel):
    scheme_id: str
    orders: int
    discount: Decimal
    free_value: Decimal
    free_units: dict[str, int]
    total: Decimal


@router.get("/claims/schemes", operation_id="scheme_claims")
def claims(services: ServicesDep, _: ReaderDep,
           distributor_id: Annotated[str, Query(max_length=64)],
           from_: Annotated[date, Query(alias="from")], to: Annotated[date, Query()],
           format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Any:
    """What a distributor gave away under each scheme in a period, ready to claim."""
    with services.uow() as uow:
        distributor = uow.parties.get(distributor_id)
        if distributor is None or distributor.role != Role.DISTRIBUTOR:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no distributor {distributor_id}")
        catalog = services.catalog.current(uow).products
        found = scheme_claims(uow, distributor_id, from_, to, catalog)
    if format == "csv":
        return Response(claims_csv(found, catalog), media_type="text/csv")
    return {"data": [ClaimPublic(scheme_id=c.scheme_id, orders=len(c.orders),
                                 discount=c.discount, free_value=c.free_value,
                                 free_units=c.free_units, total=c.total) for c in found],
            "count": len(found)}
