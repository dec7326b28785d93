"""The rapor OPD (``GET /rapor``) and the page of one destination (``GET /destinasi/{id}``)
(issue 13): the values come from :mod:`geo.steps.rapor`, this module formats them.

Both pages are the same for every reader, so they are built once per workspace version
and kept (the account widget fills itself in from ``/akun.js``). The rapor also depends on
the date ("days since the last update") and on ``sejak``: it is kept per both and never
handed to the fast path, which keys by URL alone. Every value goes through Jinja's
autoescaping; the small map's data is JSON in a ``<script type="application/json">``
read with ``JSON.parse``, and its one inline script is the same on every page (allowed by
its hash, :func:`api._util.html_body`).
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final
from urllib.parse import quote

import pandas as pd
from markupsafe import Markup

from geo.exceptions import SiapError, WorkspaceError
from geo.report.build import BANNER
from geo.steps import rapor as rp
from geo.steps.rapor import AgencyReport, Rapor
from maps import (
    CLASS_LABELS,
    REACH_MINUTES,
    REACH_STYLES,
    class_color,
    fmt_num,
    fmt_rupiah,
    layer_config,
    split_actions,
)

from .._util import Body, html_body, json_value
from ..deps import WorkspaceStore
from ..errors import BadParameter
from .charts import fmt_date, trend_svg
from .freshness import page_banner
from .pages import templates

TASK_URL: Final = "/rencana/tugas/"
"""The form of one task (the TASKS pages); ``task_id`` is appended, URL-encoded."""
PRINT_ROWS: Final = 8
"""Rows of each list an agency's printed page shows (bottlenecks, tasks): one A4 page per
agency holds its summary, two lists of this length and its data completeness."""
STATUS_LABELS: Final = {"usulan": "usulan", "direncanakan": "direncanakan",
                        "berjalan": "berjalan", "selesai": "selesai", "batal": "batal"}
DEFAULT_SINCE_DAYS: Final = 30


def today() -> date:
    """Today's date (UTC), the reference of "days since the last update"."""
    return datetime.now(UTC).date()


def parse_since(text: str | None, now: date) -> date:
    """The ``sejak`` parameter: ``YYYY-MM-DD``; default 30 days ago. (A date after today
    compares with the latest scored version: nothing changed since.)

    Raises
    ------
    BadParameter
        Not a date of that form (422, in Bahasa Indonesia).
    """
    if text is None or not text.strip():
        return date.fromordinal(now.toordinal() - DEFAULT_SINCE_DAYS)
    raw = text.strip()
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter("query.sejak", f"'{raw[:40]}' bukan tanggal yang sah: tulis "
                                          "YYYY-MM-DD, misalnya 2026-01-31") from None
    return day


# --- small formatters -----------------------------------------------------------------


def _num(v: Any) -> float | None:
    v = json_value(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _pct(share: float) -> str:
    return "–" if not math.isfinite(share) else f"{fmt_num(100 * share, 0)}%"


def _class(klass: str | None) -> dict[str, str]:
    return {"label": CLASS_LABELS.get(str(klass), "–") if klass else "–",
            "color": class_color(klass)}


UNDONE = "selesai, tetapi bukti sudah dibatalkan"
"""A task reported done whose proof the data no longer shows (a rollback, a later edit)."""


def _status_text(row: Mapping[Any, Any]) -> str:
    status = str(row.get("status") or "")
    if status == "selesai" and json_value(row.get("proof_holds")) is False:
        return UNDONE
    return status


def _task_rows(tasks: pd.DataFrame) -> list[dict[str, Any]]:
    """Tasks as template rows (text, status, budget, target year, link)."""
    rows = []
    for r in tasks.to_dict("records"):  # one agency's or one destination's tasks
        year = json_value(r.get("target_year"))
        rows.append({
            "task_id": str(r["task_id"]),
            "url": TASK_URL + quote(str(r["task_id"]), safe=""),
            "text": str(json_value(r.get("text")) or r.get("indicator") or ""),
            "destination_id": str(r.get("destination_id") or ""),
            "destination_name": str(json_value(r.get("destination_name")) or ""),
            "agency_name": str(json_value(r.get("agency_name")) or r.get("agency") or ""),
            "status": _status_text(r),
            "budget": fmt_rupiah(r.get("budget_rp")),
            "estimate": fmt_rupiah(r.get("estimated_cost_rp")),
            "target_year": "–" if year is None else str(int(year)),
            "progress": ("–" if _num(r.get("progress_pct")) is None
                         else f"{fmt_num(r.get('progress_pct'), 0)}%"),
            "notes": str(json_value(r.get("notes")) or ""),
        })
    return rows


# --- the destination page -----------------------------------------------------------------


def _table(store: WorkspaceStore, layer: str) -> pd.DataFrame | None:
    """A layer's attributes (no geometry), kept for the version."""

    def build() -> pd.DataFrame | None:
        ws = store.ws.require()
        return ws.read_table(layer) if ws.has(layer) else None

    return store.cached(("table", layer), build)


def _scores(store: WorkspaceStore) -> Any:
    s = _geo_scores(store)
    if s is None:
        raise WorkspaceError(
            "layer 'scores' belum ada: jalankan 'siapwisata score' dulu")
    return s


def _geo_scores(store: WorkspaceStore) -> Any:
    def build() -> Any:
        ws = store.ws.require()
        return ws.read("scores") if ws.has("scores") else None

    return store.cached(("scores_layer",), build)


def destination_context(store: WorkspaceStore, id: str) -> dict[str, Any] | None:
    """What ``halaman_destinasi.html`` shows; None for an unknown id."""
    s = _scores(store)
    hit = s[s["id"].astype(str) == id]
    if hit.empty:
        return None
    row = {k: json_value(v) for k, v in hit.iloc[0].items() if k != s.geometry.name}
    geom = hit.geometry.iloc[0]
    dims = store.dimensions()
    config = store.readiness_config()
    bottleneck = str(row.get("bottleneck") or "")
    breakdown = []
    for key, lab in dims.items():
        score = _num(row.get(f"score_{key}"))
        low, high = _num(row.get(f"score_{key}_low")), _num(row.get(f"score_{key}_high"))
        breakdown.append({
            "key": key, "label": lab.short, "agency": lab.agency, "color": lab.color,
            "score": score, "low": low, "high": high,
            "score_text": "?" if score is None else fmt_num(score, 0),
            "range_text": ("" if low is None or high is None or abs(high - low) < 0.05
                           else f"{fmt_num(low, 0)}–{fmt_num(high, 0)}"),
            "weight": fmt_num(config.dimensions[key].weight, 2)
            if key in config.dimensions else "–",
            "bottleneck": key == bottleneck,
        })
    attrs: dict[str, Any] = {}
    dest = _table(store, "destinations")
    if dest is not None:
        d = dest[dest["id"].astype(str) == id]
        if len(d):
            attrs = {str(k): json_value(v) for k, v in d.iloc[0].items()}
    minutes = _num(row.get("access_minutes"))
    gateway = row.get("access_gateway_name") or row.get("access_gateway")
    tasks = rp.destination_tasks(store.ws, id)
    trend = rp.destination_trend(store.ws, id)
    classes = {c: getattr(config.classes, c) for c in ("berkembang", "maju", "mandiri")}
    point = None if geom is None or geom.is_empty else [round(geom.y, 6), round(geom.x, 6)]
    map_config = {
        "point": point,
        "reach": f"/api/destinations/{quote(id, safe='')}/reach",
        "styles": {str(m): REACH_STYLES[m] for m in REACH_MINUTES},
        "color": class_color(row.get("class")),
        "tiles": [layer_config(t) for t in store.tiles],
        "vector": any(t.kind == "vector" for t in store.tiles),
    }
    return {
        "title": str(row.get("name") or id),
        "id": id, "d": row, "attrs": attrs,
        "klass": _class(row.get("class")),
        "provisional": bool(row.get("class_provisional")),
        "score": fmt_num(row.get("score")), "score_low": fmt_num(row.get("score_low")),
        "score_high": fmt_num(row.get("score_high")),
        "coverage": _pct(_num(row.get("coverage")) or float("nan")),
        "rank": "–" if row.get("rank") is None else int(row["rank"]),
        "rank_range": ("" if row.get("rank_low") is None or row.get("rank_high") is None
                       else f"{int(row['rank_low'])}–{int(row['rank_high'])}"),
        "n_destinations": len(s),
        "bottleneck": dims[bottleneck].agency if bottleneck in dims else "–",
        "access": ("tidak terjangkau dari gerbang mana pun" if minutes is None
                   else f"{fmt_num(minutes, 0)} menit dari {gateway}"),
        "umkm15": fmt_num(row.get("umkm_15min"), 0), "umkm30": fmt_num(row.get("umkm_30min"), 0),
        "breakdown": breakdown, "actions": split_actions(row.get("actions")),
        "tasks": _task_rows(tasks),
        "trend": trend_svg(trend, classes=classes,
                           title=f"Tren skor {row.get('name') or id}"),
        "trend_points": [{"version": p.version, "date": fmt_date(p.at, time=True),
                          "score": fmt_num(p.score), "low": fmt_num(p.score_low),
                          "high": fmt_num(p.score_high), "klass": _class(p.klass)["label"]}
                         for p in reversed(trend)],
        "map_config": map_config, "leaflet": True,
        "synthetic": bool(row.get("synthetic")),
        "reach_minutes": list(REACH_MINUTES),
        "version": store.version(),
    }


def destination_page(store: WorkspaceStore, id: str) -> Body | None:
    """``GET /destinasi/{id}``, kept per version; None for an unknown id."""

    def build() -> Body | None:
        ctx = destination_context(store, id)
        if ctx is None:
            return None
        html = templates.get_template("halaman_destinasi.html").render(
            stale_banner=page_banner(store), **ctx)
        return html_body(html, tiles=store.tiles)

    return store.cached(("destinasi_page", id), build)


def not_found_page(store: WorkspaceStore, id: str) -> str:
    """The 404 page of an unknown destination id (Bahasa Indonesia)."""
    try:
        banner = page_banner(store)
    except SiapError:
        banner = Markup("")
    return templates.get_template("tidak_ditemukan.html").render(
        title="Destinasi tidak ditemukan", stale_banner=banner, id=id)


# --- the rapor -------------------------------------------------------------------------------


def _agency_context(a: AgencyReport, store: WorkspaceStore) -> dict[str, Any]:
    last = a.last_update
    return {
        "key": a.key, "agency": a.agency, "short": a.short, "color": a.color,
        "bottlenecks": [{"id": b.id, "name": b.name, "url": "/destinasi/" + quote(b.id, safe=""),
                         "klass": _class(b.klass), "score_low": fmt_num(b.score_low),
                         "gain": fmt_num(b.gain)} for b in a.bottlenecks],
        "tasks": _task_rows(a.tasks),
        "counts": a.counts, "adopted": a.adopted, "suggested": a.suggested,
        "committed": fmt_rupiah(a.committed_rp),
        "last": None if last is None else {
            "date": fmt_date(last.at, time=True), "days": last.days,
            "username": last.username, "kind": last.kind, "version": last.version,
            "summary": last.summary},
        "completeness": [{"layer": c.layer, "column": c.column, "share": _pct(c.share),
                          "width": 0 if not math.isfinite(c.share) else round(100 * c.share),
                          "weight": c.weight, "present": c.present}
                         for c in a.completeness],
        "completeness_share": _pct(a.completeness_share),
    }


def rapor_context(store: WorkspaceStore, report: Rapor) -> dict[str, Any]:
    """What ``rapor.html`` shows."""
    config = store.readiness_config()
    classes = {c: getattr(config.classes, c) for c in ("berkembang", "maju", "mandiri")}
    last = report.trend[-1] if report.trend else None
    scores = _geo_scores(store)
    names = ({} if scores is None else
             dict(zip(scores["id"].astype(str), scores["name"].astype(str), strict=True)))
    return {
        "title": "Rapor OPD", "leaflet": False,
        "today": fmt_date(report.today.isoformat()), "today_iso": report.today.isoformat(),
        "since": report.since.isoformat(), "since_text": fmt_date(report.since.isoformat()),
        "agencies": [_agency_context(a, store) for a in report.agencies],
        "trend": trend_svg(report.trend, classes=classes,
                           title="Tren kesiapan kabupaten (rata-rata skor per versi)"),
        "trend_last": None if last is None else {
            "version": last.version, "date": fmt_date(last.at, time=True),
            "score": fmt_num(last.score), "low": fmt_num(last.score_low)},
        "n_versions": len(report.trend),
        "baseline": None if report.baseline is None else {
            "version": report.baseline.version,
            "date": fmt_date(report.baseline.at, time=True)},
        "changes": [{"id": c.id, "name": names.get(c.id, c.name),
                     "url": "/destinasi/" + quote(c.id, safe=""),
                     "before": _class(c.before), "now": _class(c.now),
                     "low_before": fmt_num(c.score_low_before),
                     "low_now": fmt_num(c.score_low_now),
                     "up": (c.score_low_now or 0) > (c.score_low_before or 0)}
                    for c in report.class_changes],
        "n_destinations": report.n_destinations,
        # the whole rapor is labelled, on screen and on every printed agency page
        "synthetic": store.synthetic(),
        "synthetic_words": BANNER,
        "print_rows": PRINT_ROWS,
        "version": store.version(),
    }


def rapor_body(store: WorkspaceStore, since: date, now: date) -> Body:
    """``GET /rapor`` for ``sejak=since`` on ``now``, kept per version, date and ``sejak``."""
    key: Hashable = ("rapor", since.isoformat(), now.isoformat())

    def build() -> Body:
        report = rp.rapor(store.ws.require(), store.readiness_config(), since=since, today=now)
        html = templates.get_template("rapor.html").render(
            stale_banner=page_banner(store), **rapor_context(store, report))
        return html_body(html)

    return store.cached(key, build)


def rapor_gzip(store: WorkspaceStore, since: date, now: date) -> bytes:
    """The rapor's bytes gzip-compressed (about a fifth: the district offices' links are
    slow), kept like the page itself."""
    key: Hashable = ("rapor.gz", since.isoformat(), now.isoformat())
    return store.cached(key, lambda: gzip.compress(rapor_body(store, since, now).content, 6))


def rapor_error_page(store: WorkspaceStore, message: str, since: str | None) -> str:
    """The rapor's form with the message of a refused ``sejak`` (422)."""
    try:
        banner = page_banner(store)
    except SiapError:
        banner = Markup("")
    return templates.get_template("rapor.html").render(
        title="Rapor OPD", stale_banner=banner, error=message, agencies=[],
        since=(since or "")[:40], failed=True)
