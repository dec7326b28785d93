"""Trend charts drawn on the server as inline SVG (no script, no chart library, prints as is).

A chart is one line of scores over the scored versions, evenly spaced in version order
(several recomputations can fall on one day; a time axis would stack them), each point
labelled with its date. The band between ``score_low`` and ``score_high`` is what the data
may still move (unknown indicators at 0 and 100), and the dashed line is ``score_low``,
the score class and rank are decided by; the class boundaries of readiness.toml are
drawn as faint horizontal lines. Every text is escaped: nothing a user typed is drawn,
but the chart is built as markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from markupsafe import Markup

from geo.steps.rapor import TrendPoint
from maps import CLASS_LABELS, fmt_num

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
"""Indonesian month abbreviations."""
MAX_LABELS = 8
"""Date labels under the axis at most (every k-th point beyond that)."""


def fmt_date(at: object, *, time: bool = False) -> str:
    """An ISO time stamp of the history as an Indonesian date (``1 Des 2026``, UTC), with
    ``HH.MM`` when ``time``; the text itself when it is not a date."""
    try:
        t = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    day = f"{t.day} {MONTHS[t.month - 1]} {t.year}"
    return f"{day} {t.hour:02d}.{t.minute:02d}" if time else day


def _finite(v: float) -> bool:
    return v is not None and math.isfinite(v)


def trend_svg(points: Sequence[TrendPoint], *, classes: Mapping[str, float],
              title: str, width: int = 640, height: int = 220) -> Markup:
    """The trend of ``points`` as an ``<svg>`` element.

    Parameters
    ----------
    points
        Scores per scored version, oldest first.
    classes
        Class name -> lower bound of its score (readiness.toml ``[classes]``).
    title
        The chart's accessible title.
    """
    left, right, top, bottom = 40, 16, 12, 40
    w, h = width - left - right, height - top - bottom
    n = len(points)

    def x(i: int) -> float:
        return left + (w / 2 if n == 1 else w * i / (n - 1))

    def y(v: float) -> float:
        return top + h * (1 - min(max(v, 0.0), 100.0) / 100.0)

    out = [f'<svg class="tren" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
           f' width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>"]
    for v in (0, 20, 40, 60, 80, 100):
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   'stroke="#e0e0e0" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                   f'font-size="11" fill="#555">{v}</text>')
    for name, low in classes.items():
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{y(low):.1f}" y2="{y(low):.1f}" '
                   'stroke="#9e9e9e" stroke-width="1" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{left + w}" y="{y(low) - 3:.1f}" text-anchor="end" font-size="10"'
                   f' fill="#777">{escape(CLASS_LABELS.get(name, name))} ≥ {fmt_num(low, 0)}</text>')
    if n == 0:
        out.append(f'<text x="{left + w / 2}" y="{top + h / 2}" text-anchor="middle" '
                   'font-size="13" fill="#555">Belum ada versi yang dinilai</text></svg>')
        return Markup("".join(out))
    band = [(x(i), p.score_low, p.score_high) for i, p in enumerate(points)
            if _finite(p.score_low) and _finite(p.score_high)]
    if len(band) > 1:
        edge = [f"{bx:.1f},{y(hi):.1f}" for bx, _, hi in band]
        edge += [f"{bx:.1f},{y(lo):.1f}" for bx, lo, _ in reversed(band)]
        out.append(f'<polygon class="rentang" points="{" ".join(edge)}" fill="#a5d6a7" '
                   'fill-opacity="0.45" stroke="none"/>')
    for attr, dash, color in (("score_low", ' stroke-dasharray="5 3"', "#795548"),
                              ("score", "", "#1b5e20")):
        line = [f"{x(i):.1f},{y(getattr(p, attr)):.1f}" for i, p in enumerate(points)
                if _finite(getattr(p, attr))]
        if len(line) > 1:
            out.append(f'<polyline class="{attr}" points="{" ".join(line)}" fill="none" '
                       f'stroke="{color}" stroke-width="2"{dash}/>')
    step = max(1, math.ceil(n / MAX_LABELS))
    for i, p in enumerate(points):
        tip = (f"versi {p.version} · {fmt_date(p.at, time=True)} · skor {fmt_num(p.score)}"
               f" (rentang {fmt_num(p.score_low)}–{fmt_num(p.score_high)})")
        if p.klass:
            tip += f" · {CLASS_LABELS.get(p.klass, p.klass)}"
        if _finite(p.score):
            out.append(f'<circle class="titik" cx="{x(i):.1f}" cy="{y(p.score):.1f}" r="4" '
                       f'fill="#1b5e20" data-versi="{p.version}"><title>{escape(tip)}</title>'
                       "</circle>")
        if i % step == 0 or i == n - 1:
            out.append(f'<text class="tanggal" x="{x(i):.1f}" y="{top + h + 16}" '
                       f'text-anchor="middle" font-size="11" fill="#333">'
                       f"{escape(fmt_date(p.at))}</text>")
            out.append(f'<text x="{x(i):.1f}" y="{top + h + 30}" text-anchor="middle" '
                       f'font-size="10" fill="#777">v{p.version}</text>')
    out.append("</svg>")
    return Markup("".join(out))
