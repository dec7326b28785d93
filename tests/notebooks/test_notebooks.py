"""The analyst notebooks run top to bottom on every test run, offline, without outputs committed.

Each notebook is executed with nbclient in a fresh ``python3`` kernel (this virtualenv's
ipykernel) with ``notebooks/`` as working directory and matplotlib on the Agg backend. Before
the notebook's own cells the test runs one extra cell (never saved) that refuses every socket
connection outside loopback, so a notebook that tries to reach the internet fails here
instead of silently depending on it. Any cell error fails the test; every notebook ends with
its own assertions on what it showed.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests._paths import PROJECT_ROOT

NOTEBOOKS = PROJECT_ROOT / "notebooks"
EXPECTED = (
    "01_kesiapan_destinasi.ipynb",
    "02_data_osm_nyata.ipynb",
    "03_prioritas_jalan.ipynb",
    "04_sensitivitas_bobot.ipynb",
)
CELL_TIMEOUT_S = 300

# Runs inside the kernel before the notebook. The kernel talks to nbclient over ZeroMQ,
# which does not go through Python's socket module, so only the notebook code is guarded.
OFFLINE_GUARD = '''
import ipaddress as _ip, socket as _socket

_connect = _socket.socket.connect
_connect_ex = _socket.socket.connect_ex


def _loopback(address):
    if isinstance(address, (str, bytes)):
        return True  # a Unix socket
    host = address[0]
    if host in ("localhost", "", None):
        return True
    try:
        return _ip.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already leave the machine


def _guarded(method):
    def connect(self, address):
        if not _loopback(address):
            raise OSError(f"notebook test: no network beyond loopback (tried {address!r})")
        return method(self, address)
    return connect


_getaddrinfo = _socket.getaddrinfo


def _lookup(host, *args, **kwargs):
    # Name lookups would already leave the machine (DNS): only loopback names resolve.
    if not _loopback((host.decode() if isinstance(host, bytes) else host or "", 0)):
        raise OSError(f"notebook test: no name lookups beyond loopback (tried {host!r})")
    return _getaddrinfo(host, *args, **kwargs)


_socket.socket.connect = _guarded(_connect)
_socket.socket.connect_ex = _guarded(_connect_ex)
_socket.getaddrinfo = _lookup
'''


def _present() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_expected_notebooks_exist() -> None:
    assert sorted(p.name for p in _present()) == sorted(EXPECTED)


@pytest.mark.parametrize("path", _present(), ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; clear them"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "assert " in code[-1].source + code[-2].source, (
        f"{path.name}: the notebook must end with assertions on what it showed"
    )
    assert nb.cells[0].cell_type == "markdown"


@pytest.mark.parametrize("path", _present(), ids=lambda p: p.stem)
def test_executes_offline_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this environment.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    before = sorted(p.name for p in NOTEBOOKS.iterdir())
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(OFFLINE_GUARD))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        allow_errors=False,
    )
    client.execute()
    errors = [
        out for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("output_type") == "error"
    ]
    assert not errors
    # Plots were really drawn (a backend that swallowed them would hide broken plot code).
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    images = [
        out for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if "image/png" in out.get("data", {})
    ]
    assert len(images) >= sources.count("plt.show()")
    # The notebooks work in temporary folders: nothing new appears beside them.
    assert sorted(p.name for p in NOTEBOOKS.iterdir()) == before
    assert os.access(path, os.R_OK)
