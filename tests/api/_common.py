"""Helpers shared by the API tests."""

from __future__ import annotations

import math

import pandas as pd

DIMS = ("pariwisata", "pu", "umkm", "kominfo", "perhubungan")


def num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return float(v)
