"""The built wheel, installed alone, serves working maps: the browser tests of
tests/maps/test_browser.py run against ``siapwisata serve`` from a fresh virtual environment.

``tests/wheel_smoke.sh`` (run by ``make test``) builds the wheel, installs it into a new
venv, runs ``demo --data-dir``, ``score``, ``priorities`` and ``serve`` from an empty
temporary folder and then runs this module with ``SIAPWISATA_WHEEL_SERVER`` (the server's
base URL) and ``SIAPWISATA_WHEEL_WORKSPACE`` (the workspace it serves) set. Without them
every test here is skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from maps._assets import LOCAL_ASSETS
from tests.maps.test_browser import (  # noqa: F401  (collected here against the wheel server)
    browser,
    test_landing_and_priorities_pages_in_chromium,
    test_readiness_map_in_chromium,
)

SERVER = os.environ.get("SIAPWISATA_WHEEL_SERVER", "").rstrip("/")
WORKSPACE = os.environ.get("SIAPWISATA_WHEEL_WORKSPACE", "")

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(not SERVER or not WORKSPACE,
                       reason="no wheel server (run tests/wheel_smoke.sh)"),
]


@pytest.fixture(scope="module")
def served() -> Path:
    """The workspace the wheel's ``serve`` answers for (overrides test_browser's)."""
    return Path(WORKSPACE)


@pytest.fixture(scope="module")
def base_url() -> str:
    return SERVER


_CSS_REF = re.compile(r"""url\(\s*["']?(?!data:|[a-z]+:|/|#)([^"')?#]+)""", re.IGNORECASE)


def test_every_map_asset_is_served_by_the_wheel() -> None:
    """Every file a map loads, and every image its stylesheets refer to, answers 200."""
    with httpx.Client(base_url=SERVER, timeout=30) as client:
        paths = set(LOCAL_ASSETS.values())
        for rel in sorted(p for p in paths if p.endswith(".css")):
            css = client.get(f"/static/{rel}")
            assert css.status_code == 200, rel
            folder = rel.rsplit("/", 1)[0]
            for ref in _CSS_REF.findall(css.text):
                paths.add(os.path.normpath(f"{folder}/{ref}"))
        status = {rel: client.get(f"/static/{rel}").status_code for rel in sorted(paths)}
    assert {rel: s for rel, s in status.items() if s != 200} == {}
    assert len(status) > len(LOCAL_ASSETS)  # the stylesheets' images were checked too
