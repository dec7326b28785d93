"""Run the web server for a workspace: the entry the ``siapwisata serve`` command calls.

The core (:mod:`geo`) never imports the web layer: :mod:`geo.cli` looks this module up by
name when ``serve`` runs (see ``geo.cli.serve``), so ``import geo`` works without FastAPI
being imported, and import-linter can forbid ``geo -> api`` outright.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn

from geo.io.workspace import Workspace
from geo.settings import get_settings

from .main import create_app
from .security import WILDCARD_BIND, allowed_hosts


def run(workspace: Path, *, host: str, port: int, allow_host: Sequence[str],
        say: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """Serve the maps and the API of ``workspace`` until interrupted.

    Parameters
    ----------
    workspace
        An existing workspace GeoPackage (WorkspaceError if missing).
    host, port
        Interface and port to listen on.
    allow_host
        Host names or addresses the browser may use besides 127.0.0.1, localhost and
        ``host``.
    say, warn
        Where the start line and the all-interfaces warning are printed (the CLI's
        consoles: plain text, never markup).
    """
    ws = Workspace(workspace).require()
    extra = [*allow_host, host]
    app = create_app(ws.path, allowed_hosts=extra)
    if host.strip() in WILDCARD_BIND:
        warn(serve_warning(host, allowed_hosts(get_settings().allowed_hosts, extra)))
    say(f"SIAP Wisata: http://{host}:{port}/  (workspace {ws.path})")
    uvicorn.run(app, host=host, port=port, log_level="info")


def serve_warning(host: str, names: list[str]) -> str:
    """The warning ``serve`` prints when listening on every interface."""
    return (f"PERINGATAN: --host {host} membuka SIAP Wisata untuk semua antarmuka jaringan. "
            "Siapa pun yang dapat menjangkau komputer ini dapat membaca seluruh data "
            "workspace (tanpa login). Gunakan hanya di jaringan kantor yang tepercaya. "
            f"Nama host yang dilayani: {', '.join(names)}; tambahkan nama atau alamat IP "
            "server ini dengan --allow-host (permintaan dengan nama lain ditolak, 400).")
