"""Liveness and a summary of what is being served."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from geo.exceptions import SiapError
from geo.workspace import info
from maps._assets import missing_assets

from ..deps import WorkspaceStore, get_store
from ..schemas import Health, LayerInfo

router = APIRouter(tags=["layanan"])


@router.get("/health", response_model=Health)
def health(store: Annotated[WorkspaceStore, Depends(get_store)]) -> Health:
    """``ok`` when the workspace is readable and every map asset is installed."""
    problems: list[str] = []
    missing = missing_assets()
    if missing:
        problems.append("aset peta belum terpasang (map assets not installed): jalankan "
                        "'npm ci' (make demo / make test do it)")
    try:
        version = store.version()
        summary = store.cached(("info",), lambda: info(store.ws))
    except SiapError as exc:
        return Health(status="degraded", workspace=str(store.path), missing_assets=missing,
                      problems=[*problems, str(exc)])
    layers = [LayerInfo(layer=str(x["layer"]), features=int(x["features"]),
                        synthetic=int(x["synthetic"])) for x in summary["layers"]]
    return Health(
        status="degraded" if problems else "ok", workspace=str(store.path), version=version,
        region=summary["metadata"].get("region"), layers=layers,
        synthetic=bool(summary["synthetic"]), missing_assets=missing, problems=problems,
    )
