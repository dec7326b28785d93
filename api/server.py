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
from geo.steps.accounts import read_accounts

from .main import create_app
from .security import WILDCARD_BIND, allowed_hosts, normalise_host


def run(workspace: Path, *, host: str, port: int, allow_host: Sequence[str],
        public_read: bool = False, tiles: Path | None = None, say: Callable[[str], None],
        warn: Callable[[str], None]) -> None:
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
    public_read
        Let anyone who reaches the server read without login also when ``host`` is not a
        loopback address (by default a login is then needed to read; always to write).
    tiles
        A local basemap file (``.mbtiles``/``.pmtiles``; default ``SIAPWISATA_TILES_FILE``),
        checked before the server starts: a bad file stops it with a message naming it.
    say, warn
        Where the start line and the all-interfaces warning are printed (the CLI's
        consoles: plain text, never markup).
    """
    ws = Workspace(workspace).require()
    extra = [*allow_host, host]
    login_to_read = not (public_read or is_loopback(host))
    app = create_app(ws.path, tiles_file=tiles, allowed_hosts=extra,
                     login_to_read=login_to_read)
    if host.strip() in WILDCARD_BIND:
        warn(serve_warning(host, allowed_hosts(get_settings().allowed_hosts, extra),
                           public_read=public_read))
    if not read_accounts(ws).users:
        warn("Belum ada akun: tidak ada yang bisa masuk untuk mengubah data"
             + (" atau membaca" if login_to_read else "") + ". Buat akun dengan "
             "'siapwisata user add --workspace ... --username ... --agency ... --role ...'.")
    say(f"SIAP Wisata: http://{host}:{port}/  (workspace {ws.path})")
    source = app.state.tile_source
    if source is not None:
        info = source.info
        say(f"Peta dasar lokal: {info.path} ({'vektor' if info.kind == 'vector' else 'raster'} "
            f"{info.format}, zoom {info.min_zoom}–{info.max_zoom})")
    if get_settings().basemaps == "online":
        say("Peta dasar daring: OpenStreetMap dan citra satelit Esri (SIAPWISATA_BASEMAPS=online)")
    say("Membaca: " + ("perlu masuk" if login_to_read else "terbuka tanpa login")
        + "; mengubah data: selalu perlu masuk di /masuk.")
    uvicorn.run(app, host=host, port=port, log_level="info")


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server on this machine (127.0.0.0/8, ::1,
    localhost): then reading is open without login."""
    import ipaddress

    name = normalise_host(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def serve_warning(host: str, names: list[str], *, public_read: bool = False) -> str:
    """The warning ``serve`` prints when listening on every interface."""
    readers = ("Siapa pun yang dapat menjangkau komputer ini dapat membaca seluruh data "
               "workspace tanpa login (--public-read). " if public_read else
               "Membaca data perlu masuk dengan akun 'siapwisata user add'. ")
    return (f"PERINGATAN: --host {host} membuka SIAP Wisata untuk semua antarmuka jaringan. "
            f"{readers}Gunakan hanya di jaringan kantor yang tepercaya. "
            f"Nama host yang dilayani: {', '.join(names)}; tambahkan nama atau alamat IP "
            "server ini dengan --allow-host (permintaan dengan nama lain ditolak, 400).")
