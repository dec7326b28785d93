"""The init step: a workspace from a region boundary (``siapwisata init``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import schema
from geo._progress import SILENT, Reporter
from geo.io.regions import admin_areas, read_polygons, write_region
from geo.io.workspace import Source, Workspace, writes_workspace


@writes_workspace
def init_workspace(
    ws: Workspace,
    boundary: Path,
    *,
    name: str | None = None,
    admin: Path | None = None,
    reporter: Reporter = SILENT,
) -> None:
    """Create (or reset the region of) a workspace from a boundary file."""
    reporter.step(f"membaca batas wilayah {boundary}")
    b = read_polygons(boundary, "boundary")
    region = name or str(b.iloc[0].get("nama", b.iloc[0].get("name", Path(boundary).stem)))
    adm = None
    if admin is not None:
        reporter.step(f"membaca wilayah administrasi {admin}")
        adm = admin_areas(read_polygons(admin, "admin areas"), str(admin))
    today = pd.Timestamp.now().date().isoformat()
    with ws.update(create=True) as stage:
        write_region(
            stage, b, name=region,
            boundary_source=Source(Path(boundary).name, schema.BOUNDARY, today, "lihat berkas"),
            admin=adm,
            admin_source=Source(Path(admin).name, "admin_areas", today, "lihat berkas") if admin else None,
        )
