"""The import step: an agency (OPD) file into the workspace (``siapwisata import``).

The files are read and checked by :mod:`geo.io.importers` (every problem at once, before
anything is written); this step merges the result into its layer and stores it atomically.
"""

from __future__ import annotations

from pathlib import Path

from geo._progress import SILENT, Reporter
from geo.exceptions import InputError, Problem
from geo.io.importers import (
    KINDS,
    ROAD_MATCH_TOLERANCE_M,
    SPECS,
    ImportSummary,
    import_source,
    merge_layer,
    read_points,
    read_road_conditions,
)
from geo.io.workspace import Workspace, writes_workspace


def import_road_conditions(
    path: Path, ws: Workspace, *, reporter: Reporter = SILENT,
    tolerance_m: float = ROAD_MATCH_TOLERANCE_M,
) -> ImportSummary:
    """Join a PU road survey to the ``roads`` layer (see
    :func:`geo.io.importers.match_survey`) and store it."""
    updated, summary = read_road_conditions(path, ws, reporter=reporter,
                                            tolerance_m=tolerance_m)
    with ws.update() as stage:
        stage.write("roads", updated)
        stage.add_source(import_source(path, "roads", f"PU road survey: {summary.rows_read} "
                                       f"rows, {summary.updated} edges updated"),
                         replace_layer=False)
    return summary


def import_points(
    kind: str, path: Path, ws: Workspace, *, reporter: Reporter = SILENT
) -> ImportSummary:
    """Import destinations, UMKM or gateways; merge by ``id`` into the layer."""
    new, rows_read = read_points(kind, path, ws, reporter=reporter)
    layer = SPECS[kind].layer
    existing = ws.read(layer) if ws.has(layer) else None
    merged, added, replaced = merge_layer(existing, new)
    details: tuple[tuple[str, int], ...] = ()
    if kind == "umkm":
        prec = new["location_precision"].value_counts()
        details = (("lokasi exact (coordinates)", int(prec.get("exact", 0))),
                   ("lokasi kampung_centroid (kampung point)", int(prec.get("kampung_centroid", 0))))
    reporter.step(f"menulis layer '{layer}' (writing)")
    with ws.update() as stage:
        stage.write(layer, merged)
        stage.add_source(import_source(path, layer, f"import {kind}: {len(new)} rows "
                                       f"({added} added, {replaced} replaced)"),
                         replace_layer=False)
    return ImportSummary(kind, layer, str(path), rows_read, added=added, replaced=replaced,
                         total=len(merged), details=details)


@writes_workspace
def import_file(
    kind: str, path: Path, ws: Workspace, *, reporter: Reporter = SILENT
) -> ImportSummary:
    """Import an agency file into the workspace (``siapwisata import KIND FILE``).

    Parameters
    ----------
    kind
        ``destinations``, ``umkm``, ``gateways`` or ``road-conditions``.
    path
        CSV, XLSX, GeoJSON or GeoPackage file.
    ws
        An existing workspace; it is only changed when the whole file is valid.

    Raises
    ------
    InputError
        Every problem in the file at once (file, line, field); nothing is written.
    WorkspaceError
        The workspace is missing, or lacks ``roads`` for road conditions.
    """
    if kind not in KINDS:
        raise InputError([Problem(str(path), f"jenis impor '{kind}' tidak dikenal; "
                                  f"pilihan: {', '.join(KINDS)}")])
    path = Path(path)
    if kind == "road-conditions":
        return import_road_conditions(path, ws, reporter=reporter)
    return import_points(kind, path, ws, reporter=reporter)
