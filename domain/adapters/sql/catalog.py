"""The catalog: products, schemes, the catalog version, and the aliases learned from chat."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.adapters.sql.core import META, apply_fields, run_statement
from domain.adapters.tables import LearnedAliasRow, MetaRow, ProductRow, SchemeRow
from domain.errors import Conflict
from domain.model.catalog import Product
from domain.model.learned_alias import LearnedAlias, promoted
from domain.model.scheme import Scheme, scheme_from_dict, scheme_to_dict

_META_VALUE = sa_select(META.c.value).where(META.c.key == bindparam("b_key"))
CATALOG_VERSION_KEY = "catalog_version"


def _product(row: ProductRow) -> Product:
    return Product(
        sku=row.sku, name=row.name, brand=row.brand, category=row.category,
        base_unit=row.base_unit, pack_units=dict(row.pack_units), default_unit=row.default_unit,
        price=Decimal(row.price), mrp=Decimal(row.mrp), aliases=tuple(row.aliases),
        active=row.active,
    )


def _product_fields(p: Product) -> dict[str, object]:
    return {
        "name": p.name, "brand": p.brand, "category": p.category, "base_unit": p.base_unit,
        "pack_units": dict(p.pack_units), "default_unit": p.default_unit, "price": p.price,
        "mrp": p.mrp, "aliases": list(p.aliases), "active": p.active,
    }


class SqlProductRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, sku: str) -> Product | None:
        row = self.session.get(ProductRow, sku)
        return _product(row) if row else None

    def list(self) -> list[Product]:
        rows = self.session.exec(select(ProductRow).order_by(col(ProductRow.sku))).all()
        return [_product(r) for r in rows]

    def upsert(self, product: Product) -> bool:
        row = self.session.get(ProductRow, product.sku)
        if row is None:
            fields = {"sku": product.sku, **_product_fields(product)}
            self.session.add(ProductRow.model_validate(fields))
            return True
        return apply_fields(row, _product_fields(product))


class SqlSchemeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scheme_id: str) -> Scheme | None:
        row = self.session.get(SchemeRow, scheme_id)
        return scheme_from_dict(row.body) if row else None

    def list(self) -> list[Scheme]:
        rows = self.session.exec(select(SchemeRow).order_by(col(SchemeRow.id))).all()
        return [scheme_from_dict(r.body) for r in rows]

    def upsert(self, scheme: Scheme) -> bool:
        fields: dict[str, object] = {
            "name": scheme.name, "active": scheme.active, "body": scheme_to_dict(scheme),
        }
        row = self.session.get(SchemeRow, scheme.id)
        if row is None:
            self.session.add(SchemeRow.model_validate({"id": scheme.id, **fields}))
            return True
        return apply_fields(row, fields)


class SqlMetaStore:
    KEY = CATALOG_VERSION_KEY

    def __init__(self, session: Session) -> None:
        self.session = session

    def catalog_version(self) -> int:
        value = run_statement(self.session, _META_VALUE, {"b_key": self.KEY}).scalar()
        return int(value) if value is not None else 0

    def bump_catalog_version(self) -> None:
        row = self.session.get(MetaRow, self.KEY, with_for_update=True)
        if row is None:
            self.session.add(MetaRow(key=self.KEY, value="1"))
        else:
            row.value = str(int(row.value) + 1)


def _alias(row: LearnedAliasRow) -> LearnedAlias:
    return LearnedAlias(phrase=row.phrase, sku=row.sku, sender_id=row.sender_id,
                        count=row.count, updated_at=row.updated_at)


class SqlAliasRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, phrase: str, sender: str | None) -> LearnedAliasRow | None:
        owner = (col(LearnedAliasRow.sender_id).is_(None) if sender is None
                 else col(LearnedAliasRow.sender_id) == sender)
        return self.session.exec(
            select(LearnedAliasRow).where(LearnedAliasRow.phrase == phrase, owner)).first()

    def lookup(self, phrase: str, sender: str | None) -> str | None:
        if sender is not None:
            own = self._row(phrase, sender)
            if own is not None:
                return own.sku
        shared = self._row(phrase, None)
        return shared.sku if shared else None

    def learn(self, phrase: str, sku: str, sender: str | None) -> None:
        now = datetime.now(UTC)
        if sender is not None:
            self._put(phrase, sender, sku, now, teach=True)
        agreeing = {
            taught: int(n) for taught, n in self.session.exec(
                select(LearnedAliasRow.sku, func.count())
                .where(LearnedAliasRow.phrase == phrase,
                       col(LearnedAliasRow.sender_id).is_not(None))
                .group_by(col(LearnedAliasRow.sku))).all()
        }
        shared = self._row(phrase, None)
        current = shared.sku if shared else None
        meaning = sku if sender is None else promoted(agreeing, current)
        if meaning is not None and (shared is None or shared.sku != meaning
                                    or shared.count != agreeing.get(meaning, 0)):
            self._put(phrase, None, meaning, now, teach=False, count=agreeing.get(meaning, 0))

    def _put(self, phrase: str, sender: str | None, sku: str, at: datetime, teach: bool,
             count: int = 1) -> None:
        row = self._row(phrase, sender)
        if row is None:
            self.session.add(LearnedAliasRow(phrase=phrase, sku=sku, sender_id=sender,
                                             count=count, updated_at=at))
        else:
            if teach:
                count = row.count + 1 if row.sku == sku else 1
            row.sku, row.count, row.updated_at = sku, count, at
        try:
            self.session.flush()
        except IntegrityError as exc:  # another worker learned the same phrase at once
            raise Conflict(f"phrase {phrase!r} was being learned concurrently") from exc

    def all(self, since: datetime | None = None) -> builtins.list[LearnedAlias]:
        query = select(LearnedAliasRow)
        if since is not None:
            query = query.where(col(LearnedAliasRow.updated_at) >= since)
        return [_alias(r) for r in self.session.exec(query.order_by(col(LearnedAliasRow.id)))]
