"""Prometheus metrics at /metrics (one registry per process, or merged across workers when
PROMETHEUS_MULTIPROC_DIR is set, as `dms serve --workers N` does)."""

from __future__ import annotations

import os

from arq.constants import default_queue_name
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Services
from api.deps import ServicesDep
from bot.job_queue import ArqQueue
from bot.observability import QUEUE_DEPTH

router = APIRouter(tags=["health"])


def _outbox_depth(services: Services) -> int:
    with services.uow() as uow:
        return len(uow.outbox.pending(limit=10_000))


@router.get("/metrics", operation_id="metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    QUEUE_DEPTH.labels("outbox").set(await run_in_threadpool(_outbox_depth, services))
    if isinstance(services.outbound, ArqQueue):
        QUEUE_DEPTH.labels("outbound").set(await services.outbound.redis.zcard(default_queue_name))
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
