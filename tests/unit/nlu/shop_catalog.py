"""A small shop catalog of our own (not the eval catalog) and helpers to read parses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from domain.model.catalog import Product
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import Parse, ParseContext

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2027, 2, 10, 11, 0, tzinfo=IST)


def _p(sku: str, name: str, brand: str, base: str, packs: str, default: str, mrp: str,
       aliases: str = "", category: str = "General") -> Product:
    units = {k: int(v) for k, v in (p.split("=") for p in packs.split(";") if p)}
    return Product(sku=sku, name=name, brand=brand, category=category, base_unit=base,
                   pack_units=units, default_unit=default, price=Decimal(mrp) * Decimal("0.85"),
                   mrp=Decimal(mrp), aliases=tuple(a for a in aliases.split("|") if a))


PRODUCTS = [
    _p("FANTA-300C", "Fanta Orange 300ml Can", "Fanta", "can", "case=24", "case", "40",
       "fanta|fanta can"),
    _p("FANTA-600", "Fanta Orange 600ml PET", "Fanta", "bottle", "case=24", "case", "40",
       "fanta|fanta 600"),
    _p("FANTA-1.5L", "Fanta Orange 1.5L PET", "Fanta", "bottle", "case=12", "case", "75",
       "fanta|fanta 1.5"),
    _p("MIRINDA-600", "Mirinda Orange 600ml PET", "Mirinda", "bottle", "case=24", "case", "38",
       "mirinda|mirinda 600"),
    _p("MIRINDA-2.25L", "Mirinda Orange 2.25L PET", "Mirinda", "bottle", "case=9", "case", "95",
       "mirinda|mirinda 2.25"),
    _p("APPY-250", "Appy Fizz 250ml PET (Rs 20)", "Appy", "bottle", "case=24", "case", "20",
       "appy fizz|appy|appy 20rs"),
    _p("APPY-600", "Appy Fizz 600ml PET", "Appy", "bottle", "case=24", "case", "40",
       "appy fizz|appy|appy 600"),
    _p("REAL-MANGO-1L", "Real Fruit Power Mango 1L Tetra", "Real", "piece", "case=12", "case",
       "110", "real mango|real juice mango"),
    _p("TIGER-5", "Britannia Tiger Glucose 50g (Rs 5)", "Britannia", "packet", "box=24;case=144",
       "box", "5", "tiger|tiger biscuit|tiger 5rs"),
    _p("TIGER-10", "Britannia Tiger Glucose 100g (Rs 10)", "Britannia", "packet",
       "box=12;case=96", "box", "10", "tiger|tiger biscuit|tiger 10rs"),
    _p("MARIELIGHT-30", "Sunfeast Marie Light 300g (Rs 30)", "Sunfeast", "packet",
       "box=12;case=48", "box", "30", "marie light|sunfeast marie"),
    _p("CINTHOL-50", "Cinthol Lime Soap 50g (Rs 10)", "Cinthol", "piece", "dozen=12;case=144",
       "dozen", "10", "cinthol|cinthol chota"),
    _p("CINTHOL-100", "Cinthol Lime Soap 100g", "Cinthol", "piece", "dozen=12;case=72", "dozen",
       "38", "cinthol|cinthol 100g"),
    _p("MEDIMIX-75", "Medimix Ayurvedic Soap 75g", "Medimix", "piece", "dozen=12;case=72",
       "dozen", "35", "medimix|medimix soap"),
    _p("PARACHUTE-100", "Parachute Coconut Oil 100ml", "Parachute", "bottle", "dozen=12;case=96",
       "bottle", "52", "parachute|parachute oil|parachute 100"),
    _p("PARACHUTE-250", "Parachute Coconut Oil 250ml", "Parachute", "bottle", "dozen=12;case=48",
       "bottle", "120", "parachute|parachute oil|parachute 250"),
    _p("PARACHUTE-500", "Parachute Coconut Oil 500ml", "Parachute", "bottle", "case=24",
       "bottle", "230", "parachute|parachute oil|parachute 500"),
    _p("DANTKANTI-100", "Patanjali Dant Kanti Toothpaste 100g", "Patanjali", "tube",
       "dozen=12;case=72", "dozen", "55", "dant kanti|dantkanti|patanjali paste"),
    _p("DANTKANTI-200", "Patanjali Dant Kanti Toothpaste 200g", "Patanjali", "tube",
       "dozen=12;case=36", "dozen", "106", "dant kanti|dantkanti|patanjali paste 200"),
    _p("SUNSILK-SACHET", "Sunsilk Black Shine Shampoo 5.5ml Sachet (Rs 2)", "Sunsilk", "sachet",
       "strip=16", "strip", "2", "sunsilk sachet|sunsilk 2rs"),
    _p("NIRMA-1KG", "Nirma Washing Powder 1kg", "Nirma", "packet", "case=20", "packet", "75",
       "nirma|nirma powder|nirma 1kg"),
    _p("NIRMA-500G", "Nirma Washing Powder 500g", "Nirma", "packet", "case=40", "packet", "38",
       "nirma|nirma powder|nirma half kg"),
    _p("COMBIFLAM", "Combiflam Tablet (strip of 20)", "Sanofi", "strip", "box=10", "strip", "45",
       "combiflam|combiflame"),
    _p("DISPRIN", "Disprin Regular Tablet (strip of 10)", "Reckitt", "strip", "box=10", "strip",
       "12", "disprin|dispirin"),
    _p("ENO-5G", "Eno Fruit Salt Lemon 5g Sachet", "Eno", "sachet", "box=48", "box", "10",
       "eno|eno sachet"),
    _p("DALMIA-50KG", "Dalmia DSP Cement 50kg", "Dalmia", "bag", "tonne=20", "bag", "440",
       "dalmia|dalmia cement|dalmia dsp"),
    _p("BIRLA-SHAKTI-50KG", "Birla Shakti PPC Cement 50kg", "Birla Shakti", "bag", "tonne=20",
       "bag", "420", "birla shakti|shakti cement"),
    _p("ACE-20L", "Asian Paints Ace Exterior Emulsion 20L", "Asian Paints", "bucket", "", "bucket",
       "4200", "ace|ace exterior|ace 20 ltr"),
    _p("ACE-4L", "Asian Paints Ace Exterior Emulsion 4L", "Asian Paints", "tin", "", "tin",
       "900", "ace|ace exterior|ace 4 ltr"),
    _p("NEROLAC-BEAUTY-20L", "Nerolac Beauty Smooth Finish 20L", "Nerolac", "bucket", "",
       "bucket", "3900", "nerolac beauty|beauty smooth"),
    _p("NEROLAC-BEAUTY-10L", "Nerolac Beauty Smooth Finish 10L", "Nerolac", "bucket", "",
       "bucket", "2000", "nerolac beauty|beauty smooth"),
    _p("SAFFOLA-GOLD-15L", "Saffola Gold Edible Oil 15L Tin", "Saffola", "tin", "", "tin",
       "2900", "saffola gold|saffola tin"),
    _p("AASHIRVAAD-10KG", "Aashirvaad Whole Wheat Atta 10kg", "Aashirvaad", "bag", "", "bag",
       "480", "aashirvaad atta|ashirvad atta|aata"),
    _p("AASHIRVAAD-5KG", "Aashirvaad Whole Wheat Atta 5kg", "Aashirvaad", "bag", "", "bag",
       "250", "aashirvaad atta|ashirvad atta"),
    _p("MORTEIN-COIL", "Mortein Mosquito Coil 10 coils", "Mortein", "packet", "box=12;case=60",
       "box", "45", "mortein|mortein coil|machhar coil"),
]


def parse(parser: BuiltinParser, text: str, role: str = "retailer",
          history: dict[str, int] | None = None, now: datetime = NOW) -> Parse:
    return parser.parse(text, ParseContext(role=role, now=now, sender="shop-1",
                                           history=history or {}))


def lines(result: Parse) -> list[tuple[str | None, float, str | None]]:
    """(sku, qty, unit) per item, for compact assertions."""
    return [(i.sku, float(i.qty), i.unit) for i in result.items]
