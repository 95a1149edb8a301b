"""Load benchmark of the WhatsApp (Twilio) webhook against two references, on one machine.

    .venv/bin/python bench/webhook_load.py [--duration 20] [--warmup 5] [--connections 32]
        [--threads 2] [--workers 2] [--retailers 1000] [--database dms_bench] [--redis-db 3]
        [--targets bare,stateful,dms[,dms-edge]] [--py-spy DIR] [--json FILE] [--keep DIR]

Needs `wrk` (Debian/Ubuntu: `apt-get install -y wrk`; macOS: `brew install wrk`), PostgreSQL on
127.0.0.1:5432 (trust auth, user postgres) and Redis on 127.0.0.1:6379.

What one run does:
1. Drops and recreates the database (default dms_bench) and flushes one Redis db (default 3;
   the test suite picks from 4 to 15), runs `dms demo --data-only`, then registers
   --retailers extra retailers with `dms parties import` of a generated CSV.
2. Serves three webhooks in turn, each with uvicorn as `dms serve` does (factory, --workers 2,
   proxy headers, no access log): `bare` (parse the form, fixed TwiML), `stateful` (also
   SET NX the MessageSid in Redis and insert one PostgreSQL row) from bench/reference_apps.py,
   and `dms` itself (`dms serve --workers 2`, outbox relay on).
3. Drives each with wrk and bench/webhook_load.lua: --warmup seconds, then --duration
   measured seconds, --connections connections. Every request is pre-signed like Twilio's
   (X-Twilio-Signature over PUBLIC_BASE_URL + path + sorted params) with a fresh MessageSid,
   and sent exactly once. Each retailer's phone talks like a shop: an order of 2-5 catalog
   items, then YES, sometimes "statement" or "my orders". One phone's messages all go through
   one wrk thread, round-robin over ~500 phones, so its next message leaves only after
   hundreds of others: in order and one at a time, as from a real phone.
4. Prints messages/s, p50/p99 and errors for each, the CPU per message of the app and of
   PostgreSQL, Redis and wrk, the ratios dms/bare and dms/stateful, what the target rate
   would take of the machine at the measured cost per message, and checks that no answered
   message was lost (every 200 has its inbound_message row, resp. bench_inbound row) and that
   every YES placed exactly one order.

`--targets ...,dms-edge` adds the app answering the same signed posts without a MessageSid
(empty TwiML before the inbox): the cost of its HTTP edge alone, the ceiling for any handler.

Exit status: 0 when clean and on target (dms >= 0.5 x stateful, p99 <= 250 ms), 1 on errors or
lost messages, 2 when the machine lacks something (wrk, PostgreSQL, Redis), 3 when clean but off
target. Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from redis import Redis  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from bench.reference_apps import TABLE_DDL  # noqa: E402
from domain.model.catalog import Product  # noqa: E402
from domain.services.demo_data import demo_products  # noqa: E402
from nlu.builtin_parser import BuiltinParser  # noqa: E402
from nlu.parse_result import ParseContext  # noqa: E402

HOST = "127.0.0.1"
PATH = "/webhooks/twilio"
AUTH_TOKEN = "bench-twilio-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://dms-bench.example.test"
ACCOUNT_SID = "AC" + "0" * 32
TWILIO_NUMBER = "whatsapp:+14155238886"
LUA = Path(__file__).with_name("webhook_load.lua")
REFERENCE_APPS = Path(__file__).with_name("reference_apps.py")
VENV_BIN = Path(sys.executable).parent
PORTS = {"bare": 8041, "stateful": 8042, "dms": 8043, "dms-edge": 8044}
# dms-edge (optional): the app, posted the same signed forms without a MessageSid, which the
# route answers with empty TwiML before the inbox: what the HTTP edge alone costs (middleware,
# logging, form, signature), the ceiling of any handler behind it.
SID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")
TARGET_RATIO, TARGET_P99_MS = 0.5, 250.0
# ~1,100 phones share the whole load: at the target (half the stateful reference, ~1,000
# messages a second here) each sends ~55 a minute, over the default limit of 30. Throttled
# messages get "too fast" without touching the database, so the bench would measure the
# limiter instead of the webhook. The limit stays on (its Redis round trip is part of the
# cost) at a level this load cannot reach; real shops type far slower than these phones.
RATE_LIMIT_PER_MINUTE = 100_000
STARTUP_TIMEOUT_S = 90.0
SETTLE_S = 3.0  # after wrk stops, for requests it abandoned mid-flight to finish server-side

YES_TEXTS = ("YES", "yes", "Yes", "1", "haan", "confirm")  # "1": the first numbered choice
STATEMENT_TEXTS = ("statement", "my statement", "statement this month", "hisab bhejo")
ORDERS_TEXTS = ("my orders", "order status", "mera order kahan hai")
SEPARATORS = (", ", " aur ", " and ", ", ", "\n")
UNIT_WORDS = {"case": ("cs", "case", "cases", "peti"), "box": ("box", "boxes", "dabba"),
              "dozen": ("dozen", "dz"), "bag": ("bag", "bags"), "pack": ("pack", "packs")}
ORDER_PREFIXES = ("", "", "", "bhejo ", "send ", "order: ")


# -- the data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    party_id: str
    phone: str
    name: str


def admin_url(base: str, database: str) -> str:
    return f"{base.rstrip('/')}/{database}"


def recreate_database(pg_base: str, database: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]*bench[a-z0-9_]*", database):
        raise SystemExit(f"refusing to drop {database!r}: the bench database name must "
                         "contain 'bench'")
    with psycopg.connect(admin_url(pg_base, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def retailers_csv(count: int, rng: random.Random) -> str:
    distributors = {"D-001": ("NORTH-1", "NORTH-2", "NORTH-3"), "D-002": ("WEST-1", "WEST-2"),
                    "D-003": ("SOUTH-1", "SOUTH-2")}
    regions = {"D-001": "north", "D-002": "west", "D-003": "south"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "role", "name", "phone", "telegram_user_id", "distributor_id",
                     "route", "region", "lat", "lon", "outlet_class", "channel",
                     "credit_limit"])
    for n in range(1, count + 1):
        distributor = rng.choice(sorted(distributors))
        writer.writerow([
            f"RB-{n:05d}", "retailer", f"Bench Kirana {n}", f"+9199{n:08d}", "", distributor,
            rng.choice(distributors[distributor]), regions[distributor],
            f"{26.9 + rng.uniform(-0.05, 0.05):.6f}", f"{75.8 + rng.uniform(-0.05, 0.05):.6f}",
            rng.choice("ABC"), "general_trade", rng.choice(("50000", "100000", "200000")),
        ])
    return out.getvalue()


def prepare_data(env: dict[str, str], workdir: Path, retailers: int) -> None:
    dms = str(VENV_BIN / "dms")
    run([dms, "demo", "--data-only"], env)
    parties = workdir / "bench_retailers.csv"
    parties.write_text(retailers_csv(retailers, random.Random(1000)), encoding="utf-8")
    run([dms, "parties", "import", str(parties)], env)


def run(cmd: Sequence[str], env: dict[str, str]) -> None:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                          check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    print(f"  {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}: "
          f"{done.stdout.strip().splitlines()[-1] if done.stdout.strip() else 'ok'} "
          f"({time.perf_counter() - started:.1f} s)")


def load_senders(database_url: str) -> list[Sender]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, phone, name FROM party WHERE role = 'retailer' "
                            "AND active ORDER BY id").fetchall()
    return [Sender(str(i), str(p), str(n)) for i, p, n in rows]


# -- what shops say -------------------------------------------------------------------------


@dataclass
class Phrasebook:
    """Messages checked against the app's own parser, so each means what the bench expects."""

    orders: list[str]
    yes: list[str]
    statement: list[str]
    my_orders: list[str]


def build_phrasebook(products: list[Product], rng: random.Random, size: int = 1200
                     ) -> Phrasebook:
    parser = BuiltinParser(products)
    context = ParseContext(role="retailer", now=datetime.now(UTC), sender="BENCH")
    items: list[tuple[str, str]] = []  # (sku, phrase)
    for product in products:
        if not product.active:
            continue
        unit = product.default_unit
        for alias in (product.name.lower(), *product.aliases):
            for word in UNIT_WORDS.get(unit, (unit,)):
                qty = rng.choice((1, 2, 2, 3, 4, 5, 6, 10))
                phrase = f"{qty} {word} {alias}"
                parse = parser.parse(phrase, context)
                if (parse.intent == "place_order" and len(parse.items) == 1
                        and parse.items[0].sku == product.sku and not parse.unknown
                        and parse.items[0].qty == Decimal(qty)
                        and (parse.items[0].unit or unit) == unit):
                    items.append((product.sku, phrase))
    if len(items) < 50:
        raise SystemExit(f"only {len(items)} unambiguous catalog phrases: the parser changed?")
    orders: list[str] = []
    for _ in range(size * 20):  # bounded: most combinations parse cleanly
        if len(orders) >= size:
            break
        picked: dict[str, str] = {}
        for sku, phrase in rng.sample(items, k=rng.randint(2, 5) * 2):
            picked.setdefault(sku, phrase)
        chosen = list(picked.items())[: rng.randint(2, 5)]
        if len(chosen) < 2:
            continue
        text = rng.choice(ORDER_PREFIXES) + rng.choice(SEPARATORS).join(p for _, p in chosen)
        parse = parser.parse(text, context)
        if (parse.intent == "place_order" and not parse.unknown
                and sorted(i.sku or "?" for i in parse.items) == sorted(s for s, _ in chosen)):
            orders.append(text)
    if len(orders) < size // 2:
        raise SystemExit(f"only {len(orders)} multi-item orders parse as meant")

    def checked(texts: Sequence[str], intent: str) -> list[str]:
        good = [t for t in texts if t == "1" or parser.parse(t, context).intent == intent]
        if not good:
            raise SystemExit(f"none of {texts} parses as {intent}")
        return good

    return Phrasebook(orders, checked(YES_TEXTS, "confirm"),
                      checked(STATEMENT_TEXTS, "statement_query"),
                      checked(ORDERS_TEXTS, "order_status"))


@dataclass(frozen=True)
class Message:
    kind: str  # order | yes | statement | my_orders
    sender: Sender
    text: str


def conversation(sender: Sender, book: Phrasebook, rng: random.Random) -> Iterator[Message]:
    """One shop, for ever: order, YES, sometimes a statement or its orders; a random start so
    that at any moment the phones are at different steps."""
    if rng.random() < 0.3:
        yield Message("statement", sender, rng.choice(book.statement))
    while True:
        yield Message("order", sender, rng.choice(book.orders))
        yield Message("yes", sender, rng.choice(book.yes))
        roll = rng.random()
        if roll < 0.2:
            yield Message("statement", sender, rng.choice(book.statement))
        elif roll < 0.35:
            yield Message("my_orders", sender, rng.choice(book.my_orders))


@dataclass
class Stream:
    """One wrk thread's requests: its own phones, round-robin, each request signed once."""

    conversations: list[Iterator[Message]]
    sids: Iterator[str]
    validator: RequestValidator
    edge_only: bool = False  # leave the message ids out (the dms-edge target)
    pending: list[tuple[str, str, Message]] = field(default_factory=list)  # sid, line, msg
    sent: list[tuple[str, Message]] = field(default_factory=list)
    _turn: int = 0

    def _next(self) -> tuple[str, str, Message]:
        msg = next(self.conversations[self._turn % len(self.conversations)])
        self._turn += 1
        sid = next(self.sids)
        form = {
            "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": msg.sender.name,
            "MessageType": "text", "SmsSid": sid, "WaId": msg.sender.phone.lstrip("+"),
            "SmsStatus": "received", "Body": msg.text, "To": TWILIO_NUMBER,
            "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": sid,
            "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{msg.sender.phone}",
            "ApiVersion": "2010-04-01",
        }
        if self.edge_only:
            form = {k: v for k, v in form.items() if k not in SID_FIELDS}
        signature = self.validator.compute_signature(PUBLIC_BASE_URL + PATH, form)
        return sid, f"{signature}\t{urlencode(form)}", msg

    def fill(self, count: int) -> None:
        while len(self.pending) < count:
            self.pending.append(self._next())

    def write(self, path: Path, count: int) -> None:
        self.fill(count)
        path.write_text("".join(line + "\n" for _, line, _ in self.pending[:count]),
                        encoding="utf-8")

    def consumed(self, count: int) -> None:
        """wrk sent the first `count` pending requests; the rest stay first in line."""
        self.sent += [(sid, msg) for sid, _, msg in self.pending[:count]]
        del self.pending[:count]


def make_streams(senders: list[Sender], book: Phrasebook, threads: int, seed: int,
                 edge_only: bool = False) -> list[Stream]:
    rng = random.Random(seed)
    run_tag = secrets.token_hex(4)
    counter = iter(range(1, 1 << 62))
    sids = (f"SM{run_tag}{n:024x}" for n in counter)
    validator = RequestValidator(AUTH_TOKEN)
    shuffled = senders[:]
    rng.shuffle(shuffled)
    streams = []
    for t in range(threads):
        mine = shuffled[t::threads]
        streams.append(Stream(
            [conversation(s, book, random.Random(rng.random())) for s in mine], sids,
            validator, edge_only))
    return streams


# -- servers --------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (not multiprocessing's resource tracker)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = []
        try:
            for pid in children.read_text().split():
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(int(pid))
        except OSError:
            pass
        return pids

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user, system) the workers have used so far."""
        user = system = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            user, system = user + int(fields[11]), system + int(fields[12])  # utime, stime
        ticks = os.sysconf("SC_CLK_TCK")
        return user / ticks, system / ticks

    def stop(self) -> None:
        if self.process.poll() is None:
            # Our own process group (start_new_session): the uvicorn parent and its workers.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(name: str, cmd: list[str], env: dict[str, str], port: int, workdir: Path
                 ) -> Server:
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=ROOT)
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited at start; see {log_path}:\n"
                             f"{log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as res:
                if res.status == 200 and len(server.worker_pids()) >= int(
                        env.get("BENCH_WORKERS", "1")):
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    server.stop()
    raise SystemExit(f"{name} did not answer /healthz in {STARTUP_TIMEOUT_S:.0f} s; see {log_path}")


# The services every target shares, by process name: their CPU per message shows what a
# target's database and Redis work costs beside its own (a machine-wide floor: PostgreSQL's
# backends, WAL writer and checkpointer alike).
SERVICE_PROCESSES = {"postgres": "pg", "redis-server": "redis"}


def service_cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) used so far by the processes in SERVICE_PROCESSES, and by this
    process's reaped children (wrk: each run starts and ends between two readings). A process
    that exits between two readings loses its share: PostgreSQL's pooled backends live on."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(SERVICE_PROCESSES.values(), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = SERVICE_PROCESSES.get(stat[stat.index("(") + 1:stat.rindex(")")])
        if name is not None:
            fields = stat.rsplit(")", 1)[1].split()
            used[name] += (int(fields[11]) + int(fields[12])) / ticks
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] = children.ru_utime + children.ru_stime
    return used


def busy_cpu_seconds() -> float:
    """The whole machine's non-idle CPU time so far (/proc/stat: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


# -- wrk ------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    duration_s: float
    requests: int
    ok: int
    not_ok: int
    sent: list[int]
    exhausted: bool
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    answered: int = 0  # 200s over warm-up and measured run: what the loss check counts
    cpu_ms_per_msg: float | None = None  # the server's workers, user + system
    system_share: float | None = None  # of that CPU time, the kernel's part
    service_ms_per_msg: dict[str, float] = field(default_factory=dict)  # pg, redis, wrk
    busy_cpus: float | None = None  # the machine's non-idle CPUs over the measured run

    @property
    def rate(self) -> float:
        return self.ok / self.duration_s if self.duration_s else 0.0

    @property
    def error_count(self) -> int:
        """Non-200 answers and socket errors (wrk's own "status" count is within not_ok)."""
        return self.not_ok + sum(v for k, v in self.errors.items() if k != "status")


def run_wrk(server: Server, prefix: Path, seconds: float, args: argparse.Namespace
            ) -> WrkResult:
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s",
           "--timeout", "10s", "-s", str(LUA), server.url, "--", str(prefix), PATH]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120,
                          check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    threads = sorted(data["threads"], key=lambda t: int(t["id"]))
    latency = data["latency_us"]
    return WrkResult(
        duration_s=data["duration_us"] / 1e6, requests=int(data["requests"]),
        ok=sum(int(t["ok"]) for t in threads), not_ok=sum(int(t["not_ok"]) for t in threads),
        sent=[int(t["sent"]) for t in threads],
        exhausted=any(int(t["exhausted"]) for t in threads), errors=data["errors"],
        p50_ms=latency["p50"] / 1000, p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000, max_ms=latency["max"] / 1000)


def drive(server: Server, streams: list[Stream], workdir: Path, args: argparse.Namespace
          ) -> WrkResult:
    """Warm-up, then the measured run, continuing each thread's stream where it stopped."""
    threads = len(streams)
    warm_count = int(args.max_rate * args.warmup / threads) + 100
    prefix = workdir / f"{server.name}-warmup"
    for n, stream in enumerate(streams):
        stream.write(Path(f"{prefix}.{n}.txt"), warm_count)
    warm = run_wrk(server, prefix, args.warmup, args)
    if warm.exhausted:  # it warmed up for a little less time: the measured run is sized below
        print(f"  (the warm-up ran out of requests after {warm.duration_s:.1f} s; "
              "--max-rate sizes it)")
    for stream, sent in zip(streams, warm.sent, strict=True):
        stream.consumed(sent)
    print(f"  warm-up: {warm.rate:,.0f} msg/s, p99 {warm.p99_ms:.1f} ms, "
          f"errors {warm.error_count}")
    # Room for twice the warm-up rate; a thread that still runs out fails the run loudly.
    per_thread = int(max(2 * warm.rate, args.max_rate / 4) * args.duration / threads) + 100
    prefix = workdir / f"{server.name}-measure"
    for n, stream in enumerate(streams):
        stream.write(Path(f"{prefix}.{n}.txt"), per_thread)
    profilers = start_profilers(server, args) if args.py_spy and server.name == "dms" else []
    user_before, system_before = server.cpu_seconds()
    services_before, busy_before = service_cpu_seconds(), busy_cpu_seconds()
    clock_before = time.monotonic()
    result = run_wrk(server, prefix, args.duration, args)
    if result.ok:
        user, system = server.cpu_seconds()
        services, busy = service_cpu_seconds(), busy_cpu_seconds()
        result.cpu_ms_per_msg = (user - user_before + system - system_before) * 1000 / result.ok
        result.system_share = (system - system_before) / max(
            user - user_before + system - system_before, 1e-9)
        result.service_ms_per_msg = {name: (used - services_before[name]) * 1000 / result.ok
                                     for name, used in services.items()}
        result.busy_cpus = (busy - busy_before) / (time.monotonic() - clock_before)
    for profiler in profilers:
        profiler.wait(timeout=args.duration + 60)
    for stream, sent in zip(streams, result.sent, strict=True):
        stream.consumed(sent)
    if result.exhausted:
        raise SystemExit(f"{server.name}: the measured run ran out of requests; "
                         "raise --max-rate")
    result.answered = result.ok + warm.ok  # the loss check covers both runs
    result.not_ok += warm.not_ok
    for key, value in warm.errors.items():
        result.errors[key] = result.errors.get(key, 0) + value
    return result


def start_profilers(server: Server, args: argparse.Namespace) -> list[subprocess.Popen[bytes]]:
    py_spy = shutil.which("py-spy") or str(VENV_BIN / "py-spy")
    if not Path(py_spy).exists():
        print("  (py-spy not found: `.venv/bin/pip install py-spy`; no profile taken)")
        return []
    out = Path(args.py_spy)
    out.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in server.worker_pids():
        procs.append(subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--duration", str(int(args.duration)),
             "--rate", "200", "--gil", "--format", "raw",
             "--output", str(out / f"dms-{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    print(f"  py-spy recording workers {server.worker_pids()} into {out}")
    return procs


# -- checks ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    result: WrkResult
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_dms(database_url: str, streams: list[Stream], result: WrkResult, started: datetime
              ) -> Outcome:
    outcome = Outcome("dms", result)
    sent = [(f"whatsapp:{sid}", msg) for stream in streams for sid, msg in stream.sent]
    kinds = {key: msg.kind for key, msg in sent}
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT key, reply FROM inbound_message WHERE key = ANY(%s)",
                            ([k for k, _ in sent],)).fetchall()
        orders = conn.execute("SELECT count(*), count(DISTINCT draft_id) FROM sales_order "
                              "WHERE created_at >= %s", (started,)).fetchone()
    stored = {str(k): str(r) for k, r in rows}
    n_orders, n_drafts = (int(orders[0]), int(orders[1])) if orders else (0, 0)
    outcome.notes.append(f"sent {len(sent):,} messages, {result.answered:,} answered 200, "
                         f"{len(stored):,} in inbound_message")
    if len(stored) < result.answered:
        outcome.problems.append(f"{result.answered - len(stored):,} answered messages have no "
                                "inbound_message row (lost)")
    # A YES confirms the order its phone sent just before. When wrk stops (end of the
    # warm-up) with that order in flight, the server may never read it: the client hung up
    # (Twilio would retry; wrk does not). Such a YES rightly finds no draft: not counted.
    last_order: dict[str, str] = {}
    yes_keys, orphans = [], 0
    for key, msg in sent:
        if msg.kind == "order":
            last_order[msg.sender.phone] = key
        elif msg.kind == "yes" and key in stored:
            if last_order.get(msg.sender.phone) in stored:
                yes_keys.append(key)
            else:
                orphans += 1
    placed = [k for k in yes_keys if re.search(r"ORD-\d+\*? placed", stored[k])]
    outcome.notes.append(f"{len(yes_keys):,} YES after a handled order, {len(placed):,} placed "
                         f"an order; {n_orders:,} new orders ({n_drafts:,} distinct drafts)"
                         + (f"; {orphans} YES after an order cut off in flight" if orphans
                            else ""))
    all_placed = sum(1 for k, kind in kinds.items()
                     if kind == "yes" and re.search(r"ORD-\d+\*? placed", stored.get(k, "")))
    if n_orders != all_placed or n_drafts != n_orders:
        outcome.problems.append(f"{all_placed:,} YES replies announce an order but "
                                f"{n_orders:,} orders were created")
        outcome.problems += unannounced_orders(database_url, started, set(kinds))
    if len(placed) < len(yes_keys):
        outcome.problems.append(f"{len(yes_keys) - len(placed):,} YES found no draft to place")
    return outcome


def unannounced_orders(database_url: str, started: datetime, sent: set[str], show: int = 5
                       ) -> list[str]:
    """Orders of the run that no reply to a message the bench sent announces, each with the
    message that did announce it (if any: another client of the same database?) and its
    shop's messages, so that a mismatch says which message did what."""
    lines: list[str] = []
    with psycopg.connect(database_url) as conn:
        orders = conn.execute(
            "SELECT o.number, o.party_id, o.created_at, m.key FROM sales_order o LEFT JOIN "
            "inbound_message m ON m.reply LIKE '%%' || o.number || '* placed%%' "
            "WHERE o.created_at >= %s ORDER BY o.id", (started,)).fetchall()
        for number, party_id, created_at, key in orders:
            if key in sent or len(lines) > show * 20:
                continue
            lines.append(f"  {number} of {party_id} at {created_at:%H:%M:%S.%f} is announced "
                         f"by {key or 'no stored reply'}, not a message the bench sent; that "
                         "shop's messages:")
            for msg_key, received_at, reply in conn.execute(
                    "SELECT key, received_at, reply FROM inbound_message WHERE party_id = %s "
                    "AND received_at >= %s ORDER BY received_at", (party_id, started)):
                lines.append(f"    {received_at:%H:%M:%S.%f} {msg_key}: {str(reply)[:100]}")
    return lines


def check_stateful(database_url: str, streams: list[Stream], result: WrkResult) -> Outcome:
    outcome = Outcome("stateful", result)
    sids = [sid for stream in streams for sid, _ in stream.sent]
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM bench_inbound WHERE key = ANY(%s)",
                           (sids,)).fetchone()
    stored = int(row[0]) if row else 0
    outcome.notes.append(f"sent {len(sids):,}, {result.answered:,} answered 200, "
                         f"{stored:,} rows")
    if stored < result.answered:
        outcome.problems.append(f"{result.answered - stored:,} answered messages have no row "
                                "(lost)")
    return outcome


# -- the run --------------------------------------------------------------------------------


def measure(name: str, args: argparse.Namespace, env: dict[str, str], workdir: Path,
            senders: list[Sender], book: Phrasebook, database_url: str) -> Outcome:
    port = PORTS[name]
    if name in ("dms", "dms-edge"):
        cmd = [str(VENV_BIN / "dms"), "serve", "--host", HOST, "--port", str(port),
               "--workers", str(args.workers)]
    else:
        cmd = [sys.executable, str(REFERENCE_APPS), name, "--host", HOST, "--port", str(port),
               "--workers", str(args.workers)]
    print(f"{name}: serving on {HOST}:{port} with {args.workers} workers")
    streams = make_streams(senders, book, args.threads, seed=args.seed,
                           edge_only=name == "dms-edge")
    started = datetime.now(UTC)
    server = start_server(name, cmd, env, port, workdir)
    try:
        result = drive(server, streams, workdir, args)
        time.sleep(SETTLE_S)
    finally:
        server.stop()
    if name == "dms":
        outcome = check_dms(database_url, streams, result, started)
    elif name == "stateful":
        outcome = check_stateful(database_url, streams, result)
    else:
        outcome = Outcome(name, result)
    if result.error_count:
        outcome.problems.append(f"errors: {result.not_ok} non-200, socket {result.errors}")
    print(f"  {result.rate:,.0f} msg/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
    return outcome


def floor_at_target(dms: WrkResult, rate: float) -> str:
    """What the target rate would take of the machine at the CPU per message just measured:
    the services' part (database, Redis, load generator) alone, then with the app's."""
    services = sum(dms.service_ms_per_msg.values()) * rate / 1000
    app = (dms.cpu_ms_per_msg or 0.0) * rate / 1000
    return (f"at {rate:,.0f} msg/s (the target) this work per message would take "
            f"{services:.2f} CPUs for PostgreSQL, Redis and wrk alone, {services + app:.2f} "
            f"with the app's; the machine has {os.cpu_count()}")


def report(outcomes: dict[str, Outcome]) -> int:
    print()
    print(f"{'':<10}{'msgs/s':>10}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}"
          f"{'errors':>9}{'cpu ms/msg':>12}{'sys %':>7}{'pg':>7}{'redis':>7}{'wrk':>7}"
          f"{'busy':>7}")
    for name, o in outcomes.items():
        r = o.result
        cpu = f"{r.cpu_ms_per_msg:.2f}" if r.cpu_ms_per_msg is not None else "-"
        system = f"{100 * r.system_share:.0f}" if r.system_share is not None else "-"
        services = "".join(f"{r.service_ms_per_msg[s]:>7.2f}" if s in r.service_ms_per_msg
                           else f"{'-':>7}" for s in ("pg", "redis", "wrk"))
        busy = f"{r.busy_cpus:.2f}" if r.busy_cpus is not None else "-"
        print(f"{name:<10}{r.rate:>10,.0f}{r.p50_ms:>10.1f}{r.p90_ms:>10.1f}{r.p99_ms:>10.1f}"
              f"{r.max_ms:>10.1f}{r.error_count:>9}{cpu:>12}{system:>7}{services}{busy:>7}")
    print("(cpu ms/msg: the served app's worker processes only, user + system, over the "
          "measured run; sys %: the kernel's share of it; pg, redis, wrk: the CPU ms per message "
          f"of those processes, machine-wide; busy: non-idle CPUs of {os.cpu_count()})")
    status = 0
    for ours in ("dms", "dms-edge"):
        for ref in ("bare", "stateful"):
            if ours in outcomes and ref in outcomes and outcomes[ref].result.rate:
                print(f"{ours} / {ref}: "
                      f"{outcomes[ours].result.rate / outcomes[ref].result.rate:.3f}")
    dms = outcomes.get("dms")
    if dms is not None and "stateful" in outcomes and outcomes["stateful"].result.rate:
        ratio = dms.result.rate / outcomes["stateful"].result.rate
        on_target = ratio >= TARGET_RATIO and dms.result.p99_ms <= TARGET_P99_MS
        print(f"target: dms >= {TARGET_RATIO} x stateful and p99 <= {TARGET_P99_MS:.0f} ms: "
              f"{'met' if on_target else 'NOT met'}")
        print(floor_at_target(dms.result, TARGET_RATIO * outcomes["stateful"].result.rate))
        status = 0 if on_target else 3
    for o in outcomes.values():
        for note in o.notes:
            print(f"{o.name}: {note}")
        for problem in o.problems:
            print(f"{o.name}: PROBLEM: {problem}")
    if any(o.problems for o in outcomes.values()):
        return 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--retailers", type=int, default=1000)
    parser.add_argument("--pg", default=f"postgresql://postgres@{HOST}:5432")
    parser.add_argument("--database", default="dms_bench")
    parser.add_argument("--redis-db", type=int, default=3)
    parser.add_argument("--targets", default="bare,stateful,dms",
                        help=f"comma-separated, from {', '.join(PORTS)}")
    parser.add_argument("--max-rate", type=float, default=15_000,
                        help="msg/s the warm-up workload is sized for")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--py-spy", metavar="DIR", help="py-spy record dms workers into DIR")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the request files and server logs in DIR (else a temp dir)")
    args = parser.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    if unknown := set(targets) - set(PORTS):
        parser.error(f"unknown targets: {sorted(unknown)}")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")

    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or "
              "`brew install wrk` (macOS)", file=sys.stderr)
        return 2
    database_url = admin_url(args.pg, args.database)
    redis_url = f"redis://{HOST}:6379/{args.redis_db}"
    try:
        recreate_database(args.pg, args.database)
        Redis.from_url(redis_url).flushdb()
    except (psycopg.OperationalError, OSError) as exc:
        print(f"PostgreSQL or Redis unavailable: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # redis raises its own ConnectionError
        print(f"setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DMS_", "PROMETHEUS_"))}
    env.update({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "ENVIRONMENT": "production",
        "LOG_FORMAT": "json", "WEB_CHAT_ENABLED": "false", "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_WHATSAPP_FROM": TWILIO_NUMBER, "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
        "OUTBOX_RELAY_INTERVAL_SECONDS": "2", "BENCH_DATABASE_URL": database_url,
        "BENCH_REDIS_URL": redis_url, "BENCH_WORKERS": str(args.workers),
        # The app served is the one beside this file, even from another checkout.
        "PYTHONPATH": str(ROOT),
    })
    for key in ("ADMIN_API_TOKEN", "TELEGRAM_BOT_TOKEN", "WHATSAPP_TOKEN", "WHATSAPP_APP_SECRET",
                "WHATSAPP_VERIFY_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "RASA_URL", "NLU_BACKEND"):
        env.pop(key, None)

    with tempfile.TemporaryDirectory(prefix="dms-webhook-bench-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"data: {args.database} on {args.pg}, Redis db {args.redis_db}")
        prepare_data(env, workdir, args.retailers)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(TABLE_DDL)
        senders = load_senders(database_url)
        book = build_phrasebook(demo_products(), random.Random(args.seed))
        print(f"  {len(senders):,} retailers talk; {len(book.orders):,} distinct order "
              f"messages of 2-5 items")
        outcomes: dict[str, Outcome] = {}
        for name in targets:
            outcomes[name] = measure(name, args, env, workdir, senders, book, database_url)
        status = report(outcomes)
        if args.json:
            Path(args.json).write_text(json.dumps({
                name: {"msgs_per_s": o.result.rate, "p50_ms": o.result.p50_ms,
                       "cpu_ms_per_msg": o.result.cpu_ms_per_msg,
                       "service_ms_per_msg": o.result.service_ms_per_msg,
                       "busy_cpus": o.result.busy_cpus,
                       "p90_ms": o.result.p90_ms, "p99_ms": o.result.p99_ms,
                       "errors": o.result.errors, "non_200": o.result.not_ok,
                       "problems": o.problems, "notes": o.notes}
                for name, o in outcomes.items()}, indent=2), encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
