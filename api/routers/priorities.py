"""Road-works priorities for PU: JSON, or a CSV / XLSX / GeoPackage download."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from fastapi import APIRouter, Depends, Query, Response

from geo.exceptions import WorkspaceError

from .._util import Body, is_synthetic, model_body
from ..deps import WorkspaceStore, get_store
from ..schemas import (
    Authority,
    DownloadFormat,
    ErrorResponse,
    PrioritiesResponse,
    PriorityRow,
)

router = APIRouter(prefix="/api/priorities", tags=["prioritas"])

COLUMNS = tuple(PriorityRow.model_fields)
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"


def select_within_budget(table: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Re-select in rank order: take each section whose cost still fits the budget.

    The rank order is the greedy pick order of the priorities step, so this is the same
    greedy rule applied to another budget; ``cumulative_cost_rp`` is the running cost of
    the sections selected so far.
    """
    t = table.sort_values("rank", kind="stable").copy()
    cost = pd.to_numeric(t["cost_rp"], errors="coerce").fillna(np.inf).to_numpy()
    chosen = np.zeros(len(t), dtype=bool)
    running = np.zeros(len(t))
    spent = 0.0
    for i, c in enumerate(cost):  # one pass over the ranked sections
        if spent + c <= budget:
            spent += c
            chosen[i] = True
        running[i] = spent
    t["selected"] = chosen
    t["cumulative_cost_rp"] = running
    return t


def priority_table(store: WorkspaceStore, *, budget: float | None,
                   authority: str | None) -> gpd.GeoDataFrame:
    """The stored priorities, filtered by authority and (re)selected for a budget."""

    def build() -> gpd.GeoDataFrame:
        p = store.map_data().priorities
        if p is None:
            raise WorkspaceError("layer 'priorities' belum ada (not computed yet): "
                                 "jalankan 'siapwisata priorities' dulu")
        t = p
        if authority and authority != "all":
            t = t[t["authority"].astype(str) == authority]
        t = select_within_budget(t, budget) if budget is not None else \
            t.sort_values("rank", kind="stable")
        return gpd.GeoDataFrame(t, geometry=p.geometry.name, crs=p.crs)

    return store.cached(("priority_table", budget, authority), build)


def _v(x: Any) -> Any:
    if x is None or x is pd.NA:
        return None
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


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
                   "konfigurasi, bukan angka resmi (unit costs and speeds are assumptions).")
    return out


@router.get(
    "",
    response_model=PrioritiesResponse,
    responses={
        200: {"content": {CSV: {}, XLSX: {}, GPKG: {}},
              "description": "JSON, or the table as a file with format=csv|xlsx|gpkg"},
        409: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
    },
)
def priorities(
    store: Annotated[WorkspaceStore, Depends(get_store)],
    budget: Annotated[float | None, Query(ge=0, allow_inf_nan=False,
                                          description="Budget in Rupiah")] = None,
    authority: Annotated[Authority | None, Query(description="Road authority")] = None,
    format: Annotated[DownloadFormat, Query(description="json, csv, xlsx or gpkg")]
    = DownloadFormat.json,
) -> Response:
    """Ranked road sections with cost, minutes saved, score gain and benefit/cost."""
    auth = authority.value if authority else None

    def build() -> Body:
        t = priority_table(store, budget=budget, authority=auth)
        if format is DownloadFormat.json:
            rows = [PriorityRow.model_validate({k: _v(r.get(k)) for k in COLUMNS})
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
        return _download(t, format, _assumptions(store))

    key = ("priorities", budget, auth, format.value)
    return store.cached(key, build).response()


def _filename(fmt: DownloadFormat) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="prioritas-jalan.{fmt.value}"'}


def _download(t: gpd.GeoDataFrame, fmt: DownloadFormat, assumptions: list[str]) -> Body:
    cols = [c for c in t.columns if c != t.geometry.name]
    if fmt is DownloadFormat.csv:
        # BOM so that Excel (common in the agencies) opens UTF-8 correctly.
        text = pd.DataFrame(t[cols]).to_csv(index=False)
        return Body(("\ufeff" + text).encode("utf-8"), CSV, _filename(fmt))
    with tempfile.TemporaryDirectory(prefix="siapwisata-") as tmp:
        path = Path(tmp) / f"prioritas-jalan.{fmt.value}"
        if fmt is DownloadFormat.xlsx:
            write_xlsx(pd.DataFrame(t[cols]), path, assumptions)
            media = XLSX
        else:
            pyogrio.write_dataframe(t.reset_index(drop=True), path, layer="priorities")
            media = GPKG
        return Body(path.read_bytes(), media, _filename(fmt))


def write_xlsx(df: pd.DataFrame, path: Path, assumptions: list[str]) -> None:
    """The priorities table for people: Indonesian headers, widths, Rupiah formats, and a
    sheet stating the assumptions. Uses the priorities step's own writer when it has one."""
    try:
        from geo.priorities import write_priorities_xlsx  # type: ignore[attr-defined]
    except ImportError:
        write_priorities_xlsx = None
    if write_priorities_xlsx is not None:
        write_priorities_xlsx(df, path)
        return
    from maps.priorities import COLUMNS as HEADERS

    headers = dict(HEADERS)
    out = df.rename(columns={c: headers.get(c, c) for c in df.columns})
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        out.to_excel(xw, sheet_name="Prioritas", index=False)
        pd.DataFrame({"Asumsi": assumptions}).to_excel(xw, sheet_name="Asumsi", index=False)
        ws = xw.sheets["Prioritas"]
        for i, col in enumerate(df.columns, start=1):
            letter = ws.cell(row=1, column=i).column_letter
            ws.column_dimensions[letter].width = max(12, min(40, len(headers.get(col, col)) + 2))
            if col in ("cost_rp", "cumulative_cost_rp"):
                for cell in ws[letter][1:]:
                    cell.number_format = '"Rp" #,##0'
        xw.sheets["Asumsi"].column_dimensions["A"].width = 100
