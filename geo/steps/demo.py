"""The demo step: build the Mimika demo workspace (``siapwisata demo``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import schema
from geo._progress import SILENT, Reporter
from geo.crs import metric_crs
from geo.demo.generate import REGION_NAME, admin_layer, gateways_layer, generate, read_mimika
from geo.io.regions import write_region
from geo.io.workspace import Source, Workspace, writes_workspace


@writes_workspace
def build_demo(ws: Workspace, *, data_dir: Path, seed: int, reporter: Reporter = SILENT) -> None:
    """Build (or rebuild) the Mimika demo workspace at ``ws``.

    Parameters
    ----------
    ws
        Target workspace; created if missing, its layers replaced if present.
    data_dir
        The shared data folder holding ``mimika/``.
    seed
        Seed of the synthetic generator; the same seed gives the same layers.
    reporter
        Progress reporter (silent by default).
    """
    reporter.step(f"membaca data nyata Mimika {Path(data_dir) / 'mimika'}")
    data = read_mimika(Path(data_dir))
    admin = admin_layer(data)
    gateways = gateways_layer(data.gerbang)
    layers = generate(data, seed, reporter)
    reporter.step(f"menulis workspace {ws.path}")
    today = pd.Timestamp.now().date().isoformat()
    wilayah = "https://github.com/cahyadsn/wilayah_boundaries"
    gen_note = (f"DATA CONTOH (SINTETIS): dibuat oleh generator siapwisata demo, seed {seed}; "
                "bukan data survei")
    with ws.update(create=True) as stage:
        write_region(
            stage, data.boundary, name=REGION_NAME,
            boundary_source=Source(
                "kabupaten.geojson", schema.BOUNDARY, "2025", "MIT", wilayah,
                note="db/kab/wilayah_boundaries_kab_94.sql, commit 3c5a796; "
                     "kode per Kepmendagri 300.2.2-2430/2025"),
            admin=admin,
            admin_source=Source(
                "distrik.geojson", "admin_areas", "2025", "MIT", wilayah,
                note="db/kec/wilayah_boundaries_kec_94.sql, commit 3c5a796"),
        )
        stage.add_source(Source(
            "kampung.geojson", "admin_areas", "2025", "MIT", wilayah,
            note="db/kel/94/wilayah_boundaries_kel_94.04.sql, commit 3c5a796"),
            replace_layer=False)
        stage.write("gateways", gateways)
        stage.add_source(Source(
            "gerbang.geojson (bandara WABP, WABN)", "gateways", "2026-09-05", "MIT",
            "https://pypi.org/project/airportsdata/", note="airportsdata 20260905"))
        stage.add_source(Source(
            "gerbang.geojson (pelabuhan MMP, PMK, PP-POUMAKO)", "gateways", "tidak diketahui",
            "MIT (repositori); data Kemenhub simpel.dephub.go.id / KKP",
            "https://github.com/zackad/pelabuhan-indonesia-geojson",
            note="pelabuhan-indonesia.geojson dan extra/peta_pelabuhan_extra.geojson"),
            replace_layer=False)
        for name, gdf in (("roads", layers.roads), ("destinations", layers.destinations),
                          ("umkm", layers.umkm), ("pois", layers.pois)):
            stage.write(name, gdf)
            stage.add_source(Source(f"siapwisata demo ({name})", name, today,
                                    "tidak berlaku", synthetic=True,
                                    note=gen_note))
        stage.set_meta(
            region=REGION_NAME, synthetic="true", demo_seed=seed,
            metric_crs=f"EPSG:{metric_crs(data.boundary.union_all()).to_epsg()}",
            synthetic_note=(
                "DATA CONTOH (SINTETIS): jaringan jalan, rute perahu dan penerbangan, "
                "destinasi wisata, UMKM dan fasilitas (POI) di workspace ini dibuat oleh "
                "generator, bukan hasil survei. Batas kabupaten, distrik, kampung dan gerbang "
                "(bandara, pelabuhan) adalah data nyata."),
        )
