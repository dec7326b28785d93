"""``siapwisata user ...`` (issue 12): accounts kept in the workspace.

The stored rows are read back from the GeoPackage with pyogrio and the hashes checked
with argon2-cffi's verifier, independently of the code under test. The password prompt
runs on a real pseudo-terminal (pexpect), the piped password through a real pipe
(subprocess), as an admin's terminal and a script would.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from geo.cli import app
from geo.exceptions import SiapError
from geo.io.workspace import Workspace
from geo.steps.accounts import user_for_token, verify_password
from tests._paths import PROJECT_ROOT

runner = CliRunner()


@pytest.fixture()
def ws_path(tmp_path: Path, mimika_dir: Path) -> Path:
    """A small workspace: the regency boundary only (accounts need no data layers)."""
    path = tmp_path / "mimika.gpkg"
    boundary = gpd.read_file(mimika_dir / "kabupaten.geojson")
    with Workspace(path).update(create=True) as staging:
        staging.write("boundary", boundary[[boundary.geometry.name]])
    return path


def _users(path: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer="users", read_geometry=False)


class _Run:
    """A CliRunner result whose ``output`` also holds the message of the SiapError the
    command raised (``geo.cli.main`` prints it; the runner calls the app directly)."""

    def __init__(self, args: list[str], stdin: str | None):
        result = runner.invoke(app, args, input=stdin)
        self.exit_code = result.exit_code
        self.output = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            assert isinstance(result.exception, SiapError), result.exception
            self.output += str(result.exception)


def _invoke(*args: str | Path, stdin: str | None = None) -> _Run:
    return _Run([str(a) for a in args], stdin)


def _add(ws: Path, name: str, agency: str, role: str, password: str) -> _Run:
    return _invoke("user", "add", "--workspace", ws, "--username", name, "--agency", agency,
                   "--role", role, stdin=password + "\n")


def test_add_with_piped_password_stores_only_an_argon2_hash(ws_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "400"}
    done = subprocess.run(
        [sys.executable, "-m", "geo.cli", "user", "add", "--workspace", str(ws_path),
         "--username", "Budi.PU", "--agency", "pu", "--role", "editor"],
        input="jalan mulus 2024\n", capture_output=True, text=True, timeout=120,
        cwd=PROJECT_ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert "budi.pu" in done.stdout and "jalan mulus" not in done.stdout + done.stderr
    users = _users(ws_path)
    assert list(users["username"]) == ["budi.pu"]  # case folded
    row = users.iloc[0]
    assert (row["agency"], row["role"], bool(row["disabled"])) == ("pu", "editor", False)
    assert row["password_hash"].startswith("$argon2id$")
    # the whole line but its newline is the password (spaces kept)
    assert PasswordHasher().verify(row["password_hash"], "jalan mulus 2024")
    assert b"jalan mulus 2024" not in ws_path.read_bytes()


def test_generate_prints_a_strong_password_once(ws_path: Path) -> None:
    r = _invoke("user", "add", "--workspace", ws_path, "--username", "ani", "--agency",
                "bappeda", "--role", "admin", "--generate")
    assert r.exit_code == 0, r.output
    hashed = _users(ws_path).iloc[0]["password_hash"]
    words = re.findall(r"[A-Za-z0-9_-]{20,}", r.output)
    printed = [w for w in words if _matches(hashed, w)]
    assert len(printed) == 1 and r.output.count(printed[0]) == 1
    assert len(printed[0]) >= 20
    assert verify_password(Workspace(ws_path), "ani", printed[0]) is not None
    r2 = _invoke("user", "add", "--workspace", ws_path, "--username", "ani2", "--agency",
                 "bappeda", "--role", "admin", "--generate")
    assert printed[0] not in r2.output  # random, not a fixed default


def _matches(hashed: str, candidate: str) -> bool:
    try:
        return PasswordHasher().verify(hashed, candidate)
    except Exception:
        return False


def test_password_is_prompted_twice_on_a_terminal(ws_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "COLUMNS": "400"}
    child = pexpect.spawn(sys.executable, ["-m", "geo.cli", "user", "add", "--workspace",
                                           str(ws_path), "--username", "vina", "--agency",
                                           "pariwisata", "--role", "viewer"],
                          cwd=str(PROJECT_ROOT), env=env, timeout=120, encoding="utf-8")
    try:
        child.expect("Kata sandi baru")
        child.sendline("pertama-1234")
        child.expect("Ulangi kata sandi")
        child.sendline("berbeda-1234")
        child.expect("tidak sama")
        child.expect("Kata sandi baru")
        child.sendline("kedua-kalinya-99")
        child.expect("Ulangi kata sandi")
        child.sendline("kedua-kalinya-99")
        child.expect(pexpect.EOF)
        transcript = child.before
    finally:
        child.close()
    assert child.exitstatus == 0, transcript
    assert "kedua-kalinya-99" not in transcript  # never echoed
    assert verify_password(Workspace(ws_path), "vina", "kedua-kalinya-99") is not None
    assert verify_password(Workspace(ws_path), "vina", "pertama-1234") is None


@pytest.mark.parametrize(("args", "words"), [
    (("--agency", "dinas-xyz", "--role", "editor"), ["instansi 'dinas-xyz'", "pariwisata, pu, "
                                                    "umkm, kominfo, perhubungan, bappeda"]),
    (("--agency", "pu", "--role", "admin"), ["peran admin hanya untuk instansi 'bappeda'"]),
])
def test_bad_agency_or_role_is_refused_and_nothing_is_written(ws_path: Path, args: tuple[str, ...],
                                                             words: list[str]) -> None:
    before = hashlib.sha256(ws_path.read_bytes()).hexdigest()
    r = _invoke("user", "add", "--workspace", ws_path, "--username", "x.y", *args,
                stdin="panjang-sekali-1\n")
    assert r.exit_code == 1
    for w in words:
        assert w in r.output
    assert hashlib.sha256(ws_path.read_bytes()).hexdigest() == before


def test_short_password_duplicate_name_and_empty_stdin_are_refused(ws_path: Path) -> None:
    assert _add(ws_path, "budi", "pu", "editor", "pendek").exit_code == 1
    assert not Workspace(ws_path).has("users")
    assert _add(ws_path, "budi", "pu", "editor", "cukup-panjang-1").exit_code == 0
    dup = _add(ws_path, "BUDI", "umkm", "editor", "cukup-panjang-2")
    assert dup.exit_code == 1 and "sudah ada" in dup.output
    empty = _invoke("user", "add", "--workspace", ws_path, "--username", "c", "--agency", "pu",
                    stdin="")
    assert empty.exit_code == 1 and "standard input" in empty.output
    assert list(_users(ws_path)["username"]) == ["budi"]


def test_list_token_passwd_disable(ws_path: Path) -> None:
    assert _add(ws_path, "budi", "pu", "editor", "cukup-panjang-1").exit_code == 0
    assert _add(ws_path, "ani", "bappeda", "admin", "rencana-kerja-2").exit_code == 0
    r = _invoke("user", "token", "--workspace", ws_path, "--username", "budi", "--label", "skrip")
    assert r.exit_code == 0, r.output
    token = re.findall(r"siap_[A-Za-z0-9_-]{40,}", r.output)
    assert len(token) == 1
    ws = Workspace(ws_path)
    assert user_for_token(ws, token[0]) is not None
    assert user_for_token(ws, token[0])  # the token itself is not stored, its sha256 is
    tokens = pyogrio.read_dataframe(ws_path, layer="api_tokens", read_geometry=False)
    assert list(tokens["token_sha256"]) == [hashlib.sha256(token[0].encode()).hexdigest()]
    listing = _invoke("user", "list", "--workspace", ws_path)
    assert listing.exit_code == 0
    assert "budi" in listing.output and "bappeda" in listing.output and "aktif" in listing.output
    assert "$argon2" not in listing.output and token[0] not in listing.output
    assert _invoke("user", "passwd", "--workspace", ws_path, "--username", "budi",
                   stdin="sandi-baru-sekali\n").exit_code == 0
    assert verify_password(ws, "budi", "cukup-panjang-1") is None
    assert verify_password(ws, "budi", "sandi-baru-sekali") is not None
    assert _invoke("user", "disable", "--workspace", ws_path, "--username", "budi").exit_code == 0
    assert verify_password(ws, "budi", "sandi-baru-sekali") is None
    assert user_for_token(ws, token[0]) is None
    assert "nonaktif" in _invoke("user", "list", "--workspace", ws_path).output
    assert _invoke("user", "disable", "--workspace", ws_path, "--username", "budi",
                   "--enable").exit_code == 0
    assert user_for_token(ws, token[0]) is not None
    revoked = _invoke("user", "token", "--workspace", ws_path, "--username", "budi", "--revoke")
    assert revoked.exit_code == 0 and "1 token" in revoked.output
    assert user_for_token(ws, token[0]) is None
    unknown = _invoke("user", "passwd", "--workspace", ws_path, "--username", "siapa",
                      stdin="apa-saja-12345\n")
    assert unknown.exit_code == 1 and "tidak ada" in unknown.output


def test_admin_agency_comes_from_the_readiness_toml() -> None:
    import tomllib

    from geo.exceptions import ConfigError
    from geo.readiness import readiness_config_from_dict

    raw = tomllib.loads((PROJECT_ROOT / "data" / "readiness.toml").read_text(encoding="utf-8"))
    assert raw["admin"]["agency"] == "bappeda"
    config = readiness_config_from_dict(raw)
    assert config.agencies == [*raw["dimensions"], "bappeda"]
    older = {k: v for k, v in raw.items() if k != "admin"}  # recorded before issue 12
    assert readiness_config_from_dict(older).admin.agency == "bappeda"
    with pytest.raises(ConfigError, match="admin.agency"):
        readiness_config_from_dict(raw | {"admin": {"agency": "pu"}})
    with pytest.raises(ConfigError, match="admin.agency"):
        readiness_config_from_dict(raw | {"admin": {"agency": "Bappeda Kab"}})
