"""Popup HTML, built in Python so the page needs no templating library.

Every value from the workspace is HTML-escaped: names come from agency spreadsheets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from geo.readiness import split_actions

from . import _style as st

if TYPE_CHECKING:
    from geo.readiness import DimensionLabel


def _flag(v: Any) -> bool:
    """A stored bool (GeoPackage may give 1.0/0.0 or NaN) as a plain bool."""
    try:
        return bool(v) and v == v  # NaN != NaN
    except (TypeError, ValueError):
        return False


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def breakdown_rows(row: Mapping[str, Any],
                   dimensions: Mapping[str, DimensionLabel]) -> list[dict[str, Any]]:
    """Per-agency scores in configuration order: key, label (short), agency, colour, score
    (None = unknown) and its bounds ``score_low`` / ``score_high`` (unknown indicators at
    0 / 100). ``dimensions``: :func:`geo.readiness.dimension_labels`."""
    out = []
    for dim, lab in dimensions.items():
        out.append(
            {
                "dimension": dim,
                "label": lab.short,
                "agency": lab.agency,
                "color": lab.color,
                "score": _num(row.get(f"score_{dim}")),
                "score_low": _num(row.get(f"score_{dim}_low")),
                "score_high": _num(row.get(f"score_{dim}_high")),
            }
        )
    return out


def _range(low: float | None, high: float | None) -> str:
    """'rentang 40–100' text of a pair of bounds, '' when they are not known or equal."""
    if low is None or high is None or abs(high - low) < 0.05:
        return ""
    return f"rentang {st.fmt_num(low, 0)}–{st.fmt_num(high, 0)}"


def _bars(row: Mapping[str, Any], dimensions: Mapping[str, DimensionLabel]) -> str:
    bottleneck = str(row.get("bottleneck") or "")
    lines = []
    for b in breakdown_rows(row, dimensions):
        score = b["score"]
        width = 0.0 if score is None else min(max(score, 0.0), 100.0)
        cls = ' class="bottleneck"' if b["dimension"] == bottleneck else ""
        value = "?" if score is None else st.fmt_num(score, 0)
        span = _range(b["score_low"], b["score_high"])
        title = "tidak diketahui (data kosong)" if score is None else f"{st.fmt_num(score)} / 100"
        if span:
            title += f"; {span} (data kosong = 0 .. 100)"
            value += f' <small class="range">({st.fmt_num(b["score_low"], 0)}–'\
                     f'{st.fmt_num(b["score_high"], 0)})</small>'

        lines.append(
            f'<tr{cls} title="{escape(b["agency"])}: {title}"><td>{escape(b["label"])}</td>'
            f'<td><div class="bar"><span style="width:{width:.0f}%;'
            f'background:{escape(b["color"])}"></span></div></td>'
            f'<td class="num">{value}</td></tr>'
        )
    return '<table class="sw-bars">' + "".join(lines) + "</table>"


def destination_popup(
    row: Mapping[str, Any],
    dimensions: Mapping[str, DimensionLabel],
    *,
    category: str | None = None,
    gateway_name: str | None = None,
) -> str:
    """The readiness popup: class, score, per-agency bar chart, bottleneck, actions, access.

    ``dimensions`` (:func:`geo.readiness.dimension_labels`) names and colours the bars.
    """
    name = escape(str(row.get("name") or row.get("id") or "?"))
    cls = str(row.get("class") or "")
    badge = (
        f'<span class="badge" style="background:{st.class_color(cls)}">'
        f"{escape(st.CLASS_LABELS.get(cls, cls or 'belum dinilai'))}"
        f"{' (sementara)' if cls and _flag(row.get('class_provisional')) else ''}</span>"
    )
    cat = st.CATEGORY_LABELS.get(str(category), str(category)) if category else None
    sub = " · ".join(x for x in (escape(cat) if cat else "", badge) if x)
    score = _num(row.get("score"))
    rank = _num(row.get("rank"))
    lo, hi = _num(row.get("rank_low")), _num(row.get("rank_high"))
    coverage = _num(row.get("coverage"))
    parts = [
        '<div class="sw-pop">',
        f"<h4>{name}</h4>",
        f'<div class="sub">{sub}</div>',
        f'<div>Skor kesiapan <span class="big">{st.fmt_num(score)}</span> / 100</div>',
    ]
    low, high = _num(row.get("score_low")), _num(row.get("score_high"))
    if low is not None and high is not None:
        # class and rank rest on the lower bound (readiness.toml [ranking])
        parts.append(
            f"<div>Skor terbukti {st.fmt_num(low)} (data kosong = 0), paling tinggi "
            f"{st.fmt_num(high)} (data kosong = 100); kelas dan peringkat memakai skor "
            "terbukti</div>"
        )
    if rank is not None:
        interval = (
            f" (rentang {st.fmt_num(lo, 0)}–{st.fmt_num(hi, 0)} bila bobot diubah)"
            if lo is not None and hi is not None else ""
        )
        parts.append(f"<div>Peringkat {st.fmt_num(rank, 0)}{interval}</div>")
    if coverage is not None:
        note = (" — <b>kelas sementara</b>: bisa lebih tinggi bila data OPD dilengkapi"
                if _flag(row.get("class_provisional")) else "")
        parts.append(f"<div>Kelengkapan data: {st.fmt_num(100 * coverage, 0)}%{note}</div>")
    parts.append("<div><b>Skor per OPD</b></div>")
    parts.append(_bars(row, dimensions))
    bottleneck = str(row.get("bottleneck") or "")
    if bottleneck:
        known = dimensions.get(bottleneck)
        label = known.agency if known is not None else bottleneck
        parts.append(f"<div>Hambatan utama: <b>{escape(label)}</b></div>")
    actions = split_actions(row.get("actions"))
    if actions:
        items = "".join(f"<li>{escape(a)}</li>" for a in actions)
        parts.append(f"<div>Tindakan:</div><ul>{items}</ul>")
    minutes = _num(row.get("access_minutes"))
    gw = row.get("access_gateway")
    if minutes is None:
        near = _num(row.get("nearest_reachable_road_m"))
        where = (f"; jalan terjangkau terdekat {st.fmt_num(near / 1000.0)} km"
                 if near is not None else "")
        parts.append(f"<div>Akses: <b>tidak terjangkau</b> dari gerbang mana pun{where}</div>")
    else:
        via = escape(gateway_name or str(gw or "?"))
        code = f" ({escape(str(gw))})" if gw and gateway_name and gateway_name != gw else ""
        parts.append(f"<div>Akses: <b>{st.fmt_num(minutes, 0)} menit</b> dari {via}{code}</div>")
    u15, u30 = _num(row.get("umkm_15min")), _num(row.get("umkm_30min"))
    if u15 is not None or u30 is not None:
        parts.append(
            f"<div>UMKM terjangkau: {st.fmt_num(u15, 0)} dalam 15 menit, "
            f"{st.fmt_num(u30, 0)} dalam 30 menit</div>"
        )
    if str(row.get("provenance")) == "synthetic":
        parts.append(f'<div class="synthetic">{st.BANNER_SYNTHETIC}</div>')
    parts.append("</div>")
    return "".join(parts)


def table_popup(title: str, rows: Sequence[tuple[str, str]], *, synthetic: bool = False) -> str:
    """A two-column table popup (label, value), values already formatted as text."""
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    foot = f'<div class="synthetic">{st.BANNER_SYNTHETIC}</div>' if synthetic else ""
    return (f'<div class="sw-pop"><h4>{escape(title)}</h4>'
            f'<table class="row">{body}</table>{foot}</div>')
