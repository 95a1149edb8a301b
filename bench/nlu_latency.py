"""Parse latency at the dev catalog's size (~150 SKUs) and at 10,000 SKUs, and matcher memory.

    .venv/bin/python bench/nlu_latency.py [--catalog /work/shared/data/nlu/catalog.csv]
                                          [--skus 10000] [--messages 2000] [--seed 7] [--cpu]

The large catalog is generated: plausible brands x product lines x variants x pack sizes, each
with the aliases shops use. Messages are generated the same way for both catalogs (orders in
several shapes, typos, Hinglish numbers, questions), so the two runs differ only in catalog size.
Targets: p50 <= 1 ms, p99 <= 5 ms, p99(10k) / p99(150) <= 3, matcher memory < 200 MB, judged
on wall time (on CPU time with --cpu, when other work shares the machine). Exit status 0 when met.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.model.catalog import Product
from domain.services.catalog_file import load_catalog_csv
from nlu.builtin_parser import BuiltinParser
from nlu.parse_result import ParseContext

IST = timezone(timedelta(hours=5, minutes=30))
NOW = datetime(2026, 11, 15, 10, 0, tzinfo=IST)
DEV_CATALOG = Path("/work/shared/data/nlu/catalog.csv")


@dataclass(frozen=True)
class Shelf:
    category: str
    base_unit: str
    packs: tuple[tuple[str, int], ...]
    sizes: tuple[str, ...]
    lines: tuple[str, ...]
    variants: tuple[str, ...]


SHELVES = (
    Shelf("Beverages", "bottle", (("case", 24),), ("250ml", "500ml", "750ml", "1.25L", "2L"),
          ("Cola", "Lemon Soda", "Orange", "Mango Drink", "Jeera Soda", "Energy"),
          ("Regular", "Zero", "Lite", "Max")),
    Shelf("Biscuits", "packet", (("box", 12), ("case", 96)), ("50g", "100g", "200g", "400g"),
          ("Glucose", "Cream", "Marie", "Cookies", "Crackers", "Digestive"),
          ("Classic", "Choco", "Butter", "Elaichi")),
    Shelf("Snacks", "packet", (("box", 12), ("case", 72)), ("25g", "52g", "90g", "150g"),
          ("Chips", "Namkeen", "Puffs", "Nachos", "Bhujia", "Mixture"),
          ("Salted", "Masala", "Tomato", "Peri Peri")),
    Shelf("Personal Care", "piece", (("dozen", 12), ("case", 72)), ("45g", "75g", "100g", "125g"),
          ("Soap", "Beauty Bar", "Handwash", "Face Wash", "Toothpaste", "Shampoo"),
          ("Neem", "Rose", "Sandal", "Aloe")),
    Shelf("Home Care", "packet", (("case", 12),), ("500g", "1kg", "2kg", "5kg"),
          ("Detergent", "Dishwash", "Floor Cleaner", "Toilet Cleaner", "Bar", "Liquid"),
          ("Lemon", "Lime", "Floral", "Pine")),
    Shelf("Building Materials", "bag", (("tonne", 20),), ("20kg", "40kg", "50kg"),
          ("Cement", "Wall Putty", "Tile Adhesive", "Primer", "Waterproofing", "Grout"),
          ("OPC 43", "OPC 53", "PPC", "White")),
)
SYLLABLES = ("ka", "ri", "su", "mo", "ta", "ve", "lo", "na", "pi", "ra", "de", "shi", "vo",
             "ba", "ne", "ku", "li", "zo", "ma", "ti", "go", "ya", "har", "dev", "jan", "sun",
             "am", "rat", "nav", "ek")


def _brand(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if name not in taken and len(name) >= 4:
            taken.add(name)
            return name


def _size_mrp(size: str, rng: random.Random) -> Decimal:
    digits = "".join(ch for ch in size if ch.isdigit() or ch == ".")
    return Decimal(max(5, int(float(digits) * rng.uniform(0.05, 0.4)))).quantize(Decimal(1))


def generated_catalog(count: int, seed: int) -> list[Product]:
    """`count` SKUs: brands x lines x variants x sizes, with shop-style aliases."""
    rng = random.Random(seed)
    taken: set[str] = set()
    products: list[Product] = []
    while len(products) < count:
        shelf = rng.choice(SHELVES)
        brand = _brand(rng, taken)
        for line in rng.sample(shelf.lines, 3):
            for variant in rng.sample(shelf.variants, 2):
                for size in shelf.sizes:
                    if len(products) >= count:
                        return products
                    sku = f"{brand[:4]}-{line[:3]}-{variant[:3]}-{size}".upper().replace(" ", "")
                    sku = f"{sku}-{len(products)}"
                    name = f"{brand} {line} {variant} {size}"
                    mrp = _size_mrp(size, rng)
                    aliases = (brand.lower(), f"{brand} {line}".lower(),
                               f"{brand} {variant}".lower(), f"{brand} {line} {size}".lower())
                    products.append(Product(
                        sku=sku, name=name, brand=brand, category=shelf.category,
                        base_unit=shelf.base_unit, pack_units=dict(shelf.packs),
                        default_unit=shelf.packs[0][0], price=mrp * Decimal("0.85"), mrp=mrp,
                        aliases=aliases,
                    ))
    return products


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or rng.random() < 0.7:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:]


def _mention(product: Product, rng: random.Random) -> str:
    words = product.name.split()
    shape = rng.random()
    if shape < 0.4:
        text = product.name
    elif shape < 0.7:
        text = rng.choice(product.aliases) if product.aliases else product.name
    else:
        text = " ".join([words[0], *rng.sample(words[1:], min(2, len(words) - 1))])
    return " ".join(_typo(w, rng) for w in text.lower().split())


QTY_WORDS = ("2", "3", "5", "10", "ek", "do", "teen", "paanch", "das", "half", "dedh")
UNIT_WORDS = {"case": ("cs", "case", "peti", "ctn"), "box": ("box", "bx", "dabba"),
              "dozen": ("dz", "dozen"), "bag": ("bag", "bori", "katta"), "tonne": ("ton",)}
QUESTIONS = ("pichle mahine ka hisaab dikhao", "maal kab tak pahunchega?", "koi offer chal raha?",
             "thik hai, bhejo", "rehne do bhai", "q3 ka ledger", "reward points kitne bache",
             "pichla order dobara bhejo", "namaskar ji", "naya product kya launch hua")


def generated_messages(products: Sequence[Product], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    messages: list[str] = []
    for _ in range(count):
        if rng.random() < 0.15:
            messages.append(rng.choice(QUESTIONS))
            continue
        lines = []
        for product in rng.sample(list(products), rng.choice((1, 1, 2, 3, 5))):
            qty = rng.choice(QTY_WORDS)
            spellings = UNIT_WORDS.get(product.default_unit, (product.default_unit,))
            unit = rng.choice(spellings)
            mention = _mention(product, rng)
            lines.append(rng.choice((f"{qty} {unit} {mention}", f"{mention} - {qty} {unit}",
                                     f"{mention} x {qty}", f"{mention} {qty} {unit}")))
        joiner = rng.choice(("\n", ", ", " aur ", " + "))
        messages.append(rng.choice(("", "pls send ", "bhai ")) + joiner.join(lines))
    return messages


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))]


@dataclass(frozen=True)
class Timing:
    p50: float
    p99: float
    cpu_p50: float
    cpu_p99: float


def timed(parser: BuiltinParser, messages: Sequence[str]) -> Timing:
    """Wall time per parse (what the spec measures) and this thread's CPU time per parse
    (the same work without the time other processes on a busy machine took from us)."""
    context = ParseContext(role="retailer", now=NOW)
    for text in messages[:200]:  # warm caches the way a running bot has them warm
        parser.parse(text, context)
    gc.collect()
    gc.disable()
    try:
        wall, cpu = [], []
        for text in messages:
            started, started_cpu = time.perf_counter(), time.thread_time()
            parser.parse(text, context)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
    finally:
        gc.enable()
    return Timing(_percentile(wall, 50), _percentile(wall, 99),
                  _percentile(cpu, 50), _percentile(cpu, 99))


def matcher_memory_mb(products: Sequence[Product]) -> float:
    gc.collect()
    tracemalloc.start()
    parser = BuiltinParser(products)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del parser
    return current / 1_000_000


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    args.add_argument("--catalog", type=Path, default=DEV_CATALOG)
    args.add_argument("--skus", type=int, default=10_000)
    args.add_argument("--messages", type=int, default=2000)
    args.add_argument("--seed", type=int, default=7)
    args.add_argument("--cpu", action="store_true",
                      help="judge the targets on CPU time (for a machine busy with other work)")
    opts = args.parse_args(argv)

    small = load_catalog_csv(opts.catalog)
    large = generated_catalog(opts.skus, opts.seed)
    rows: list[tuple[str, Timing, float]] = []
    for label, products in ((f"{len(small)} SKUs", small), (f"{len(large)} SKUs", large)):
        started = time.perf_counter()
        parser = BuiltinParser(products)
        build_s = time.perf_counter() - started
        rows.append((label, timed(parser, generated_messages(products, opts.messages,
                                                              opts.seed)), build_s))
    print(f"{'catalog':<12} {'p50 ms':>8} {'p99 ms':>8} {'cpu p50':>8} {'cpu p99':>8} "
          f"{'build s':>8}")
    for label, t, build_s in rows:
        print(f"{label:<12} {t.p50:8.3f} {t.p99:8.3f} {t.cpu_p50:8.3f} {t.cpu_p99:8.3f} "
              f"{build_s:8.2f}")
    (small_label, small_t, _), (large_label, large_t, _) = rows
    ratio = large_t.p99 / small_t.p99
    cpu_ratio = large_t.cpu_p99 / small_t.cpu_p99
    memory = matcher_memory_mb(large)
    print(f"p99 ratio {large_label} / {small_label}: {ratio:.2f} wall, {cpu_ratio:.2f} cpu"
          "  (target <= 3)")
    print(f"matcher memory at {len(large)} SKUs: {memory:.1f} MB  (target < 200 MB)")
    p50s = [t.cpu_p50 if opts.cpu else t.p50 for _, t, _ in rows]
    p99s = [t.cpu_p99 if opts.cpu else t.p99 for _, t, _ in rows]
    judged_ratio = cpu_ratio if opts.cpu else ratio
    ok = max(p50s) <= 1 and max(p99s) <= 5 and judged_ratio <= 3 and memory < 200
    print(("targets met" if ok else "TARGETS MISSED") + (" (cpu time)" if opts.cpu else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
