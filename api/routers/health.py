"""Liveness and a summary of what is being served (:mod:`api.services.health`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ..deps import StoreDep
from ..schemas import Health
from ..services import health as service

router = APIRouter(tags=["layanan"])


@router.get("/health", response_model=Health)
async def health(store: StoreDep) -> Health:
    """``ok`` when the workspace is readable and every map asset is installed."""
    if service.answers_at_once(store):
        return service.health(store)
    return await run_in_threadpool(service.health, store)
