"""geo.fmt against numbers written out by hand in Indonesian style."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, localcontext

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from geo import fmt


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (3935220000, 0, "3.935.220.000"),
    (96.2, 1, "96,2"),
    (96.25, 1, "96,3"),  # half up, as by hand
    (-1234.5, 1, "-1.234,5"),
    (-0.01, 1, "0,0"),
    (0, 2, "0,00"),
    (float("nan"), 1, "–"),
    (None, 1, "–"),
    ("abc", 1, "–"),
])
def test_number(value: object, decimals: int, text: str) -> None:
    assert fmt.number(value, decimals) == text


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-10**20, 10**20),
       st.integers(0, 4))
def test_number_is_babels_format_of_the_rounded_value(value: float, decimals: int) -> None:
    """Babel's own formatting (pattern ``#,##0.0…``, locale ``id``) of the value rounded half
    up is the independent reference for the separators, the grouping and the sign."""
    with localcontext() as ctx:
        ctx.prec = max(28, int(math.log10(abs(float(value)) or 1)) + decimals + 3)
        q = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals),
                                                 rounding="ROUND_HALF_UP")
        want = format_decimal(q, format="#,##0" + ("." + "0" * decimals if decimals else ""),
                              locale="id")
    if not want.strip("-0,."):
        want = want.lstrip("-")
    assert fmt.number(value, decimals) == want


def test_money_and_dates() -> None:
    assert fmt.rupiah(3935220000) == "Rp 3.935.220.000"
    assert fmt.rupiah(None) == "–"
    assert fmt.rupiah_short(8e9) == "Rp 8 M"
    assert fmt.rupiah_short(6.94e9) == "Rp 6,9 M"
    assert fmt.rupiah_short(1.25e12) == "Rp 1,3 T"
    assert fmt.rupiah_short(750e6) == "Rp 750 jt"
    assert fmt.rupiah_short(5000) == "Rp 5.000"
    assert fmt.percent(96.2) == "96,2 %"
    assert fmt.date_text(dt.date(2026, 12, 2)) == "2 Desember 2026"
    assert fmt.date_text("2026-08-17T14:05:00") == "17 Agustus 2026"
    assert fmt.date_text(dt.datetime(2026, 8, 17, 14, 5), time=True) == "17 Agustus 2026 14.05"


@pytest.mark.parametrize(("text", "value"), [
    ("20 miliar", 20e9), ("20 M", 20e9), ("20m", 20e9), ("20 milyar", 20e9),
    ("20.000.000.000", 20e9), ("Rp 20.000.000.000", 20e9), ("Rp20.000.000.000,-", 20e9),
    ("rp. 20.000.000.000,00", 20e9), ("20000000000", 20e9), ("1,5 triliun", 1.5e12),
    ("750 juta", 750e6), ("750 jt", 750e6), ("2,5 M", 2.5e9), (" 150.000.000 ", 150e6),
    (150000000, 150e6), ("3456789012.0", 3456789012.0), ("1.500", 1500), ("2.5", 2.5),
    ("12.3456", 12.3456),
])
def test_parse_rupiah_reads_what_officers_type(text: object, value: float) -> None:
    assert fmt.parse_rupiah(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "dua puluh miliar", "20 apel", "20.5 M", "1.234.5",
                                  "-5", "Rp", float("nan"), -1])
def test_parse_rupiah_refuses_in_indonesian(text: object) -> None:
    with pytest.raises(fmt.RupiahError, match="rupiah"):
        fmt.parse_rupiah(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_every_formatted_amount_reads_back(value: int) -> None:
    assert fmt.parse_rupiah(fmt.rupiah(value)) == value
    assert fmt.parse_rupiah(fmt.integer(value)) == value
