"""Road-works priorities for PU: the stored layer or a new selection, as JSON or a file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.exceptions import WorkspaceError
from geo.io import csv_text

from .._util import Body, is_synthetic, json_value, model_body
from ..deps import WorkspaceStore
from ..schemas import DownloadFormat, PrioritiesResponse, PriorityRow
from .common import answer

COLUMNS = tuple(PriorityRow.model_fields)
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"


def stored_setting(store: WorkspaceStore) -> tuple[str | None, float | None]:
    """Authority and budget the stored ``priorities`` layer was computed with."""
    from geo.steps.priorities import priorities_setting

    return priorities_setting(store.cached(("metadata",), store.ws.metadata))


def is_stored(store: WorkspaceStore, *, budget: float | None, authority: str | None) -> bool:
    """Whether the stored ``priorities`` layer answers this budget and authority (no
    recomputation needed)."""
    stored_auth, stored_budget = stored_setting(store)
    want_auth = authority or stored_auth or "kabupaten"
    return want_auth == (stored_auth or "kabupaten") and budget == stored_budget


def priority_table(store: WorkspaceStore, *, budget: float | None,
                   authority: str | None) -> gpd.GeoDataFrame:
    """The priorities for an authority and budget, in rank order.

    The stored layer answers when the request matches what it was computed for. Any other
    budget or authority is computed by the priorities step itself (greedy with
    re-evaluation after each pick, since upgrades interact), so the API and the
    ``siapwisata priorities`` command give the same rows. The step's prepared state is
    kept per authority, so a new budget re-runs only the greedy selection
    (:func:`geo.priorities.select_priorities`); each answer is cached.
    """

    def build() -> gpd.GeoDataFrame:
        data = store.map_data()
        p = data.priorities
        if p is None:
            raise WorkspaceError("layer 'priorities' belum ada: "
                                 "jalankan 'siapwisata priorities' dulu")
        stored_auth, _ = stored_setting(store)
        want_auth = authority or stored_auth or "kabupaten"
        if is_stored(store, budget=budget, authority=authority):
            return gpd.GeoDataFrame(p.sort_values("rank", kind="stable"),
                                    geometry=p.geometry.name, crs=p.crs)
        from geo.priorities import select_priorities

        return select_priorities(store.priorities_state(want_auth), budget).table

    return store.cached(("priority_table", budget, authority), build)


async def answer_priorities(store: WorkspaceStore, key: tuple[object, ...],
                            job: tuple[str, str], *args: object, budget: float | None,
                            authority: str | None) -> Body:
    """:func:`api.services.common.answer` for anything drawn from a priorities table: the
    thread pool when the stored layer answers it, else the lane."""
    return await answer(store, key, job, *args,
                        stored=lambda: is_stored(store, budget=budget, authority=authority))


async def priorities(store: WorkspaceStore, *, budget: float | None, authority: str | None,
                     fmt: DownloadFormat) -> Body:
    """The ``/api/priorities`` answer, cached per budget, authority and format."""
    key = ("priorities", budget, authority, fmt.value)
    return await answer_priorities(store, key, (__name__, "priorities_body"), budget,
                                   authority, fmt.value, budget=budget, authority=authority)


def _assumptions(store: WorkspaceStore) -> list[str]:
    srcs = store.map_data().sources
    out = []
    if not srcs.empty and "layer" in srcs:
        for _, s in srcs[srcs["layer"] == "priorities"].iterrows():
            note = s.get("note")
            if isinstance(note, str) and note:
                out.append(note)
    if not out:
        out.append("Biaya satuan (Rp/km) dan kecepatan hasil peningkatan adalah asumsi "
                   "konfigurasi, bukan angka resmi.")
    return out


def priorities_body(store: WorkspaceStore, budget: float | None, auth: str | None,
                    fmt: str) -> Body:
    """The ``/api/priorities`` answer (run on the lane when it needs a new selection)."""
    format = DownloadFormat(fmt)
    t = priority_table(store, budget=budget, authority=auth)
    if format is DownloadFormat.json:
        rows = [PriorityRow.model_validate({k: json_value(r.get(k)) for k in COLUMNS})
                for r in pd.DataFrame(t.drop(columns=t.geometry.name)).to_dict("records")]
        sel = t["selected"].fillna(False).astype(bool) if "selected" in t else \
            pd.Series(False, index=t.index)
        resp = PrioritiesResponse(
            budget=budget, authority=auth or "all", count=len(t),
            selected_count=int(sel.sum()),
            selected_cost_rp=float(pd.to_numeric(t["cost_rp"], errors="coerce")[sel].sum()),
            synthetic=is_synthetic(t), assumptions=_assumptions(store), rows=rows,
        )
        return model_body(resp)
    return _download(t, format, _assumption_table(store, t, budget=budget, authority=auth))


def _filename(fmt: DownloadFormat) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="prioritas-jalan.{fmt.value}"'}


def _assumption_table(store: WorkspaceStore, t: gpd.GeoDataFrame, *, budget: float | None,
                      authority: str | None) -> pd.DataFrame:
    """The 'Asumsi' sheet of a download: the configurations the rows were computed with.

    The stored layer's come from the workspace record (not the default files); a new
    budget or authority is computed with the store's, which are those same records.
    """
    from geo.priorities import priorities_assumptions
    from geo.steps import read_stored_priorities_configs

    if is_stored(store, budget=budget, authority=authority):
        stored = read_stored_priorities_configs(store.ws)
        if stored is not None:
            config, network, texts = stored
        else:  # a layer written before configurations were recorded
            config, network, texts = (store.priorities_config()[0], store.network()[0], {})
        stored_auth, stored_budget = stored_setting(store)
        budget, authority = stored_budget, stored_auth or "kabupaten"
    else:
        (config, ptext), (network, ntext) = store.priorities_config(), store.network()
        texts = {"priorities": ptext, "readiness": store.readiness()[1], "network": ntext}
    return priorities_assumptions(config, network, synthetic=is_synthetic(t), budget=budget,
                                  authority=authority or "kabupaten", configs=texts)


def _download(t: gpd.GeoDataFrame, fmt: DownloadFormat, assumptions: pd.DataFrame) -> Body:
    cols = [c for c in t.columns if c != t.geometry.name]
    if fmt is DownloadFormat.csv:
        # BOM so that Excel (common in the agencies) opens UTF-8 correctly.
        text = csv_text(pd.DataFrame(t[cols]), bom=True)
        return Body(text.encode("utf-8"), CSV, _filename(fmt))
    with tempfile.TemporaryDirectory(prefix="siapwisata-") as tmp:
        path = Path(tmp) / f"prioritas-jalan.{fmt.value}"
        if fmt is DownloadFormat.xlsx:
            # the priorities step's own workbook (Indonesian headers, formats, 'Asumsi')
            from geo.priorities import write_priorities_xlsx

            write_priorities_xlsx(pd.DataFrame(t[cols]), path, assumptions)
            media = XLSX
        else:
            pyogrio.write_dataframe(t.reset_index(drop=True), path, layer="priorities")
            media = GPKG
        return Body(path.read_bytes(), media, _filename(fmt))
