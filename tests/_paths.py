"""Where the repository is: tests read its files (notebooks, package.json) and run the
CLI from it. Only tests and benchmarks may know this; the package finds its own files
with importlib.resources."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
