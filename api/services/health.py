"""Liveness and a summary of what is being served."""

from __future__ import annotations

import threading
import time

from geo.exceptions import SiapError
from geo.io.workspace import info
from maps import missing_assets

from ..deps import WorkspaceStore
from ..schemas import Health, LayerInfo

ASSET_CHECK_S = 10.0
"""How long an asset check stays valid: it resolves a dozen files (~7 ms), and monitors
poll /health often; an ``npm ci`` run while serving shows within this many seconds."""
_assets_lock = threading.Lock()
_assets_seen: tuple[float, list[str]] | None = None


def _checked_assets() -> list[str] | None:
    """The last asset check's result while it is valid, else None."""
    with _assets_lock:
        if _assets_seen is None or time.monotonic() - _assets_seen[0] > ASSET_CHECK_S:
            return None
        return list(_assets_seen[1])


def _missing_assets() -> list[str]:
    global _assets_seen
    seen = _checked_assets()
    if seen is not None:
        return seen
    missing = missing_assets()
    with _assets_lock:
        _assets_seen = (time.monotonic(), missing)
    return list(missing)


def answers_at_once(store: WorkspaceStore) -> bool:
    """Whether :func:`health` needs no file work now (asset check fresh, layer summary of
    this version cached), so it may run on the event loop: monitors and load balancers
    poll /health, and a hop through the thread pool cost ~150 ms under load."""
    if _checked_assets() is None:
        return False
    try:
        return store.lookup(("info",), None) is not None
    except SiapError:
        return False


def health(store: WorkspaceStore) -> Health:
    """``ok`` when the workspace is readable and every map asset is installed."""
    problems: list[str] = []
    missing = _missing_assets()
    if missing:
        problems.append("aset peta belum terpasang: jalankan "
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
