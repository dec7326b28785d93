"""The Mimika demo layers (``siapwisata demo``; written by :func:`geo.steps.build_demo`).

Real, from ``DATA_DIR/mimika`` and with their ids kept: the regency boundary, the 18 distrik
and 152 kampung (``admin_areas``) and the five gateways (airports WABP and WABN, ports MMP,
PMK and PP-POUMAKO).

Generated, DATA CONTOH (SINTETIS), ``provenance = "synthetic"`` on every row: the ``roads``
network, ``destinations``, ``umkm`` and ``pois``. Real Mimika roads, sites and businesses
are not available offline, so the generator builds a plausible picture around the real
kampung points with a fixed seed:

- a dense Timika street grid (and a small Kuala Kencana grid);
- paved arterials to the airport (WABP), Pomako (PMK), Amamapare (MMP) and Kuala Kencana;
- mixed-surface kabupaten/desa roads to the lowland kampung of the Timika area (long
  unpaved sections far from town, candidates for road priorities);
- no road to coastal and highland kampung: boat links (``mode = "water"``) from Pomako,
  Amamapare and Kokonao, flights (``mode = "air"``) from TIM to highland airstrips, and
  footpaths from landings and airstrips to the kampung.

Which kampung are reached by road, boat or air follows their distrik (see
:data:`ACCESS_BY_DISTRIK`), as on the ground: the lowland south coast by boat, the
highlands by air.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geo import schema
from geo._progress import SILENT, Reporter
from geo.crs import metric_crs
from geo.demo._synth import (
    NAME_NOTE,
    SURFACES4,
    FloatArray,
    IntArray,
    InteriorRouter,
    NetworkBuilder,
    Projector,
    bend_once,
    condition_for,
    curve_points,
    grid_cells,
    largest_component,
    pick,
    polyline_road,
    scatter_near,
    taut,
)
from geo.exceptions import InputError, Problem
from geo.io import regions
from geo.io.regions import admin_areas, read_polygons

REGION_NAME = "Kabupaten Mimika"
SYNTHETIC = "synthetic"

ACCESS_BY_DISTRIK: dict[str, str] = {
    # Timika and its lowland hinterland: roads.
    "Mimika Baru": "road", "Kuala Kencana": "road", "Kwamki Narama": "road",
    "Wania": "road", "Iwaka": "road", "Mimika Timur": "road",
    # The south coast, cut by rivers and swamps: boats.
    "Mimika Barat": "water", "Mimika Barat Jauh": "water", "Mimika Barat Tengah": "water",
    "Mimika Tengah": "water", "Mimika Timur Jauh": "water", "Jita": "water",
    "Agimuga": "water", "Amar": "water",
    # The highlands: pioneer flights (the mining road is not public).
    "Tembagapura": "air", "Hoya": "air", "Jila": "air", "Alama": "air",
}

# Boat hub per coastal distrik: Kokonao serves the west, Pomako the centre, Amamapare the east.
WATER_HUB_BY_DISTRIK: dict[str, str] = {
    "Mimika Barat": "KOKONAO", "Mimika Barat Jauh": "KOKONAO",
    "Mimika Barat Tengah": "KOKONAO", "Amar": "KOKONAO",
    "Mimika Tengah": "PMK",
    "Mimika Timur Jauh": "MMP", "Jita": "MMP", "Agimuga": "MMP",
}

TIMIKA_CENTRE = (136.88, -4.55)
TIMIKA_GRID_CENTRE = (136.8765, -4.554)
TIMIKA_GRID_SIZE_M = (8500.0, 10100.0)
KOKONAO = "Kokonao"
NODE_ID_BASE = 1
REQUIRED_GATEWAYS = ("WABP", "WABN", "MMP", "PMK", "PP-POUMAKO")
KUALA_KENCANA = "Kuala Kencana"

_GATEWAY_KIND = {"bandara": "bandara", "pelabuhan": "pelabuhan",
                 "pelabuhan_perikanan": "pelabuhan", "terminal": "terminal"}

MAIN_STREETS = (
    "Jalan Budi Utomo", "Jalan Yos Sudarso", "Jalan Cenderawasih", "Jalan Hasanuddin",
    "Jalan Ahmad Yani", "Jalan Sam Ratulangi", "Jalan Pattimura", "Jalan Bhayangkara",
    "Jalan Belibis", "Jalan Serui Mekar", "Jalan Diponegoro", "Jalan Sudirman",
    "Jalan Gatot Subroto", "Jalan Kartini", "Jalan Imam Bonjol", "Jalan Trikora",
)
STREET_WORDS = (
    "Mawar", "Melati", "Anggrek", "Kenanga", "Cempaka", "Dahlia", "Flamboyan", "Kamboja",
    "Teratai", "Matoa", "Kasuari", "Nuri", "Kakatua", "Merpati", "Rajawali", "Elang",
    "Kutilang", "Mambruk", "Pelikan", "Camar", "Bangau", "Sagu", "Pinang", "Kelapa",
    "Nipah", "Bakau", "Damai", "Sejahtera", "Harapan", "Pelangi", "Seroja", "Cendana",
    "Beringin", "Mahoni", "Meranti", "Bambu",
)


# --- reading the real data --------------------------------------------------------------


@dataclass(frozen=True)
class MimikaData:
    """The real Mimika files, read and checked."""

    boundary: gpd.GeoDataFrame
    distrik: gpd.GeoDataFrame
    kampung: gpd.GeoDataFrame
    gerbang: gpd.GeoDataFrame
    folder: Path


def read_mimika(data_dir: Path) -> MimikaData:
    """Read ``data_dir/mimika/{kabupaten,distrik,kampung,gerbang}.geojson``.

    Raises
    ------
    InputError
        Listing every missing or unreadable file (and missing columns) at once.
    """
    folder = Path(data_dir) / "mimika"
    names = ("kabupaten", "distrik", "kampung", "gerbang")
    missing = [Problem(str(folder / f"{n}.geojson"),
                       "file tidak ditemukan; atur --data-dir atau SIAPWISATA_DATA_DIR")
               for n in names if not (folder / f"{n}.geojson").exists()]
    if missing:
        raise InputError(missing)
    boundary = read_polygons(folder / "kabupaten.geojson", "boundary")
    distrik = read_polygons(folder / "distrik.geojson", "distrik")
    kampung = read_polygons(folder / "kampung.geojson", "kampung")
    gpath = folder / "gerbang.geojson"
    try:
        gerbang = pyogrio.read_dataframe(gpath)
    except Exception as exc:
        raise InputError([Problem(str(gpath), f"tidak bisa dibaca: {exc}")]) from None
    problems = [Problem(str(p), f"kolom wajib '{c}' tidak ada", field=c)
                for p, df, cols in ((folder / "kampung.geojson", kampung,
                                     ("kode", "nama", "kode_distrik", "distrik")),
                                    (folder / "distrik.geojson", distrik, ("kode", "nama")),
                                    (gpath, gerbang, ("id", "nama", "jenis")))
                for c in cols if c not in df.columns]
    if problems:
        raise InputError(problems)
    for i, (g, jenis) in enumerate(zip(gerbang.geometry, gerbang["jenis"], strict=True)):
        if g is None or g.geom_type != "Point":
            problems.append(Problem(str(gpath), "expected a point", line=i + 2))
        if str(jenis) not in _GATEWAY_KIND:
            problems.append(Problem(str(gpath), f"jenis '{jenis}' unknown", line=i + 2,
                                    field="jenis"))
    ids = set(gerbang["id"].astype(str))
    problems += [Problem(str(gpath), f"gerbang '{g}' tidak ada", field="id")
                 for g in REQUIRED_GATEWAYS if g not in ids]
    if problems:
        raise InputError(problems)
    return MimikaData(boundary, distrik, kampung, gerbang.to_crs(schema.WGS84), folder)


def admin_layer(data: MimikaData) -> gpd.GeoDataFrame:
    """Distrik and kampung polygons in one layer (``kode``, ``nama``, ``level`` + extras)."""
    d = data.distrik.copy()
    d["level"] = "distrik"
    k = data.kampung.copy()
    k["level"] = "kampung"
    both = pd.concat([d, k], ignore_index=True)
    cols = [c for c in ("kode", "nama", "level", "kode_distrik", "distrik", "jenis", "lat", "lng")
            if c in both.columns]
    out = gpd.GeoDataFrame(both[cols], geometry=both.geometry.to_numpy(), crs=schema.WGS84)
    return admin_areas(out, f"{data.folder / 'distrik.geojson'} + kampung.geojson")


def gateways_layer(gerbang: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The real gateways with their ids; provenance ``agency`` (published official data)."""
    out = pd.DataFrame({
        "id": gerbang["id"].astype(str),
        "name": gerbang["nama"].astype(str),
        "kind": gerbang["jenis"].astype(str).map(_GATEWAY_KIND),
        "provenance": "agency",
        "jenis_sumber": gerbang["jenis"].astype(str),
        "iata": gerbang["iata"] if "iata" in gerbang else None,
        "sumber": gerbang["sumber"] if "sumber" in gerbang else None,
    })
    return gpd.GeoDataFrame(out, geometry=gerbang.geometry.to_numpy(), crs=schema.WGS84)


# --- the generator ------------------------------------------------------------------


@dataclass
class SyntheticLayers:
    roads: gpd.GeoDataFrame
    destinations: gpd.GeoDataFrame
    umkm: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame


class _Mimika:
    """Generates the synthetic layers; one instance per build, all randomness from ``rng``."""

    def __init__(self, data: MimikaData, seed: int):
        self.rng = np.random.default_rng(seed)
        self.region = shapely.make_valid(data.boundary.geometry.union_all())
        self.region_in = self.region.buffer(-0.0005)  # ~55 m margin for straight links
        shapely.prepare(self.region)
        shapely.prepare(self.region_in)
        self.metric = metric_crs(self.region)
        self.proj = Projector(self.metric)
        self.region_xy = gpd.GeoSeries([self.region], crs=schema.WGS84).to_crs(
            self.metric).iloc[0]
        self._router: InteriorRouter | None = None
        self.net = NetworkBuilder(self.proj)

        k = data.kampung.reset_index(drop=True)
        self.kampung = k
        # one point (lon, lat) per kampung: the project-wide kampung point
        self.k_ll = shapely.get_coordinates(
            regions.kampung_points(k).to_crs(schema.WGS84).to_numpy())
        self.k_xy = self.proj.xy(self.k_ll)
        self.k_name = k["nama"].astype(str).to_numpy()
        self.k_kode = k["kode"].astype(str).to_numpy()
        self.k_distrik = k["distrik"].astype(str).to_numpy()
        self.k_access = np.array([ACCESS_BY_DISTRIK.get(d, "road") for d in self.k_distrik])
        self.k_node = np.full(len(k), -1, dtype=np.int64)
        self.centre_xy = self.proj.xy(np.array(TIMIKA_CENTRE))[0]
        self.k_dist_centre = np.hypot(*(self.k_xy - self.centre_xy).T)

        g = data.gerbang
        self.gw_ll = shapely.get_coordinates(g.geometry.to_numpy())
        self.gw_node = dict(zip(g["id"].astype(str),
                                self.net.add_lonlat_nodes(self.gw_ll).tolist(), strict=True))
        self.ruas_no = 0

    # -- helpers --
    def kampung_index(self, name: str) -> int:
        hits = np.flatnonzero(self.k_name == name)
        if not len(hits):
            raise InputError([Problem("kampung.geojson", f"kampung '{name}' tidak ditemukan",
                                      field="nama")])
        return int(hits[0])

    def xy(self, lon: float, lat: float) -> FloatArray:
        return np.asarray(self.proj.xy(np.array([lon, lat]))[0])

    def nearest_node(self, nodes: IntArray, point: FloatArray) -> int:
        xy = self.net.xy[nodes]
        return int(nodes[np.argmin(np.hypot(*(xy - point).T))])

    def inside(self, xy: FloatArray) -> NDArray[np.bool_]:
        ll = self.proj.lonlat(xy)
        return np.asarray(shapely.contains_xy(self.region_in, ll[:, 0], ll[:, 1]))

    def covered(self, segments: FloatArray) -> NDArray[np.bool_]:
        """Which metric polylines, shape (m, k, 2), stay inside the region polygon."""
        m, k, _ = segments.shape
        ll = self.proj.lonlat(segments.reshape(-1, 2))
        lines = shapely.linestrings(ll, indices=np.repeat(np.arange(m), k))
        return np.asarray(shapely.covered_by(lines, self.region))

    def link_inner(self, a: FloatArray, b: FloatArray) -> FloatArray:
        """Vertices between two link ends so the link stays inside the region.

        No vertices when the straight line does; else one bend for short links, or a route
        through the interior raster for long ones (whose end segments may bend once).
        """
        if self.covered(np.stack([a, b])[None])[0]:
            return np.empty((0, 2))
        length = float(np.hypot(*(b - a)))
        if length < 15000.0:
            w = bend_once(a, b, self.covered)
            if w is not None:
                return w[None]
        if self._router is None:
            self._router = InteriorRouter(self.region_xy)
        pts = taut(np.vstack([a, self._router.route(a, b), b]), self.covered)
        out = [pts[0]]
        for p, q in zip(pts[:-1], pts[1:], strict=True):  # a few dozen route vertices
            if not self.covered(np.stack([p, q])[None])[0]:
                w = bend_once(p, q, self.covered)
                if w is None:
                    raise RuntimeError("cannot keep a generated link inside the region")
                out.append(w)
            out.append(q)
        return np.array(out[1:-1]).reshape(-1, 2)

    def next_ruas(self) -> str:
        self.ruas_no += 1
        return f"KAB-{self.ruas_no:03d}"

    # -- roads --
    def town_grid(
        self, centre: FloatArray, size: tuple[float, float], spacing: float, *,
        main_name: str, exclude: tuple[FloatArray, float, float, float] | None,
        names: list[str], oneway_rows: bool,
    ) -> IntArray:
        """A jittered street grid; returns its node indices (largest component only)."""
        rng = self.rng
        nx = int(size[0] // spacing) + 1
        ny = int(size[1] // spacing) + 1
        angle = float(rng.uniform(np.radians(-8), np.radians(-3)))
        xy, u, v, line, orient = grid_cells(nx, ny, spacing, centre, angle, spacing * 0.18, rng)
        keep_node = np.ones(len(xy), dtype=bool)
        if exclude is not None:  # the airport: an ellipse with no streets
            c, a, b, ang = exclude
            d = xy - c
            ca, sa = np.cos(ang), np.sin(ang)
            along, across = d @ np.array([ca, sa]), d @ np.array([-sa, ca])
            keep_node &= (along / a) ** 2 + (across / b) ** 2 > 1.0
        main_row, main_col = ny // 2, nx // 2
        t_off = int(rng.integers(0, 5))
        is_main = ((orient == 0) & (line == main_row)) | ((orient == 1) & (line == main_col))
        is_tert = ~is_main & ((line + t_off) % 5 == 0)
        ow_rows = (main_row - 2, main_row + 2) if oneway_rows else ()
        is_ow = (orient == 0) & np.isin(line, ow_rows)
        drop = (rng.random(len(u)) < 0.06) & ~is_main & ~is_tert & ~is_ow
        keep_edge = keep_node[u] & keep_node[v] & ~drop
        comp = largest_component(len(xy), u[keep_edge], v[keep_edge])
        keep_edge &= comp[u] & comp[v]
        u, v, line, orient = u[keep_edge], v[keep_edge], line[keep_edge], orient[keep_edge]
        is_main, is_tert, is_ow = is_main[keep_edge], is_tert[keep_edge], is_ow[keep_edge]
        used = np.unique(np.concatenate([u, v]))
        ids = np.full(len(xy), -1, dtype=np.int64)
        ids[used] = self.net.add_nodes(xy[used])
        # One-way pair: one row runs east, the next one west (geometry follows the flow).
        west = is_ow & (line == main_row + 2)
        u, v = np.where(west, v, u), np.where(west, u, v)

        n = len(u)
        # Street names by line: main and tertiary lines get main-street names.
        line_key = line * 2 + orient
        keys, inv = np.unique(line_key, return_inverse=True)
        words = [names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}")
                 for i in range(len(keys))]
        main_names = list(MAIN_STREETS)
        rng.shuffle(main_names)
        name = np.array(words, dtype=object)[inv]
        for j, key in enumerate(np.unique(line_key[is_tert])):  # a dozen lines, not edges
            name[line_key == key] = main_names[2 + j % (len(main_names) - 2)]
        name[is_main & (orient == 1)] = main_name or main_names[0]
        name[is_main & (orient == 0)] = main_name or main_names[1]

        highway = np.where(is_main, "secondary", np.where(is_tert, "tertiary", "residential"))
        # Surface is mostly a property of a street, with some patches that differ.
        mid = (xy[u] + xy[v]) / 2
        r_km = np.hypot(*(mid - self.centre_xy).T) / 1000.0
        r_line = np.bincount(inv, r_km) / np.bincount(inv)
        p_tanah = np.clip(0.02 + 0.03 * r_line, 0, 0.25)
        p_line = np.column_stack([0.82 - p_tanah, np.full_like(p_tanah, 0.08),
                                  np.full_like(p_tanah, 0.10), p_tanah])
        surface = pick(rng, SURFACES4, p_line)[inv]
        patch = rng.random(n) < 0.15
        surface[patch] = pick(rng, SURFACES4, np.tile([0.6, 0.1, 0.15, 0.15], (int(patch.sum()), 1)))
        paved_main = pick(rng, SURFACES4, np.tile([0.9, 0.1, 0.0, 0.0], (n, 1)))
        surface = np.where(highway == "residential", surface, paved_main)
        authority = np.where(highway == "residential",
                             pick(rng, ("kabupaten", "desa"), np.tile([0.7, 0.3], (n, 1))),
                             "kabupaten")
        self.net.add_edges(ids[u], ids[v], {
            "osm_way_id": pd.array([pd.NA] * n, dtype="Int64"),
            "highway": highway, "name": name, "ref": None,
            "surface": surface, "smoothness": None, "tracktype": None,
            "maxspeed": np.where(highway == "secondary", "40", "").astype(object),
            "oneway": is_ow, "authority": authority, "condition": condition_for(rng, surface),
            "mode": "road",
        })
        return np.asarray(ids[used])

    def arterial(
        self, start: int, end: int, waypoints_ll: list[tuple[float, float]], *,
        highway: str, name: str, authority: str,
    ) -> IntArray:
        wp = self.proj.xy(np.array(waypoints_ll)) if waypoints_ll else np.empty((0, 2))
        u, v, inner = polyline_road(self.net, start, end, wp, self.rng, bend=0.03)
        n = len(u)
        surface = pick(self.rng, SURFACES4, np.tile([0.88, 0.12, 0, 0], (n, 1)))
        self.net.add_edges(u, v, {
            "osm_way_id": pd.array([pd.NA] * n, dtype="Int64"),
            "highway": highway, "name": name, "ref": None, "surface": surface,
            "smoothness": None, "tracktype": None,
            "maxspeed": "60" if highway == "primary" else "50",
            "oneway": False, "authority": authority,
            "condition": pick(self.rng, ("baik", "sedang"), np.tile([0.7, 0.3], (n, 1))),
            "mode": "road",
        }, inner)
        return np.concatenate([u, v[-1:]])

    def feeders(self, road_nodes: IntArray) -> None:
        """Connect every road kampung, nearest first (Prim), by a stub or a feeder road.

        Near town the link is a short residential stub; farther out a kabupaten road in
        sections (ruas) whose surface worsens with the distance from Timika.
        """
        rng = self.rng
        todo = np.flatnonzero(self.k_access == "road")
        nodes = list(road_nodes.tolist())
        tree = cKDTree(self.net.xy[np.array(nodes)])
        dmin, arg = tree.query(self.k_xy[todo])
        near = np.array(nodes)[arg]
        while len(todo):  # one pass per kampung (about 50)
            j = int(np.argmin(dmin))
            k, attach, dist = int(todo[j]), int(near[j]), float(dmin[j])
            todo, dmin, near = np.delete(todo, j), np.delete(dmin, j), np.delete(near, j)
            knode = int(self.net.add_nodes(self.k_xy[k], self.k_ll[k])[0])
            self.k_node[k] = knode
            new = [knode]
            a_xy, k_xy = self.net.xy[attach], self.k_xy[k]
            if dist <= 1500.0:
                dkm = self.k_dist_centre[k] / 1000.0
                town = dkm < 6.0
                p = [0.5, 0.15, 0.2, 0.15] if town else [0.0, 0.0, 0.4, 0.6]
                surface = pick(rng, SURFACES4, np.array([p]))
                self.net.add_edges(np.array([attach]), np.array([knode]), {
                    "osm_way_id": pd.array([pd.NA], dtype="Int64"),
                    "highway": "residential" if town else "track",
                    "name": f"Jalan Kampung {self.k_name[k]}", "ref": None,
                    "surface": surface, "smoothness": None,
                    "tracktype": None if town else "grade4", "maxspeed": None,
                    "oneway": False, "authority": "desa",
                    "condition": condition_for(rng, surface), "mode": "road",
                }, [self.link_inner(a_xy, k_xy)])
            else:
                n_sec = int(np.clip(np.ceil(dist / 6000.0), 1, 4))
                n_vert = max(int(dist // 400.0) - 1, n_sec)
                pts = curve_points(a_xy, k_xy, n_vert, float(rng.uniform(-0.06, 0.06)))
                cuts = np.linspace(0, len(pts) + 1, n_sec + 1).round().astype(int)[1:-1]
                sec_nodes = self.net.add_nodes(pts[cuts - 1]) if n_sec > 1 else np.empty(0, int)
                chain = np.concatenate([[attach], sec_nodes, [knode]]).astype(np.int64)
                bounds = np.concatenate([[0], cuts, [len(pts) + 1]])
                inner = [pts[bounds[i]:bounds[i + 1] - 1] for i in range(n_sec)]
                mids = (self.net.xy[chain[:-1]] + self.net.xy[chain[1:]]) / 2
                dkm = np.hypot(*(mids - self.centre_xy).T) / 1000.0
                p_sec = np.where((dkm < 8)[:, None], [0.55, 0.10, 0.25, 0.10],
                                 np.where((dkm < 18)[:, None], [0.15, 0.0, 0.5, 0.35],
                                          [0.0, 0.0, 0.3, 0.7]))
                surface = pick(rng, SURFACES4, p_sec)
                # Class and authority belong to the whole road (one ruas owner).
                highway = "tertiary" if dkm.mean() < 8 else "unclassified"
                authority = "kabupaten" if rng.random() < 0.85 else "desa"
                base = f"Jalan Poros {self.k_name[k]}"
                names = [base if n_sec == 1 else f"{base} seksi {i + 1}" for i in range(n_sec)]
                self.net.add_edges(chain[:-1], chain[1:], {
                    "osm_way_id": pd.array([pd.NA] * n_sec, dtype="Int64"),
                    "highway": highway, "name": names,
                    "ref": [self.next_ruas() for _ in range(n_sec)],
                    "surface": surface, "smoothness": None,
                    "tracktype": None, "maxspeed": None,
                    "oneway": False, "authority": authority,
                    "condition": condition_for(rng, surface), "mode": "road",
                }, inner)
                new.extend(sec_nodes.tolist())
            if len(todo):
                new_xy = self.net.xy[np.array(new)]
                d = np.hypot(self.k_xy[todo][:, None, 0] - new_xy[None, :, 0],
                             self.k_xy[todo][:, None, 1] - new_xy[None, :, 1])
                best = np.argmin(d, axis=1)
                better = d[np.arange(len(todo)), best] < dmin
                dmin = np.where(better, d[np.arange(len(todo)), best], dmin)
                near = np.where(better, np.array(new)[best], near)

    def footpath(self, a: IntArray, b: IntArray, names: list[str]) -> None:
        n = len(a)
        xy = self.net.xy
        inner = [self.link_inner(xy[i], xy[j]) for i, j in zip(a, b, strict=True)]
        self.net.add_edges(a, b, {
            "osm_way_id": pd.array([pd.NA] * n, dtype="Int64"),
            "highway": "path", "name": names, "ref": None, "surface": "tanah",
            "smoothness": None, "tracktype": None, "maxspeed": None, "oneway": False,
            "authority": "desa", "condition": "sedang", "mode": "road",
        }, inner)

    def link(self, a: IntArray, b: IntArray, mode: str, names: list[str]) -> None:
        """Boat (``water``) or flight (``air``) links, one edge per service."""
        xy = self.net.xy
        inner = [self.link_inner(xy[i], xy[j]) for i, j in zip(a, b, strict=True)]
        n = len(a)
        self.net.add_edges(a, b, {
            "osm_way_id": pd.array([pd.NA] * n, dtype="Int64"),
            "highway": "ferry" if mode == "water" else "air_link", "name": names, "ref": None,
            "surface": "unknown", "smoothness": None, "tracktype": None, "maxspeed": None,
            "oneway": False, "authority": "unknown", "condition": "unknown", "mode": mode,
        }, inner)

    def water(self) -> None:
        """Boat links from the hubs to a landing by each coastal kampung, then a footpath."""
        idx = np.flatnonzero(self.k_access == "water")
        kn = self.kampung_index(KOKONAO)
        nodes = self.net.add_nodes(self.k_xy[idx], self.k_ll[idx])
        self.k_node[idx] = nodes
        land_xy = scatter_near(self.rng, self.k_xy[idx], 250.0, 700.0,
                               lambda pts, _w: self.inside(pts))
        landing = self.net.add_nodes(land_xy)
        self.footpath(landing, nodes, [f"Jalan Dermaga {n}" for n in self.k_name[idx]])
        land_of = dict(zip(idx.tolist(), landing.tolist(), strict=True))
        hubs = {"PMK": self.gw_node["PMK"], "MMP": self.gw_node["MMP"], "KOKONAO": land_of[kn]}
        hub_label = {"PMK": "Pomako", "MMP": "Amamapare", "KOKONAO": "Kokonao"}
        hub = [("PMK" if int(k) == kn else WATER_HUB_BY_DISTRIK[self.k_distrik[k]]) for k in idx]
        a = np.array([hubs[h] for h in hub], dtype=np.int64)
        self.link(a, landing, "water",
                  [f"Rute perahu {hub_label[h]} - {self.k_name[k]}" for h, k in zip(hub, idx, strict=True)])
        # Kokonau airport to Kokonao kampung by a short gravel road.
        wabn = self.gw_node["WABN"]
        self.net.add_edges(np.array([wabn]), np.array([self.k_node[kn]]), {
            "osm_way_id": pd.array([pd.NA], dtype="Int64"), "highway": "unclassified",
            "name": "Jalan Bandara Kokonau", "ref": None, "surface": "kerikil",
            "smoothness": None, "tracktype": None, "maxspeed": None, "oneway": False,
            "authority": "kabupaten", "condition": "sedang", "mode": "road",
        }, [self.link_inner(self.net.xy[wabn], self.net.xy[self.k_node[kn]])])

    def air(self) -> None:
        """Highland airstrips (one per cluster of kampung within 9 km), flights from TIM."""
        idx = np.flatnonzero(self.k_access == "air")
        idx = idx[np.argsort(self.k_kode[idx])]
        nodes = self.net.add_nodes(self.k_xy[idx], self.k_ll[idx])
        self.k_node[idx] = nodes
        seeds: list[int] = []
        member = np.empty(len(idx), dtype=np.int64)
        for i in range(len(idx)):  # greedy clustering of ~45 kampung
            if seeds:
                d = np.hypot(*(self.k_xy[idx[seeds]] - self.k_xy[idx[i]]).T)
                if d.min() <= 9000.0:
                    member[i] = int(np.argmin(d))
                    continue
            seeds.append(i)
            member[i] = len(seeds) - 1
        seed_k = idx[np.array(seeds)]
        strip_xy = scatter_near(self.rng, self.k_xy[seed_k], 700.0, 1500.0,
                                lambda pts, _w: self.inside(pts))
        strips = self.net.add_nodes(strip_xy)
        self.footpath(strips[member], nodes,
                      [f"Jalan Setapak Lapter {self.k_name[seed_k[m]]} - {self.k_name[k]}"
                       for m, k in zip(member, idx, strict=True)])
        wabp = self.gw_node["WABP"]
        self.link(np.full(len(strips), wabp), strips, "air",
                  [f"Penerbangan perintis Timika - {self.k_name[k]}" for k in seed_k])
        self.link(np.array([wabp]), np.array([self.gw_node["WABN"]]), "air",
                  ["Penerbangan Timika - Kokonau"])

    def roads(self) -> gpd.GeoDataFrame:
        g = self.gw_node
        wabp_xy = self.net.xy[g["WABP"]]
        timika = self.town_grid(
            self.xy(*TIMIKA_GRID_CENTRE), TIMIKA_GRID_SIZE_M, float(self.rng.uniform(320, 360)),
            main_name="", exclude=(wabp_xy, 1700.0, 480.0, np.radians(-20)),
            names=list(STREET_WORDS), oneway_rows=True,
        )
        kk = self.kampung_index(KUALA_KENCANA)
        kk_grid = self.town_grid(
            self.k_xy[kk] + np.array([350.0, -700.0]), (1700.0, 1700.0), 280.0,
            main_name="Jalan Kencana Raya", exclude=None,
            names=[f"Jalan Kencana {w}" for w in STREET_WORDS[:12]], oneway_rows=False,
        )
        near = self.nearest_node
        self.arterial(near(timika, wabp_xy + np.array([0.0, -900.0])), g["WABP"], [],
                      highway="primary", name="Jalan Bandara Mozes Kilangin",
                      authority="provinsi")
        self.arterial(near(timika, self.xy(136.842, -4.598)), g["PMK"],
                      [(136.826, -4.628), (136.808, -4.668), (136.783, -4.705),
                       (136.762, -4.752)],
                      highway="primary", name="Jalan Poros Timika - Pomako", authority="provinsi")
        self.arterial(g["PMK"], g["PP-POUMAKO"], [], highway="service",
                      name="Jalan Pelabuhan Perikanan Poumako", authority="kabupaten")
        self.arterial(near(timika, self.xy(136.905, -4.598)), g["MMP"],
                      [(136.884, -4.640), (136.867, -4.690), (136.853, -4.750),
                       (136.848, -4.790)],
                      highway="secondary", name="Jalan Poros Timika - Amamapare",
                      authority="kabupaten")
        self.arterial(near(timika, self.xy(136.862, -4.508)),
                      near(kk_grid, self.k_xy[kk] + np.array([350.0, -1600.0])),
                      [(136.866, -4.488), (136.867, -4.468), (136.869, -4.445)],
                      highway="primary", name="Jalan Poros Timika - Kuala Kencana",
                      authority="provinsi")
        u, v = self.net.edge_uv()
        road_nodes = np.unique(np.concatenate([u, v]))
        self.feeders(road_nodes)
        self.water()
        self.air()
        return self._roads_frame()

    def _roads_frame(self) -> gpd.GeoDataFrame:
        attrs, flat, edge_index = self.net.finish(NODE_ID_BASE)
        geoms = shapely.linestrings(flat, indices=edge_index)
        gdf = gpd.GeoDataFrame(attrs, geometry=geoms, crs=schema.WGS84)
        gdf["length_m"] = gdf.geometry.to_crs(self.metric).length.round(2)
        gdf["provenance"] = SYNTHETIC
        gdf["name_note"] = NAME_NOTE
        for c in ("name", "ref", "smoothness", "tracktype", "maxspeed"):
            text = gdf[c].astype("string")
            gdf[c] = text.mask(text == "")
        gdf["oneway"] = gdf["oneway"].astype(bool)
        outside = ~shapely.covered_by(gdf.geometry.to_numpy(), self.region)
        if outside.any():  # a generator bug, never bad user input
            raise RuntimeError(f"generated links leave the region: {gdf.loc[outside, 'name'].tolist()}")
        cols = [*schema.ROAD_COLUMNS, "name_note"]
        return gpd.GeoDataFrame(gdf[cols], geometry=gdf.geometry, crs=schema.WGS84)

    # -- points --
    def road_component_xy(self, roads: gpd.GeoDataFrame) -> BaseGeometry:
        """Road edges connected to TIM by road alone (metric), for keeping sites off them."""
        road = roads[roads["mode"] == "road"]
        ids, inv = np.unique(np.concatenate([road["u"], road["v"]]), return_inverse=True)
        m = len(road)
        g = coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(ids), len(ids)))
        _, lab = connected_components(g, directed=False)
        wabp_id = int(self.gw_node["WABP"]) + NODE_ID_BASE
        comp = lab[np.searchsorted(ids, wabp_id)]
        keep = lab[inv[:m]] == comp
        return road[keep].geometry.to_crs(self.metric).union_all()

    def kampung_of(self, ll: FloatArray) -> IntArray:
        """Index of the kampung polygon containing (or else nearest to) each point."""
        tree = shapely.STRtree(self.kampung.geometry.to_numpy())
        pts = shapely.points(ll)
        res = tree.query_nearest(pts, all_matches=False)
        out = np.empty(len(ll), dtype=np.int64)
        out[res[0]] = res[1]
        return out

    def destinations(self, roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        rng = self.rng
        on_road = self.road_component_xy(roads)
        shapely.prepare(on_road)
        town = np.flatnonzero((self.k_access == "road") & (self.k_dist_centre < 5000))
        outer = np.flatnonzero((self.k_access == "road") & (self.k_dist_centre >= 8000))
        shore = self._shore_kampung()
        road_shore = np.intersect1d(shore, np.flatnonzero(self.k_access == "road"))
        water_shore = np.intersect1d(shore, np.flatnonzero(self.k_access == "water"))
        water_all = np.flatnonzero(self.k_access == "water")
        air_all = np.flatnonzero(self.k_access == "air")
        plan: list[tuple[str, str, IntArray, int]] = [
            # (access, category, anchor pool, how many)
            ("road", "kuliner", town, 3), ("road", "budaya", town, 2),
            ("road", "sejarah", town, 2), ("road", "alam", outer, 3),
            ("road", "pantai", road_shore, 1),
            ("road", "alam", outer, int(rng.integers(0, 3))),
            ("road", "budaya", np.concatenate([town, outer]), int(rng.integers(0, 2))),
            ("water", "pantai", water_shore, int(rng.integers(4, 6))),
            ("water", "budaya", water_all, 2), ("water", "alam", water_shore, 1),
            ("water", "kuliner", water_all, 1), ("water", "sejarah", water_all, 1),
            ("water", "pantai", water_shore, int(rng.integers(0, 3))),
            ("air", "alam", air_all, int(rng.integers(3, 5))), ("air", "budaya", air_all, 2),
            ("air", "sejarah", air_all, 1),
        ]
        used: set[int] = set()
        rows: list[tuple[str, str, int]] = []
        for acc, category, pool, want in plan:  # ~16 groups
            free = np.array([k for k in pool if k not in used], dtype=np.int64)
            pool_now = free if len(free) >= want else pool
            n_take = min(want, len(pool_now))
            chosen = rng.choice(pool_now, size=n_take, replace=False).tolist() if n_take else []
            for k in chosen:
                used.add(int(k))
                rows.append((acc, category, int(k)))
        access = np.array([r[0] for r in rows])
        cat = np.array([r[1] for r in rows])
        anchor = np.array([r[2] for r in rows], dtype=np.int64)
        polys = self.kampung.geometry.to_numpy()

        def accept(pts: FloatArray, which: IntArray) -> NDArray[np.bool_]:
            ll = self.proj.lonlat(pts)
            ok = shapely.contains_xy(polys[anchor[which]], ll[:, 0], ll[:, 1])
            ok &= self.inside(pts)
            off_road = access[which] != "road"
            far = ~shapely.dwithin(on_road, shapely.points(pts), 3000.0)
            return np.asarray(ok & (~off_road | far))

        xy = scatter_near(rng, self.k_xy[anchor], 300.0, 1500.0, accept)
        ll = self.proj.lonlat(xy)
        kk = self.kampung_of(ll)
        names = _destination_names(rng, access, cat, self.k_name[anchor])
        n = len(rows)
        attrs = _destination_attributes(rng, access)
        df = pd.DataFrame({
            "id": [f"DST-{i + 1:03d}" for i in range(n)], "name": names, "category": cat,
            "provenance": SYNTHETIC, **attrs,
            "kode_kampung": self.k_kode[kk], "kampung": self.k_name[kk],
            "distrik": self.k_distrik[kk], "name_note": NAME_NOTE,
        })
        return gpd.GeoDataFrame(df, geometry=shapely.points(ll), crs=schema.WGS84)

    def _shore_kampung(self) -> IntArray:
        """Kampung within 15 km of the boundary where the nearest boundary point lies to the
        south: Mimika's only sea coast is its southern edge."""
        edge = self.region_xy.boundary
        pts = shapely.points(self.k_xy)
        near = shapely.get_coordinates(shapely.shortest_line(pts, edge))[1::2]
        d = np.hypot(*(near - self.k_xy).T)
        south = near[:, 1] < self.k_xy[:, 1] - 0.5 * d
        return np.flatnonzero((d < 15000.0) & south)

    def umkm(self, timika_hull: BaseGeometry) -> gpd.GeoDataFrame:
        rng = self.rng
        n = int(rng.integers(380, 541))
        n_centroid = int(round(n * rng.uniform(0.12, 0.18)))
        n_exact = n - n_centroid
        n_town = int(round(n_exact * 0.78))
        n_outer = n_exact - n_town
        shapely.prepare(timika_hull)
        wabp = self.net.xy[self.gw_node["WABP"]]
        town: list[FloatArray] = []
        have = 0
        while have < n_town:  # rejection sampling in batches, a few rounds at most
            cand = self.centre_xy + rng.normal(0.0, 1900.0, size=(2 * n_town, 2))
            ok = shapely.contains_xy(timika_hull, cand[:, 0], cand[:, 1])
            ok &= np.hypot(*(cand - wabp).T) > 900.0
            town.append(cand[ok])
            have += int(ok.sum())
        town_xy = np.concatenate(town)[:n_town]
        road_k = np.flatnonzero(self.k_access == "road")
        outer_k = road_k[self.k_dist_centre[road_k] >= 4000]
        anchors = rng.choice(outer_k, size=n_outer)
        outer_xy = scatter_near(rng, self.k_xy[anchors], 50.0, 900.0,
                                lambda pts, _w: self.inside(pts))
        # Registry rows with only a kampung code: mostly road kampung, and a quarter from
        # the coast and highlands (carvers, sago and fish sellers registered by kampung).
        other_k = np.flatnonzero(self.k_access != "road")
        n_remote = n_centroid // 4
        cent_k = np.concatenate([rng.choice(road_k, size=n_centroid - n_remote),
                                 rng.choice(other_k, size=n_remote)])
        ll = np.vstack([self.proj.lonlat(town_xy), self.proj.lonlat(outer_xy),
                        self.k_ll[cent_k]])
        precision = np.array(["exact"] * n_exact + ["kampung_centroid"] * n_centroid)
        kk = np.concatenate([self.kampung_of(ll[:n_exact]), cent_k])
        p_town = [0.36, 0.10, 0.07, 0.10, 0.25, 0.12]
        p_out = [0.35, 0.22, 0.05, 0.06, 0.22, 0.10]
        p = np.array([p_town] * n_town + [p_out] * (n_outer + n_centroid))
        kind = pick(rng, schema.UMKM_TYPES, p)
        order = rng.permutation(n)  # ids do not reveal how a row was generated
        df = pd.DataFrame({
            "name": _umkm_names(rng, kind), "type": kind, "location_precision": precision,
            "provenance": SYNTHETIC, "kode_kampung": self.k_kode[kk],
            "kampung": self.k_name[kk], "name_note": NAME_NOTE,
        }).iloc[order].reset_index(drop=True)
        df.insert(0, "id", [f"UMKM-{i + 1:04d}" for i in range(n)])
        geom = shapely.points(ll[order])
        return gpd.GeoDataFrame(df, geometry=geom, crs=schema.WGS84)

    def pois(self, timika_hull: BaseGeometry) -> gpd.GeoDataFrame:
        rng = self.rng
        specs: list[tuple[str, str, str, str]] = [
            # (where: "timika" or a kampung name, key, value, name)
            ("timika", "tourism", "hotel", "Hotel Cenderawasih"),
            ("timika", "tourism", "hotel", "Hotel Serayu"),
            ("timika", "tourism", "hotel", "Hotel Amole"),
            ("timika", "tourism", "guest_house", "Wisma Mimika"),
            ("timika", "tourism", "guest_house", "Penginapan Sejahtera"),
            (KUALA_KENCANA, "tourism", "hotel", "Hotel Kencana"),
            (KOKONAO, "tourism", "guest_house", "Penginapan Kokonao"),
            ("timika", "amenity", "hospital", "Rumah Sakit Timika"),
            ("timika", "amenity", "hospital", "Rumah Sakit Mimika Baru"),
            ("timika", "amenity", "clinic", "Klinik Pratama Timika"),
            (KUALA_KENCANA, "amenity", "clinic", "Puskesmas Kuala Kencana"),
            ("Iwaka", "amenity", "clinic", "Puskesmas Iwaka"),
            ("Wania", "amenity", "clinic", "Puskesmas Mapurujaya"),
            (KOKONAO, "amenity", "clinic", "Puskesmas Kokonao"),
            ("Atuka", "amenity", "clinic", "Puskesmas Atuka"),
            ("Kiliarma", "amenity", "clinic", "Puskesmas Agimuga"),
            ("Jila", "amenity", "clinic", "Puskesmas Jila"),
            ("Alama", "amenity", "clinic", "Puskesmas Alama"),
            ("timika", "amenity", "fuel", "SPBU Timika 1"),
            ("timika", "amenity", "fuel", "SPBU Timika 2"),
            ("timika", "amenity", "fuel", "SPBU Timika 3"),
            (KUALA_KENCANA, "amenity", "fuel", "SPBU Kuala Kencana"),
            ("Poumako", "amenity", "fuel", "APMS Pomako"),
            (KOKONAO, "amenity", "fuel", "APMS Kokonao"),
        ]
        where = [s[0] for s in specs]
        in_town = np.array([w == "timika" for w in where])
        anchor = np.array([self.kampung_index(w) if w != "timika" else -1 for w in where])
        xy = np.empty((len(specs), 2))
        town_xy: list[FloatArray] = []
        wabp = self.net.xy[self.gw_node["WABP"]]
        while sum(len(t) for t in town_xy) < in_town.sum():
            cand = self.centre_xy + rng.normal(0.0, 1500.0, size=(32, 2))
            ok = shapely.contains_xy(timika_hull, cand[:, 0], cand[:, 1])
            ok &= np.hypot(*(cand - wabp).T) > 900.0
            town_xy.append(cand[ok])
        xy[in_town] = np.concatenate(town_xy)[: in_town.sum()]
        xy[~in_town] = scatter_near(rng, self.k_xy[anchor[~in_town]], 100.0, 500.0,
                                    lambda pts, _w: self.inside(pts))
        ll = self.proj.lonlat(xy)
        kk = self.kampung_of(ll)
        df = pd.DataFrame({
            "id": [f"POI-{i + 1:03d}" for i in range(len(specs))],
            "osm_type": pd.array([None] * len(specs), dtype="string"),
            "osm_id": pd.array([pd.NA] * len(specs), dtype="Int64"),
            "name": [f"{s[3]} (contoh)" for s in specs],
        })
        for key in schema.POI_KEYS:
            df[key] = pd.array([s[2] if s[1] == key else None for s in specs], dtype="string")
        df["provenance"] = SYNTHETIC
        df["kode_kampung"] = self.k_kode[kk]
        df["name_note"] = NAME_NOTE
        return gpd.GeoDataFrame(df, geometry=shapely.points(ll), crs=schema.WGS84)

    def run(self, reporter: Reporter) -> SyntheticLayers:
        reporter.step("membuat jaringan jalan, perahu dan penerbangan contoh")
        roads = self.roads()
        hull = self._timika_hull(roads)
        reporter.step("membuat destinasi, UMKM dan fasilitas contoh")
        dest = self.destinations(roads)
        umkm = self.umkm(hull)
        pois = self.pois(hull)
        return SyntheticLayers(roads, dest, umkm, pois)

    def _timika_hull(self, roads: gpd.GeoDataFrame) -> BaseGeometry:
        """Area of the Timika grid streets (metric), shrunk a little."""
        grid = roads[(roads["highway"].isin(["residential", "tertiary", "secondary"]))
                     & (roads.geometry.to_crs(self.metric).distance(
                         shapely.Point(self.centre_xy)) < 6000)]
        hull = grid.geometry.to_crs(self.metric).union_all().convex_hull.buffer(-300.0)
        return hull


# --- names and attributes ----------------------------------------------------------

_DEST_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("road", "pantai"): ("Pantai {k}", "Pantai Muara {k}"),
    ("water", "pantai"): ("Pantai {k}", "Pantai Pasir Putih {k}", "Pantai Muara {k}"),
    ("road", "alam"): ("Air Terjun {k}", "Kolam Alam {k}", "Hutan Wisata {k}", "Danau {k}",
                       "Taman Burung {k}"),
    ("water", "alam"): ("Hutan Mangrove {k}", "Muara Sungai {k}", "Danau {k}"),
    ("air", "alam"): ("Air Terjun {k}", "Puncak {k}", "Goa {k}", "Lembah {k}", "Telaga {k}"),
    ("road", "budaya"): ("Sanggar Seni Kamoro {k}", "Rumah Adat {k}",
                         "Pusat Kerajinan Noken {k}"),
    ("water", "budaya"): ("Kampung Budaya Kamoro {k}", "Sanggar Ukir Kamoro {k}",
                          "Rumah Adat Karapao {k}"),
    ("air", "budaya"): ("Honai Adat {k}", "Kampung Budaya {k}", "Pesta Bakar Batu {k}"),
    ("road", "sejarah"): ("Tugu {k}", "Monumen {k}", "Gereja Tua {k}"),
    ("water", "sejarah"): ("Gereja Misi Tua {k}", "Situs Sejarah {k}"),
    ("air", "sejarah"): ("Situs Sejarah {k}", "Gereja Tua {k}"),
    ("road", "kuliner"): ("Pusat Kuliner {k}", "Pasar Ikan {k}", "Sentra Papeda {k}",
                          "Kampung Kuliner {k}"),
    ("water", "kuliner"): ("Sentra Sagu {k}", "Pasar Ikan {k}"),
}


def _destination_names(
    rng: np.random.Generator, access: NDArray[np.str_], cat: NDArray[np.str_],
    kampung: NDArray[np.str_],
) -> list[str]:
    names: list[str] = []
    for a, c, k in zip(access, cat, kampung, strict=True):  # one per destination (~30)
        templates = _DEST_TEMPLATES[(str(a), str(c))]
        name = templates[int(rng.integers(len(templates)))].format(k=k)
        base, i = name, 2
        while f"{name} (contoh)" in names:
            name = f"{base} {i}"
            i += 1
        names.append(f"{name} (contoh)")
    return names


def _with_missing(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    """Blank out a random share: agency data is incomplete and 'unknown' must stay unknown."""
    return values.mask(rng.random(len(values)) < share)


def _destination_attributes(
    rng: np.random.Generator, access: NDArray[np.str_]
) -> dict[str, pd.Series]:
    n = len(access)
    road, water = access == "road", access == "water"
    facilities = ("toilet", "parkir", "gazebo", "warung", "tempat ibadah", "pusat informasi",
                  "homestay", "dermaga")
    count = np.where(road, rng.integers(2, 7, n), rng.integers(0, 4, n))
    perm = np.argsort(rng.random((n, len(facilities))), axis=1)
    fas = pd.Series([", ".join(facilities[j] for j in sorted(perm[i, :count[i]]))
                     for i in range(n)], dtype="string")
    fas_known = rng.random(n) >= 0.15
    fas = fas.where(fas_known)
    jumlah = pd.Series(count, dtype="Int64").where(fas_known)
    median = np.where(road, 4000.0, np.where(water, 400.0, 150.0))
    visitors = pd.Series(np.round(median * rng.lognormal(0.0, 0.8, n)).astype(np.int64),
                         dtype="Int64")
    p_mgr = np.where(road[:, None], [0.35, 0.35, 0.15, 0.1, 0.05], [0.3, 0.15, 0.05, 0.3, 0.2])
    pengelola = pd.Series(pick(rng, ("pokdarwis", "pemerintah", "swasta", "adat", "none"), p_mgr),
                          dtype="string")
    daya_tarik = pd.Series(rng.integers(2, 6, n), dtype="Int64")
    portal = pd.Series(rng.random(n) < np.where(road, 0.7, 0.25), dtype="boolean")
    medsos = pd.Series(rng.random(n) < np.where(road, 0.8, 0.35), dtype="boolean")
    papan = pd.Series(rng.random(n) < np.where(road, 0.6, 0.15), dtype="boolean")
    p_sig = np.where(road[:, None], [0.02, 0.03, 0.2, 0.75],
                     np.where(water[:, None], [0.35, 0.35, 0.25, 0.05], [0.5, 0.3, 0.15, 0.05]))
    sinyal = pd.Series(pick(rng, ("none", "2g", "3g", "4g"), p_sig), dtype="string")
    importance = pd.Series(pick(rng, ("1.0", "1.5", "2.0"),
                                np.tile([0.7, 0.2, 0.1], (n, 1))).astype(float))
    return {
        "fasilitas": fas, "jumlah_fasilitas": jumlah,
        "pengunjung_tahun": _with_missing(rng, visitors, 0.25),
        "pengelola": _with_missing(rng, pengelola, 0.15),
        "daya_tarik": _with_missing(rng, daya_tarik, 0.1),
        "promosi_portal": _with_missing(rng, portal, 0.2),
        "promosi_medsos": _with_missing(rng, medsos, 0.2),
        "papan_petunjuk": _with_missing(rng, papan, 0.25),
        "sinyal": _with_missing(rng, sinyal, 0.15),
        "importance": _with_missing(rng, importance, 0.1),
    }


_UMKM_PREFIX: dict[str, tuple[str, ...]] = {
    "kuliner": ("Warung Makan", "Rumah Makan", "Kedai Kopi", "Warung Papeda", "Bakso",
                "Warung Ikan Bakar"),
    "kerajinan": ("Ukiran Kamoro", "Noken", "Kerajinan", "Anyaman", "Souvenir"),
    "penginapan": ("Homestay", "Penginapan", "Losmen", "Kos Harian"),
    "transportasi": ("Ojek", "Rental Mobil", "Sewa Motor", "Travel"),
    "toko": ("Toko", "Kios", "Toko Kelontong", "Mini Market"),
    "lainnya": ("Bengkel", "Laundry", "Fotokopi", "Salon", "Penjahit"),
}
_UMKM_SUFFIX = (
    "Sejahtera", "Berkah", "Maju Jaya", "Mandiri", "Amungme", "Kamoro", "Cenderawasih",
    "Mama Yosina", "Mama Martha", "Bapak Yohanes", "Sinar Timika", "Harapan", "Sentosa",
    "Karya Bersama", "Kasuari", "Matoa", "Pelangi", "Sumber Rejeki", "Mimika", "Damai",
    "Bintang", "Sagu Lestari", "Nemangkawi", "Setia", "Jaya Abadi", "Rahmat", "Wania",
)


def _umkm_names(rng: np.random.Generator, kind: NDArray[np.str_]) -> NDArray[np.str_]:
    out = np.empty(len(kind), dtype=object)
    for t, prefixes in _UMKM_PREFIX.items():  # six types
        m = kind == t
        pre = np.asarray(prefixes)[rng.integers(len(prefixes), size=int(m.sum()))]
        suf = np.asarray(_UMKM_SUFFIX)[rng.integers(len(_UMKM_SUFFIX), size=int(m.sum()))]
        out[m] = np.char.add(np.char.add(pre, " "), suf)
    return out.astype(str)


def generate(data: MimikaData, seed: int, reporter: Reporter = SILENT) -> SyntheticLayers:
    """Generate the synthetic layers for ``data`` (deterministic for ``seed``)."""
    return _Mimika(data, seed).run(reporter)


# --- the workspace ------------------------------------------------------------------
