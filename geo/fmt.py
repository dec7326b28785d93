"""Numbers, money and dates as an Indonesian reader writes them, through Babel.

Every human output of the project (pages, popups, CLI tables, reports, XLSX titles) formats
through this module, so that ``Rp 3.935.220.000``, ``96,2`` and ``2 Desember 2026`` come from
one place: Babel's CLDR data for the ``id`` locale (its symbols for numbers, its patterns for
dates).

It also reads money the way officers type it (:func:`parse_rupiah`): ``"20 miliar"``,
``"20 M"``, ``"20.000.000.000"``, ``"Rp 20.000.000.000"``, ``"1,5 triliun"``.

The module sits in the configuration layer: it imports nothing of the project.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal, localcontext
from typing import Final

from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

LOCALE: Final = "id"
"""CLDR locale of every human output (Bahasa Indonesia)."""
UNKNOWN: Final = "–"
"""What a human output shows for an unknown value."""

# The locale's symbols from Babel's CLDR data, applied to Python's own grouping of the
# digits (groups of three, as the ``id`` pattern ``#,##0`` has): Babel's format_decimal per
# value cost ~70 µs, and readiness notes format one number per destination
# (tests/test_fmt.py checks every output against format_decimal).
_SYMBOLS: Final = str.maketrans({",": get_group_symbol(LOCALE),
                                 ".": get_decimal_symbol(LOCALE),
                                 "-": get_minus_sign_symbol(LOCALE)})

_MAGNITUDES: Final[dict[str, int]] = {
    "triliun": 10**12, "t": 10**12, "tn": 10**12,
    "miliar": 10**9, "milyar": 10**9, "m": 10**9, "b": 10**9, "bn": 10**9,
    "juta": 10**6, "jt": 10**6,
    "ribu": 10**3, "rb": 10**3, "k": 10**3,
}


def _finite(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def number(value: object, decimals: int = 1, *, unknown: str = UNKNOWN) -> str:
    """``1.234,5``: a number with Indonesian separators and exactly ``decimals`` decimals.

    Parameters
    ----------
    value
        Anything ``float()`` reads; ``None``, NaN, infinities and text give ``unknown``.
    decimals
        Digits after the decimal comma (0 for none).
    unknown
        Text for a value that is not a finite number.
    """
    x = _finite(value)
    if x is None:
        return unknown
    # Half away from zero, as people round by hand (Babel's default is half-even).
    # Enough precision for every digit of a huge float (1e308 has 309 before the comma).
    with localcontext() as ctx:
        ctx.prec = max(28, int(math.log10(abs(x) or 1)) + decimals + 3)
        q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP")
        text = format(q, f",.{max(decimals, 0)}f").translate(_SYMBOLS)
    return text if text.strip("-0,.") else text.lstrip("-")  # no "-0,0"


def integer(value: object, *, unknown: str = UNKNOWN) -> str:
    """``12.345``: a count with Indonesian thousands separators."""
    return number(value, 0, unknown=unknown)


def rupiah(value: object, *, unknown: str = UNKNOWN) -> str:
    """``Rp 3.935.220.000``: whole rupiah with thousands separators."""
    text = number(value, 0, unknown=unknown)
    return unknown if text == unknown else f"Rp {text}"


def rupiah_short(value: object, *, unknown: str = UNKNOWN) -> str:
    """Rupiah as planners say it: ``Rp 8 M`` (miliar), ``Rp 1,2 T``, ``Rp 750 jt``."""
    x = _finite(value)
    if x is None:
        return unknown
    for scale, suffix, decimals in ((1e12, "T", 1), (1e9, "M", 1), (1e6, "jt", 0)):
        if abs(x) >= scale:
            text = number(x / scale, decimals)
            return f"Rp {text.removesuffix(',0')} {suffix}"
    return rupiah(x)


def percent(value: object, decimals: int = 1, *, unknown: str = UNKNOWN) -> str:
    """``96,2 %`` for ``96.2`` (the value is already in percent)."""
    text = number(value, decimals, unknown=unknown)
    return unknown if text == unknown else f"{text} %"


def date_text(value: _dt.date | _dt.datetime | str | None, *, time: bool = False,
              unknown: str = UNKNOWN) -> str:
    """``2 Desember 2026`` (or ``2 Desember 2026 14.05`` with ``time``).

    ISO text is read; a timezone-aware moment is shown in its own zone.
    """
    if value is None or value == "":
        return unknown
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, _dt.datetime):
        if time:
            return _format_datetime(value, "d MMMM y HH.mm", locale=LOCALE)
        value = value.date()
    return _format_date(value, "d MMMM y", locale=LOCALE)


_NUMBER_WORD = re.compile(r"^(?P<num>[0-9][0-9.,\s]*)\s*(?P<unit>[a-z]*)\.?$")


class RupiahError(ValueError):
    """A money text that cannot be read; the message is in Bahasa Indonesia."""


def parse_rupiah(text: object) -> float:
    """Read an amount of rupiah as officers write it.

    Accepts ``20000000000``, ``3456789012.5`` (a script's decimal point, where the dot
    cannot group thousands), ``20.000.000.000``, ``Rp 20.000.000.000``, ``Rp20.000.000.000,-``,
    ``20 miliar``, ``20 M``, ``20 milyar``, ``1,5 triliun``, ``750 juta``, ``750 jt``. Dots
    group thousands and a comma is the decimal mark (Indonesian); a number alone is whole
    rupiah.

    Raises
    ------
    RupiahError
        When the text is empty, negative or not an amount, with a message that quotes it.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not math.isfinite(float(text)) or float(text) < 0:
            raise RupiahError(f"nilai rupiah '{text}' tidak sah: harus angka 0 atau lebih")
        return float(text)
    raw = str(text if text is not None else "").strip()
    s = raw.lower().replace("\u00a0", " ")
    s = re.sub(r"^rp\.?\s*", "", s)
    s = re.sub(r",-$|,00$|\.-$", "", s.strip())
    m = _NUMBER_WORD.match(s.strip())
    example = "contoh: 20 miliar, 20 M, 20.000.000.000 atau Rp 20.000.000.000"
    if not raw:
        raise RupiahError(f"nilai rupiah kosong ({example})")
    if m is None or (m.group("unit") and m.group("unit") not in _MAGNITUDES):
        raise RupiahError(f"'{raw}' tidak terbaca sebagai nilai rupiah ({example})")
    digits = m.group("num").replace(" ", "")
    if not m.group("unit") and re.fullmatch(r"\d+\.\d+", digits) and \
            re.fullmatch(r"\d{1,3}(\.\d{3})+", digits) is None:
        # A script's plain number ("3456789012.5"): a dot that cannot be a thousands
        # separator is a decimal point. "1.500" stays fifteen hundred.
        return float(digits)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+(,\d+)?", digits) is None:
        raise RupiahError(f"'{raw}' tidak terbaca sebagai nilai rupiah: titik memisahkan ribuan"
                          f" dan koma menandai desimal ({example})")
    value = float(digits.replace(".", "").replace(",", "."))
    return value * _MAGNITUDES.get(m.group("unit"), 1)
