"""The `dms` command (spec/runtime.md)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import ArgumentError

from api.settings import Settings
from bot.observability import configure_logging, register_secret
from domain.errors import DomainError, ImportFailed
from domain.services.imports import ImportReport


def _uow(settings: Settings):  # type: ignore[no-untyped-def]
    from domain.adapters.database import make_engine, migrate
    from domain.adapters.sql_uow import SqlUnitOfWork

    migrate(settings.DATABASE_URL)
    return SqlUnitOfWork(make_engine(settings.DATABASE_URL))


def _import(args: argparse.Namespace, run: Callable[..., ImportReport]) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        report = run(_uow(Settings()), text)
    except ImportFailed as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(report)
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    from domain.services.imports import import_catalog

    return _import(args, import_catalog)


def cmd_parties_import(args: argparse.Namespace) -> int:
    from domain.services.imports import import_parties

    return _import(args, import_parties)


def cmd_schemes_import(args: argparse.Namespace) -> int:
    from domain.services.imports import import_schemes

    return _import(args, import_schemes)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from domain.adapters.database import migrate

    settings = Settings()
    if args.workers > 1 and not settings.REDIS_URL:
        # Without Redis each process keeps its own drafts and locks: a shop's YES could land
        # on a process that never saw its order.
        print(f"--workers {args.workers} needs REDIS_URL: the worker processes share "
              "conversation state, locks and the reply cache through Redis. Set REDIS_URL, "
              "or serve with one worker.", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    migrate(settings.DATABASE_URL)
    os.environ["DMS_CONFIGURE_LOGGING"] = "1"  # worker processes set up logging as we did
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker process keeps its own counters; this folder lets /metrics add them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dms-metrics-")
    uvicorn.run("api.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, proxy_headers=True, log_config=None,
                access_log=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from api.worker import run_worker

    return run_worker(Settings())


def cmd_alerts_run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from api.worker import stock_alerts_for_all
    from domain.adapters.database import make_engine, migrate
    from domain.adapters.sql_uow import SqlUnitOfWork

    settings = Settings()
    migrate(settings.DATABASE_URL)
    engine = make_engine(settings.DATABASE_URL)
    raised = stock_alerts_for_all(lambda: SqlUnitOfWork(engine), settings, datetime.now(UTC))
    print(f"{raised} new stock alert(s) queued")
    return 0


def cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    from api.telegram_cli import set_webhook

    return set_webhook(Settings())


def cmd_demo(args: argparse.Namespace) -> int:
    from domain.services.demo_data import build_demo

    settings = Settings()
    report = build_demo(_uow(settings))
    print(report)
    if args.data_only:
        return 0
    print("Web chat:  http://127.0.0.1:8000/chat")
    print("API docs:  http://127.0.0.1:8000/docs")
    return cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, workers=1))


def _nlu_backend(args: argparse.Namespace) -> tuple[str, str | None]:
    """--backend/--rasa-url, else NLU_BACKEND/RASA_URL: the parser the bot would use."""
    settings = Settings()
    return args.backend or settings.NLU_BACKEND, args.rasa_url or settings.RASA_URL


def cmd_nlu_parse(args: argparse.Namespace) -> int:
    from nlu.evaluation import run_nlu_parse

    backend, rasa_url = _nlu_backend(args)
    return run_nlu_parse(Path(args.catalog), args.text, args.role, sys.stdout, backend,
                         rasa_url)


def cmd_nlu_eval(args: argparse.Namespace) -> int:
    from nlu.evaluation import run_nlu_eval

    predictions = Path(args.predictions) if args.predictions else None
    backend, rasa_url = _nlu_backend(args)
    return run_nlu_eval(Path(args.catalog), Path(args.cases), args.json, predictions,
                        sys.stdout, backend, rasa_url)


def cmd_nlu_export_rasa(args: argparse.Namespace) -> int:
    from nlu.rasa_export import run_export_rasa

    if args.catalog:
        from domain.services.catalog_file import load_catalog_csv

        products = load_catalog_csv(Path(args.catalog))
    else:  # the catalog the bot serves
        with _uow(Settings()) as uow:
            products = [p for p in uow.products.list() if p.active]
    if not products:
        print("no products: import a catalog or pass --catalog", file=sys.stderr)
        return 2
    examples = Path(args.examples) if args.examples else None
    return run_export_rasa(Path(args.dir), products, examples, sys.stdout, args.epochs)


def cmd_schemes_eval(args: argparse.Namespace) -> int:
    from domain.services.scheme_eval import run_scheme_eval

    return run_scheme_eval(Path(args.catalog), Path(args.cases), args.json, sys.stdout)


def cmd_tokens_create(args: argparse.Namespace) -> int:
    from domain.errors import InvalidInput
    from domain.services.console_tokens import create_token

    try:
        token_id, token = create_token(_uow(Settings()), args.role)
    except InvalidInput as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"token {token_id} ({args.role}); shown once, keep it safe:")
    print(token)
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    from domain.errors import NotFound
    from domain.services.console_tokens import revoke_token

    try:
        revoke_token(_uow(Settings()), args.id)
    except NotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"token {args.id} revoked")
    return 0


def cmd_schemes_settle(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from domain.adapters.database import make_engine, migrate
    from domain.adapters.sql_uow import SqlUnitOfWork
    from domain.errors import DomainError
    from domain.services.period_schemes import settle_scheme

    settings = Settings()
    migrate(settings.DATABASE_URL)
    engine = make_engine(settings.DATABASE_URL)
    with SqlUnitOfWork(engine) as uow:
        catalog = {p.sku: p for p in uow.products.list()}
    now = datetime.now(UTC)
    try:
        done = settle_scheme(lambda: SqlUnitOfWork(engine), args.scheme, catalog, now.date(), now)
    except DomainError as exc:
        print(exc, file=sys.stderr)
        return 1
    for s in done:
        state = "credit note issued" if s.created else "already settled"
        print(f"{s.party_id}: Rs {s.amount} ({state})")
    print(f"{sum(s.created for s in done)} new credit note(s), "
          f"{sum(not s.created for s in done)} already settled")
    return 0


def _bounded(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}")
        return value

    return parse


_row_id = _bounded(1, 2**31 - 1, "an id")  # the tables' INTEGER keys
_port = _bounded(1, 65535, "a port")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dms", description="chat-dms: the DMS that lives in chat")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="create the demo data set (if absent) and serve")
    demo.add_argument("--data-only", action="store_true", help="stop after the data")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve webhooks, console and web chat")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="deliver queued messages and run daily jobs (Redis)")
    worker.set_defaults(func=cmd_worker)
    alerts = sub.add_parser("alerts").add_subparsers(dest="action", required=True)
    run = alerts.add_parser("run", help="check every distributor's stock now")
    run.set_defaults(func=cmd_alerts_run)

    for name, func, what in (
        ("catalog", cmd_catalog_import, "products CSV"),
        ("parties", cmd_parties_import, "parties CSV"),
        ("schemes", cmd_schemes_import, "schemes JSON or YAML"),
    ):
        group = sub.add_parser(name).add_subparsers(dest="action", required=True)
        imp = group.add_parser("import", help=f"upsert from a {what} (all or nothing)")
        imp.add_argument("file")
        imp.set_defaults(func=func)
        if name == "schemes":
            ev = group.add_parser("eval", help="price evaluation cases (schemes.md)")
            ev.add_argument("--catalog", required=True)
            ev.add_argument("--json", action="store_true")
            ev.add_argument("cases")
            ev.set_defaults(func=cmd_schemes_eval)
            settle = group.add_parser("settle", help="settle a period scheme as credit notes")
            settle.add_argument("--scheme", required=True)
            settle.set_defaults(func=cmd_schemes_settle)

    telegram = sub.add_parser("telegram").add_subparsers(dest="action", required=True)
    hook = telegram.add_parser("set-webhook", help="register the Telegram webhook and its secret")
    hook.set_defaults(func=cmd_telegram_set_webhook)

    tokens = sub.add_parser("tokens").add_subparsers(dest="action", required=True)
    create = tokens.add_parser("create", help="a console token for a role (shown once)")
    create.add_argument("--role", required=True, choices=("admin", "manager", "read-only"))
    create.set_defaults(func=cmd_tokens_create)
    revoke = tokens.add_parser("revoke", help="revoke a console token by id")
    revoke.add_argument("id", type=_row_id)
    revoke.set_defaults(func=cmd_tokens_revoke)

    nlu = sub.add_parser("nlu").add_subparsers(dest="action", required=True)
    parse = nlu.add_parser("parse", help="parse one message and print it as JSON")
    parse.add_argument("--catalog", required=True)
    parse.add_argument("--role", default="retailer")
    parse.add_argument("text")
    parse.set_defaults(func=cmd_nlu_parse)
    ev = nlu.add_parser("eval", help="score the parser on annotated messages (nlu-eval.md)")
    ev.add_argument("--catalog", required=True)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--predictions")
    ev.add_argument("cases")
    ev.set_defaults(func=cmd_nlu_eval)
    for command in (parse, ev):
        command.add_argument("--backend", choices=("builtin", "rasa"),
                             help="default: NLU_BACKEND")
        command.add_argument("--rasa-url", help="default: RASA_URL")
    rasa = nlu.add_parser("export-rasa", help="write a Rasa 3.x NLU project to train")
    rasa.add_argument("dir")
    rasa.add_argument("--catalog", help="catalog CSV (default: the database's catalog)")
    rasa.add_argument("--examples", help="annotated cases JSONL to train on as well")
    rasa.add_argument("--epochs", type=int, default=40, help="DIETClassifier epochs")
    rasa.set_defaults(func=cmd_nlu_export_rasa)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"bad settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(json_lines=settings.log_json)
    for secret in settings.secrets():
        register_secret(secret)
    try:
        result: int = args.func(args)
    except (OSError, ValueError, ImportFailed, DomainError, ArgumentError) as exc:
        # A file that is missing, a directory, not UTF-8 or not JSON, a bad catalog, a
        # malformed DATABASE_URL: one line saying so, not a traceback.
        print(f"dms {args.command}: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
