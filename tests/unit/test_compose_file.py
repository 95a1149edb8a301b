# data/compose-spec.json is the Compose Specification's JSON schema (compose-spec/compose-spec,
# schema/compose-spec.json), Copyright The Compose Specification Authors, licensed under the
# Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). It is vendored
# unmodified from the copy that the PyPI package docker-compose 1.29.2 (Apache-2.0) ships as
# compose/config/compose_spec.json
# (sha256 0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac).
# That copy is from 2021: every key used in docker-compose.yml is also in the current schema.
"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The Compose file must be valid under the Compose Specification's schema, start the app and
the app only once PostgreSQL and Redis are healthy, and hand the app every setting it reads.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft201909Validator  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"
SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "compose-spec.json"
APP_PACKAGES = ("api", "bot", "nlu", "domain")

# The settings of shared/spec/runtime.md; the source scan below adds any the code reads later.
SPEC_SETTINGS = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_BASE_URL",
        "ADMIN_API_TOKEN",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_WHATSAPP_FROM",
        "WHATSAPP_VERIFY_TOKEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "GRAPH_API_BASE_URL",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_API_BASE_URL",
        "NLU_BACKEND",
        "RASA_URL",
    }
)
# Variables of the process or the test run, not settings that an operator provides.
# Process plumbing, not settings: set by `dms serve` for its own worker processes.
NOT_SETTINGS = frozenset({"CI", "HOME", "PATH", "TMPDIR", "PYTEST_CURRENT_TEST",
                          "DMS_CONFIGURE_LOGGING", "PROMETHEUS_MULTIPROC_DIR"})
ROOT_USERS = frozenset({"root", "0"})
ENVIRON_READ = re.compile(r"(?:getenv\(|environ\.get\(|environ\[)\s*[\"']([A-Za-z0-9_]+)[\"']")

Compose = dict[str, Any]


# --- loading ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> Compose:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The file declares draft 2019-09 by an http:// URI that jsonschema's validator_for does not
    # map, so the validator class is named here rather than looked up.
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_errors(validator: Any, document: Compose) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


# --- the rules beyond the schema -------------------------------------------------------------


def dependency_problems(compose: Compose) -> list[str]:
    """Each dependency waits for a healthy service that has a healthcheck to be healthy by."""
    services: dict[str, Any] = compose["services"]
    problems: list[str] = []
    for name, service in services.items():
        depends_on = service.get("depends_on")
        if depends_on is None:
            continue
        if not isinstance(depends_on, dict):
            problems.append(f"{name}: depends_on is a list, so it cannot wait for health")
            continue
        for target, options in depends_on.items():
            condition = (options or {}).get("condition")
            if condition != "service_healthy":
                problems.append(f"{name} -> {target}: condition is {condition!r}")
            if target not in services:
                problems.append(f"{name} -> {target}: no such service")
            elif not has_healthcheck(services[target]):
                problems.append(f"{name} -> {target}: {target} has no healthcheck")
    return problems


def has_healthcheck(service: dict[str, Any]) -> bool:
    healthcheck = service.get("healthcheck")
    if not isinstance(healthcheck, dict) or healthcheck.get("disable") is True:
        return False
    test = healthcheck.get("test")
    if isinstance(test, list):
        return bool(test) and test[0] != "NONE"
    return isinstance(test, str) and bool(test.strip())


def environment_of(service: dict[str, Any]) -> dict[str, str | None]:
    environment = service.get("environment") or {}
    if isinstance(environment, dict):
        return {key: None if value is None else str(value) for key, value in environment.items()}
    pairs = (item.split("=", 1) for item in environment)
    return {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}


def settings_read_by_the_code() -> set[str]:
    """Environment variables the app's packages read: os.environ/os.getenv and BaseSettings."""
    names: set[str] = set()
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            try:
                tree = ast.parse(source, filename=str(path))
            except SyntaxError:
                # A file this interpreter cannot parse fails its own tests; its os.environ and
                # os.getenv reads are still caught here.
                names |= set(ENVIRON_READ.findall(source))
                continue
            names |= _environ_reads(tree) | _base_settings_fields(tree)
    return names - NOT_SETTINGS


def _environ_reads(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            is_getenv = node.func.attr == "getenv"
            is_environ_get = node.func.attr == "get" and _names_environ(node.func.value)
            if is_getenv or is_environ_get:
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and _names_environ(node.value):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def _names_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _base_settings_fields(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or not any(
            _base_name(base) == "BaseSettings" for base in node.bases
        ):
            continue
        prefix = _env_prefix(node)
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(
                statement.target, ast.Name
            ):
                continue
            field = statement.target.id
            if field.startswith("_") or field == "model_config":
                continue
            names.add(_field_alias(statement.value) or f"{prefix}{field}".upper())
    return names


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _env_prefix(settings_class: ast.ClassDef) -> str:
    for node in ast.walk(settings_class):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "env_prefix"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return ""


def _field_alias(value: ast.expr | None) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    for keyword in value.keywords:
        if (
            keyword.arg in {"alias", "validation_alias"}
            and isinstance(keyword.value, ast.Constant)
            and isinstance(keyword.value.value, str)
        ):
            return keyword.value.value.upper()
    return None


# --- the Dockerfile --------------------------------------------------------------------------


def dockerfile_of(compose: Compose, service: str) -> Path:
    build = compose["services"][service]["build"]
    if isinstance(build, str):
        return ROOT / build / "Dockerfile"
    context = str(build.get("context", "."))
    return ROOT / context / str(build.get("dockerfile", "Dockerfile"))


def instructions(dockerfile: Path) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    logical = ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, arguments = logical.partition(" ")
        yield keyword.upper(), arguments.strip()
        logical = ""


def last(dockerfile: Path, keyword: str) -> str | None:
    found = [arguments for name, arguments in instructions(dockerfile) if name == keyword]
    return found[-1] if found else None


# --- the file as it is -----------------------------------------------------------------------


def test_compose_file_is_valid_under_the_compose_specification(
    compose: Compose, validator: Any
) -> None:
    assert schema_errors(validator, compose) == []


def test_compose_file_has_no_obsolete_version_key(compose: Compose) -> None:
    assert "version" not in compose


def test_app_postgres_and_redis_have_healthchecks(compose: Compose) -> None:
    services = compose["services"]
    assert [
        name for name in ("app", "postgres", "redis") if not has_healthcheck(services[name])
    ] == []


def test_every_dependency_waits_for_a_healthy_service(compose: Compose) -> None:
    assert dependency_problems(compose) == []


@pytest.mark.parametrize("service", ["app", "worker"])
def test_app_and_worker_start_after_postgres_and_redis(compose: Compose, service: str) -> None:
    assert {"postgres", "redis"} <= set(compose["services"][service]["depends_on"])


def test_worker_runs_the_app_image(compose: Compose) -> None:
    app, worker = compose["services"]["app"], compose["services"]["worker"]
    assert worker["command"] == "dms worker"
    assert worker["image"] == app["image"]


def test_app_healthcheck_probes_healthz(compose: Compose) -> None:
    test = compose["services"]["app"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8000/healthz" in " ".join(test if isinstance(test, list) else [test])


def test_app_serves_on_the_published_port(compose: Compose) -> None:
    app = compose["services"]["app"]
    assert app["command"].split()[:2] == ["dms", "serve"]
    assert "--port 8000" in app["command"] and "--host 0.0.0.0" in app["command"]
    assert "8000:8000" in app["ports"]


def test_postgres_data_lives_in_a_named_volume(compose: Compose) -> None:
    mounts = compose["services"]["postgres"]["volumes"]
    named = {mount.split(":", 1)[0] for mount in mounts if not mount.startswith((".", "/"))}
    assert named and named <= set(compose.get("volumes") or {})


def test_rasa_starts_only_with_its_profile(compose: Compose) -> None:
    assert compose["services"]["rasa"]["profiles"] == ["rasa"]


@pytest.mark.parametrize("service", ["app", "worker"])
def test_every_setting_the_app_reads_is_passed(compose: Compose, service: str) -> None:
    passed = set(environment_of(compose["services"][service]))
    assert sorted((SPEC_SETTINGS | settings_read_by_the_code()) - passed) == []


def test_database_and_redis_point_at_the_compose_services(compose: Compose) -> None:
    environment = environment_of(compose["services"]["app"])
    assert environment["DATABASE_URL"] == "postgresql://dms:dms@postgres:5432/dms"
    assert environment["REDIS_URL"] == "redis://redis:6379/0"


def test_every_interpolated_variable_has_a_default(compose: Compose) -> None:
    # A bare ${VAR} is a warning and an empty value when VAR is unset; ${VAR:-...} says so.
    bare = [
        f"{service}.{key}"
        for service in ("app", "worker")
        for key, value in environment_of(compose["services"][service]).items()
        if value is not None and re.search(r"\$\{[A-Z0-9_]+\}", value)
    ]
    assert bare == []


def test_the_app_dockerfile_exists_and_runs_the_server_unprivileged(compose: Compose) -> None:
    dockerfile = dockerfile_of(compose, "app")
    assert dockerfile.is_file()
    assert (last(dockerfile, "FROM") or "").startswith("python:3.11-slim")
    assert any(
        name == "RUN" and "pip install ." in arguments
        for name, arguments in instructions(dockerfile)
    )
    assert last(dockerfile, "EXPOSE") == "8000"
    healthcheck = last(dockerfile, "HEALTHCHECK") or ""
    assert "http://127.0.0.1:8000/healthz" in healthcheck and "urllib" in healthcheck
    assert json.loads(last(dockerfile, "CMD") or "null")[:2] == ["dms", "serve"]
    user = last(dockerfile, "USER")
    assert user is not None and user.split(":", 1)[0] not in ROOT_USERS


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "**/*.db"} <= patterns
    assert not patterns & {"pyproject.toml", "README.md", *APP_PACKAGES}


# --- the checks can fail ---------------------------------------------------------------------


def _unknown_depends_on_condition(compose: Compose) -> None:
    compose["services"]["app"]["depends_on"]["postgres"]["condition"] = "service_ready"


def _misspelt_service_key(compose: Compose) -> None:
    app = compose["services"]["app"]
    app["healthchek"] = app.pop("healthcheck")


def _misspelt_healthcheck_key(compose: Compose) -> None:
    compose["services"]["postgres"]["healthcheck"]["intervall"] = "5s"


def _unknown_top_level_key(compose: Compose) -> None:
    compose["servics"] = compose.pop("services")


def _ports_as_a_mapping(compose: Compose) -> None:
    compose["services"]["app"]["ports"] = {"8000": 8000}


@pytest.mark.parametrize(
    "breakage",
    [
        _unknown_depends_on_condition,
        _misspelt_service_key,
        _misspelt_healthcheck_key,
        _unknown_top_level_key,
        _ports_as_a_mapping,
    ],
)
def test_a_broken_copy_fails_validation(
    compose: Compose, validator: Any, breakage: Callable[[Compose], None]
) -> None:
    broken = copy.deepcopy(compose)
    breakage(broken)
    assert schema_errors(validator, broken) != []


def test_a_dependency_that_only_waits_for_start_is_reported(compose: Compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["app"]["depends_on"]["redis"]["condition"] = "service_started"
    assert dependency_problems(broken) == ["app -> redis: condition is 'service_started'"]


def test_a_dependency_on_a_service_without_healthcheck_is_reported(compose: Compose) -> None:
    broken = copy.deepcopy(compose)
    del broken["services"]["redis"]["healthcheck"]
    assert dependency_problems(broken) == [
        "app -> redis: redis has no healthcheck",
        "worker -> redis: redis has no healthcheck",
    ]


def test_settings_read_through_base_settings_or_environ_are_found() -> None:
    tree = ast.parse(
        "import os\n"
        "from pydantic import Field\n"
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='')\n"
        "    database_url: str = 'sqlite://'\n"
        "    token: str = Field('', validation_alias='ADMIN_API_TOKEN')\n"
        "level = os.environ.get('LOG_LEVEL', 'info')\n"
        "home = os.getenv('SENTRY_DSN')\n"
    )
    assert _base_settings_fields(tree) | _environ_reads(tree) == {
        "DATABASE_URL",
        "ADMIN_API_TOKEN",
        "LOG_LEVEL",
        "SENTRY_DSN",
    }


def test_the_image_runs_as_production_without_the_open_web_chat() -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    assert "\nENV ENVIRONMENT=production\n" in dockerfile
