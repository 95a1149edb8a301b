"""The demo data set: a believable territory around Jaipur, with 90 days of order history.

Deterministic (seeded), so a demo and its screenshots look the same on every machine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import Any

from domain.model.catalog import Product
from domain.model.ledger import EntryKind, LedgerEntry
from domain.model.order import Order, OrderStatus
from domain.model.party import Party, Role
from domain.model.scheme import scheme_from_dict
from domain.pricing import Buyer, OrderLineInput, SchemeIndex, price_order
from domain.services.catalog_file import parse_catalog_csv
from domain.services.fulfilment import needs
from domain.services.ledger import invoice_for
from domain.services.ordering import order_lines
from domain.services.unit_of_work import UnitOfWork

DEMO_RETAILER_PHONE = "+919800000001"
HISTORY_DAYS = 90

DISTRIBUTORS = (
    ("D-001", "Shree Ganesh Distributors", "north", 26.9560, 75.8010),
    ("D-002", "Maruti Traders", "west", 26.9000, 75.7400),
    ("D-003", "Balaji Agencies", "south", 26.8400, 75.8050),
)
ROUTES = {
    "D-001": ("NORTH-1", "NORTH-2", "NORTH-3"),
    "D-002": ("WEST-1", "WEST-2"),
    "D-003": ("SOUTH-1", "SOUTH-2"),
}
REPS = (
    ("REP-01", "Ravi Kumar", "D-001", ("NORTH-1", "NORTH-2")),
    ("REP-02", "Sunil Yadav", "D-001", ("NORTH-3",)),
    ("REP-03", "Imran Khan", "D-002", ("WEST-1", "WEST-2")),
    ("REP-04", "Pooja Meena", "D-003", ("SOUTH-1", "SOUTH-2")),
)
SURNAMES = ("Sharma", "Gupta", "Agarwal", "Jain", "Meena", "Saini", "Khandelwal", "Verma",
            "Choudhary", "Rathore", "Singhal", "Mittal", "Goyal", "Kumawat", "Yadav", "Soni")
SHOP_KINDS = {
    "general_trade": ("Kirana Store", "General Store", "Provision Store", "Super Mart"),
    "modern_trade": ("Fresh Mart", "Supermarket"),
    "pharma": ("Medical Store", "Pharmacy"),
    "salon": ("Hair & Beauty Salon", "Unisex Salon"),
    "horeca": ("Restaurant", "Dhaba", "Caterers"),
    "building": ("Hardware & Paints", "Building Material Suppliers"),
}
CATEGORIES = {
    "general_trade": ("Beverages", "Biscuits", "Noodles", "Snacks", "Personal Care", "Home Care"),
    "modern_trade": ("Beverages", "Biscuits", "Noodles", "Snacks", "Personal Care", "Home Care"),
    "pharma": ("OTC Pharma", "Personal Care"),
    "salon": ("Salon Professional",),
    "horeca": ("HoReCa", "Beverages"),
    "building": ("Building Materials",),
}
CHANNEL_MIX = ("general_trade",) * 6 + ("modern_trade", "pharma", "salon", "horeca", "building")


def demo_products() -> list[Product]:
    text = files("domain.services").joinpath("demo_catalog.csv").read_text(encoding="utf-8")
    return parse_catalog_csv(text)


def demo_parties(rng: random.Random) -> list[Party]:
    parties = [
        Party(id=pid, role=Role.DISTRIBUTOR, name=name, phone=f"+9197000000{n:02d}",
              region=region, lat=lat, lon=lon, routes=ROUTES[pid],
              credit_limit=Decimal("2500000"))
        for n, (pid, name, region, lat, lon) in enumerate(DISTRIBUTORS, start=1)
    ]
    depots = {pid: (region, lat, lon) for pid, _, region, lat, lon in DISTRIBUTORS}
    parties += [
        Party(id=rid, role=Role.REP, name=name, phone=f"+9196000000{n:02d}",
              distributor_id=did, routes=routes, region=depots[did][0])
        for n, (rid, name, did, routes) in enumerate(REPS, start=1)
    ]
    parties.append(Party(id="M-01", role=Role.MANAGER, name="Anita Desai (Area Manager)",
                         phone="+919500000001", region="north"))
    number = 0
    for did, routes in ROUTES.items():
        region, lat0, lon0 = depots[did]
        for route in routes:
            # Each beat is a cluster a few km from its depot, shops spread along it.
            clat, clon = lat0 + rng.uniform(-0.04, 0.04), lon0 + rng.uniform(-0.04, 0.04)
            for _ in range(12):
                number += 1
                channel = "general_trade" if number == 1 else rng.choice(CHANNEL_MIX)
                name = f"{rng.choice(SURNAMES)} {rng.choice(SHOP_KINDS[channel])}"
                parties.append(Party(
                    id=f"R-{number:04d}", role=Role.RETAILER, name=name,
                    phone=f"+9198{number:08d}", distributor_id=did, routes=(route,),
                    region=region, lat=round(clat + rng.uniform(-0.012, 0.012), 6),
                    lon=round(clon + rng.uniform(-0.012, 0.012), 6),
                    outlet_class=rng.choice("AABBBC"), channel=channel,
                    credit_limit=Decimal(rng.choice((25000, 50000, 100000, 200000))),
                ))
    return parties


def demo_schemes(today: date) -> list[dict[str, Any]]:
    valid = {"from": (today - timedelta(days=20)).isoformat(),
             "to": (today + timedelta(days=40)).isoformat()}
    everyone = {"roles": ["retailer"], "regions": [], "parties": []}

    def scheme(sid: str, name: str, kind: str, scope: dict[str, list[str]],
               slabs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {"id": sid, "name": name, "kind": kind,
                "scope": {"skus": [], "brands": [], "categories": [], **scope},
                "audience": everyone, "valid": valid, "pooled": False, "slabs": slabs,
                "stackable": False, "priority": 0, **extra}

    return [
        scheme("TU-750-5", "Thums Up 750ml: 10 cases or more, 5% off", "discount",
               {"skus": ["TU-750"]}, [{"min_qty": 10, "unit": "case", "percent": 5}]),
        scheme("MAGGI-POOL", "Maggi: 10 boxes in all 5% off, 20 boxes 8%", "discount",
               {"brands": ["Nestle"]}, [{"min_qty": 10, "unit": "box", "percent": 5},
                                        {"min_qty": 20, "unit": "box", "percent": 8}],
               pooled=True),
        scheme("COLGATE-12+1", "Colgate Strong Teeth 100g: 1 tube free with every dozen",
               "free_goods", {"skus": ["COLGATE-ST-100"]},
               [{"min_qty": 1, "unit": "dozen", "free_qty": 1, "recursive": True}]),
        scheme("SURF-MATIC-FIX", "Surf Excel Matic 2kg: a full case at Rs 450 a pack",
               "fixed_price", {"skus": ["SURF-MATIC-2KG"]},
               [{"min_qty": 1, "unit": "case", "price": 450}]),
        scheme("BISCUITS-VALUE", "Biscuits: Rs 5,000 or more, 2% off", "discount",
               {"categories": ["Biscuits"]}, [{"min_value": 5000, "percent": 2}], pooled=True),
        scheme("CEMENT-100", "UltraTech OPC 53: Rs 5 off a bag on 100 bags or more",
               "discount", {"skus": ["UT-OPC53-50KG"]},
               [{"min_qty": 100, "unit": "bag", "amount_off": 5}]),
    ]


@dataclass(frozen=True)
class DemoReport:
    created: bool
    products: int
    parties: int
    schemes: int
    orders: int

    def __str__(self) -> str:
        if not self.created:
            return "demo data already present: left as it is"
        return (f"demo data created: {self.products} products, {self.parties} parties, "
                f"{self.schemes} schemes, {self.orders} orders over {HISTORY_DAYS} days; "
                f"try the web chat as R-0001 (WhatsApp {DEMO_RETAILER_PHONE})")


def build_demo(uow: UnitOfWork, now: Callable[[], datetime] = lambda: datetime.now(UTC)
               ) -> DemoReport:
    rng = random.Random(20261128)
    today = now()
    with uow:
        if uow.parties.get("R-0001") is not None:
            return DemoReport(False, 0, 0, 0, 0)
        products = demo_products()
        parties = demo_parties(rng)
        schemes = [scheme_from_dict(s) for s in demo_schemes(today.date())]
        for product in products:
            uow.products.upsert(product)
        for party in parties:
            uow.parties.upsert(party)
        for s in schemes:
            uow.schemes.upsert(s)
        uow.meta.bump_catalog_version()
        orders = demo_history(rng, products, parties, SchemeIndex(schemes), today)
        demo_stock_and_ledger(uow, rng, {p.sku: p for p in products}, orders, today)
        uow.commit()
    return DemoReport(True, len(products), len(parties), len(schemes), len(orders))


def demo_stock_and_ledger(uow: UnitOfWork, rng: random.Random, catalog: dict[str, Product],
                          orders: list[Order], today: datetime) -> None:
    """Opening stock, then each past order moves stock and is invoiced; shops pay most of it.

    Opening stock is sized so that a few fast movers run low today: the alerts and the
    replenishment suggestion have something to say in the demo.
    """
    shipped: dict[tuple[str, str], int] = {}
    for order in orders:
        if order.status in (OrderStatus.DISPATCHED, OrderStatus.DELIVERED) and order.distributor_id:
            for sku, qty in needs(order).items():
                key = (order.distributor_id, sku)
                shipped[key] = shipped.get(key, 0) + qty
    opening_day = today - timedelta(days=HISTORY_DAYS + 1)
    for (distributor_id, sku), qty in sorted(shipped.items()):
        cover = rng.choice((1.02, 1.1, 1.25, 1.4, 1.6))
        uow.stock.receive(distributor_id, sku, math.ceil(qty * cover), "receipt", "OPENING",
                          opening_day)
    for distributor_id in sorted({d for d, _ in shipped}):
        uow.stock.receive(distributor_id, "RICA-WAX-800", 24, "receipt", "OPENING",
                          opening_day)  # a slow mover nobody has bought: dead stock
    owed: dict[str, list[tuple[datetime, Decimal]]] = {}
    for order in orders:
        uow.orders.add(order)
        if order.distributor_id is None:
            continue
        if order.status in (OrderStatus.DISPATCHED, OrderStatus.DELIVERED):
            at = order.created_at + timedelta(hours=rng.randint(4, 30))
            for sku, qty in needs(order).items():
                uow.stock.issue(order.distributor_id, sku, qty, "dispatch", order.number or "",
                                at, reserved=False)
            uow.ledger.add(invoice_for(order, at))
            owed.setdefault(order.party_id, []).append((at, order.net))
    for party_id, invoices in sorted(owed.items()):
        day = min(at for at, _ in invoices) + timedelta(days=rng.randint(7, 15))
        paid = Decimal("0")
        while day < today - timedelta(days=2):
            due = sum((amount for at, amount in invoices if at <= day - timedelta(days=7)),
                      Decimal("0"))
            gap = due - paid
            if gap > 500:
                amount = (gap * Decimal(rng.choice(("0.6", "0.8", "1")))).quantize(
                    Decimal("1"))
                uow.ledger.add(LedgerEntry(
                    party_id=party_id, kind=EntryKind.PAYMENT,
                    ref=f"PAY-{party_id}-{day:%y%m%d}", debit=Decimal("0.00"),
                    credit=amount, on=day.date(), created_at=day,
                    narration=f"payment by {rng.choice(('cash', 'upi', 'cheque'))}",
                    client_id=f"demo:{party_id}:{day:%y%m%d}"))
                paid += amount
            day += timedelta(days=rng.randint(10, 18))


def demo_history(rng: random.Random, products: list[Product], parties: list[Party],
                 schemes: SchemeIndex, today: datetime) -> list[Order]:
    catalog = {p.sku: p for p in products}
    orders: list[Order] = []
    for party in (p for p in parties if p.role == Role.RETAILER):
        wanted = CATEGORIES[party.channel or "general_trade"]
        usual = rng.sample([p for p in products if p.category in wanted],
                           k=min(12, sum(p.category in wanted for p in products)))
        day = today - timedelta(days=HISTORY_DAYS - rng.randint(0, 6))
        while day < today - timedelta(hours=6):
            picks = rng.sample(usual, k=rng.randint(2, min(6, len(usual))))
            lines = [OrderLineInput(sku=p.sku, qty=Decimal(rng.choice((1, 1, 2, 2, 3, 5))),
                                    unit=p.default_unit) for p in picks]
            buyer = Buyer(role="retailer", region=party.region, party_id=party.id,
                          on=day.date())
            priced = price_order(lines, catalog, schemes, buyer)
            age = (today - day).days
            status = (OrderStatus.DELIVERED if age > 3 else
                      OrderStatus.DISPATCHED if age > 1 else OrderStatus.PLACED)
            orders.append(Order(
                party_id=party.id, distributor_id=party.distributor_id,
                lines=order_lines(priced, catalog),
                gross=priced.gross, discount=priced.discount, net=priced.net,
                created_at=day, channel="whatsapp", status=status,
            ))
            day += timedelta(days=rng.randint(4, 12), hours=rng.randint(-3, 3))
    orders.sort(key=lambda o: o.created_at)
    return orders
