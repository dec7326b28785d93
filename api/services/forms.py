"""The contribution pages (Bahasa Indonesia): forms, the upload preview and the history.

Rendered per request (they carry the user's CSRF token, so they are never kept in the
shared cache); every value goes through Jinja's autoescaping, and the data the small
Leaflet maps draw is embedded as JSON (``tojson``) and shown with ``textContent``, never
as markup. Inline scripts are allowed by the hash :func:`api._util.page_response`
computes from the finished page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

from geo import fmt, schema
from geo.accounts import User
from geo.exceptions import SiapError
from geo.labels import label
from geo.report.build import BANNER

from .._util import json_value
from ..deps import WorkspaceStore
from . import contribute
from .freshness import page_banner
from .pages import templates

if TYPE_CHECKING:
    from geo.readiness import ReadinessConfig

CONTEXT_TOLERANCE_M = 200.0
"""Simplification of the distrik outlines drawn under the small maps (context only)."""


def render(template: str, *, title: str, store: WorkspaceStore, user: User | None,
           csrf_token: str, message: str | None = None, error: str | None = None,
           **context: Any) -> str:
    """A page of the contribution templates, with header, messages, the stale banner and
    the synthetic label (an editor must know a record was generated before correcting
    it, and the history and plans are about the same data)."""
    try:
        banner = page_banner(store)
    except SiapError:
        banner = Markup("")
    return templates.get_template(template).render(
        title=title, user=user, csrf_token=csrf_token, message=message, error=error,
        stale_banner=banner, synthetic_banner=BANNER if store.synthetic() else None,
        **context)


def _config(store: WorkspaceStore) -> ReadinessConfig | None:
    try:
        return store.readiness_config()
    except SiapError:
        return None


def _choices(store: WorkspaceStore, layer: str) -> list[dict[str, str]]:
    """id and name of a point layer's rows, by name (the forms' pickers)."""
    if not store.ws.exists or not store.ws.has(layer):
        return []

    def build() -> list[dict[str, str]]:
        df = store.ws.read_table(layer)
        rows = [{"id": str(i), "name": str(n) if isinstance(n, str) and n else str(i)}
                for i, n in zip(df["id"], df["name"], strict=True)]
        return sorted(rows, key=lambda r: (r["name"].casefold(), r["id"]))

    return store.cached(("choices", layer), build)


def _agency_label(store: WorkspaceStore, user: User) -> str:
    try:
        label = store.dimensions().get(user.agency)
    except SiapError:
        label = None
    return label.agency if label is not None else user.agency


def _scope_text(store: WorkspaceStore, user: User) -> str:
    """What the user's agency owns, in words (readiness.toml ``owns``)."""
    config = _config(store)
    dim = config.dimensions.get(user.agency) if config is not None else None
    if dim is None:
        return ""
    parts = []
    if dim.owns.layers:
        parts.append("layer " + ", ".join(dim.owns.layers))
    if dim.owns.columns:
        parts.append("kolom " + ", ".join(dim.owns.columns))
    return "; ".join(parts)


def contribute_page(store: WorkspaceStore, user: User | None, csrf_token: str, *,
                    message: str | None = None, error: str | None = None) -> str:
    """``GET /kontribusi``: upload and the one-record forms."""
    return render(
        "kontribusi.html", title="Kontribusi data", store=store, user=user,
        csrf_token=csrf_token, message=message, error=error,
        agency_label=_agency_label(store, user) if user else "",
        scope=_scope_text(store, user) if user else "",
        kinds=list(contribute.KIND_LABELS.items()),
        destinations=_choices(store, "destinations"), umkm=_choices(store, "umkm"))


def context_outlines(store: WorkspaceStore) -> dict[str, Any]:
    """Distrik outlines (simplified GeoJSON) drawn under the small maps."""
    from maps import features, simplify

    def build() -> dict[str, Any]:
        try:
            data = store.map_data()
            dis = data.distrik()
        except SiapError:
            return {"type": "FeatureCollection", "features": []}
        if dis is None or len(dis) == 0:
            return {"type": "FeatureCollection", "features": []}
        return features(simplify(dis[[dis.geometry.name]], data.metric_crs,
                                 CONTEXT_TOLERANCE_M))

    return store.cached(("context_outlines",), build)


def preview_page(store: WorkspaceStore, user: User, csrf_token: str,
                 preview: contribute.PreviewView) -> str:
    """The preview of an upload, with its confirmation form when it can be applied."""
    return render("pratinjau.html", title="Pratinjau unggahan", store=store, user=user,
                  csrf_token=csrf_token, p=preview, leaflet=bool(preview.new_points["features"]),
                  kind_label=contribute.KIND_LABELS.get(preview.kind, preview.kind),
                  context=context_outlines(store) if preview.new_points["features"] else {})


def _text(value: Any) -> str:
    value = json_value(value)
    return "" if value is None else str(value)


def destination_page(store: WorkspaceStore, user: User | None, csrf_token: str, id: str, *,
                     error: str | None = None) -> str:
    """The form of one destination: the columns the user's agency owns are editable."""
    rec = contribute.record(store, "destinations", id)
    skip = {"id", "provenance", "lon", "lat"}
    columns = [c for c in rec if c not in skip]
    config = _config(store)
    editable = (contribute.editable_columns(config, user, "destinations", columns)
                if config is not None and user is not None else [])
    fields = [{"name": c, "value": _text(rec[c])} for c in editable]
    readonly = [{"name": c, "value": _text(rec[c])} for c in columns if c not in editable]
    return render("destinasi.html", title="Ubah destinasi", store=store, user=user,
                  csrf_token=csrf_token, error=error, record=rec, fields=fields,
                  readonly=readonly, origin=_origin(rec.get("provenance")))


def _origin(provenance: Any) -> str:
    """Where a record came from, in words: shown on its form so an editor knows a
    generated record from a surveyed one. A record without it (or a ruas segment, which
    :func:`_tally` counts as ``unknown``) is "tidak diketahui"."""
    words = label("provenance", json_value(provenance))
    return words if words and words != "unknown" else "tidak diketahui"


def changed_fields(store: WorkspaceStore, id: str, form: dict[str, str]) -> dict[str, Any]:
    """The submitted fields of a destination form that differ from the stored values."""
    rec = contribute.record(store, "destinations", id)
    return {k: v for k, v in form.items() if k in rec and _text(rec[k]) != v.strip()}


def _tally(values: pd.Series, words: Callable[[str], str] = str) -> str:
    """The values of a ruas' segments with their counts, most frequent first:
    ``"baik (1.204), rusak_ringan (3)"`` (counts in Indonesian format)."""
    counts = values.astype("string").fillna("unknown").value_counts()
    return ", ".join(f"{words(str(k))} ({fmt.integer(v)})" for k, v in counts.items())


def road_page(store: WorkspaceStore, user: User | None, csrf_token: str, ruas_id: str, *,
              error: str | None = None) -> str:
    """The condition and surface form of one road section (``ruas_id``)."""
    rows = contribute.require_section(store, ruas_id)
    roads = store.ws.read_table("roads").iloc[rows]

    def tally(col: str, words: Callable[[str], str] = str) -> str:
        return _tally(roads[col], words) if col in roads else "–"

    names = roads["name"].dropna().astype(str) if "name" in roads else pd.Series(dtype=str)
    length = (float(pd.to_numeric(roads["length_m"], errors="coerce").sum()) / 1000.0
              if "length_m" in roads else float("nan"))
    from maps import fmt_num

    return render("jalan.html", title="Kondisi ruas jalan", store=store, user=user,
                  csrf_token=csrf_token, error=error, ruas_id=ruas_id.strip().upper(),
                  name=names.iloc[0] if len(names) else "", n_edges=fmt.integer(len(roads)),
                  length_km=fmt_num(length, 2),
                  conditions=tally("condition", lambda c: label("condition", c)),
                  surfaces=tally("surface", lambda c: label("surface", c)),
                  origin=tally("provenance", _origin),
                  # (code sent, words shown): the officer picks words, the form posts codes
                  condition_choices=[(c, label("condition", c)) for c in schema.CONDITIONS
                                     if c != "unknown"],
                  surface_choices=[(c, label("surface", c)) for c in schema.SURFACE_CLASSES
                                   if c != "unknown"])


def umkm_page(store: WorkspaceStore, user: User | None, csrf_token: str, id: str | None, *,
              error: str | None = None) -> str:
    """The add/move form of a UMKM, with a small map to click its place on."""
    rec: dict[str, Any] = (contribute.record(store, "umkm", id) if id
                           else {"id": None, "name": None, "type": None, "lon": None,
                                 "lat": None})
    return render("umkm.html", title="UMKM", store=store, user=user, csrf_token=csrf_token,
                  error=error, record=rec, origin=_origin(rec.get("provenance")),
                  types=[(t, label("umkm_type", t)) for t in schema.UMKM_TYPES], leaflet=True,
                  context=context_outlines(store))


def error_page(store: WorkspaceStore, user: User | None, csrf_token: str,
               message: str) -> str:
    """The contribution page with an error message (a refused form submission)."""
    return contribute_page(store, user, csrf_token, error=message)
