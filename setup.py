"""Build hook: the wheel ships the map front-end files, so they must be there to copy.

Everything else is declared in pyproject.toml. The maps load Leaflet and its plugins from
``maps/npm``, which links to ``node_modules/`` (pinned by package-lock.json, filled by
``npm ci``, never committed); ``package-data`` copies the files the maps use into the
wheel. This hook runs ``npm ci`` first when ``node_modules`` is missing or older than the
lock file, and stops the build with a clear message when npm is not there, rather than
building a wheel whose maps would answer 404. npm is needed to build, never to run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
STAMP = ROOT / "node_modules" / ".package-lock.json"  # written by npm ci/install


def ensure_npm_assets() -> None:
    """Run ``npm ci`` unless ``node_modules`` is up to date with package-lock.json."""
    lock = ROOT / "package-lock.json"
    if not lock.is_file():  # building from an sdist: the files were copied into it
        return
    if STAMP.is_file() and STAMP.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "siapwisata: node_modules/ kosong dan npm tidak ada: jalankan 'make assets' "
            "(atau pasang npm) sebelum membangun paket (map assets missing; npm is needed "
            "to build the wheel, not to run it)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                    "--loglevel=error"], cwd=ROOT, check=True)


class BuildPy(build_py):
    def run(self) -> None:
        ensure_npm_assets()
        super().run()


class Sdist(sdist):
    def run(self) -> None:
        ensure_npm_assets()
        super().run()


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
