"""Liveness and a summary of what is being served (:mod:`api.services.health`)."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import StoreDep
from ..schemas import Health
from ..services import health as service

router = APIRouter(tags=["layanan"])


@router.get("/health", response_model=Health)
def health(store: StoreDep) -> Health:
    """``ok`` when the workspace is readable and every map asset is installed."""
    return service.health(store)
