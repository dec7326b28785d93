"""Import agency (OPD) data: destinations, UMKM, gateways and PU road conditions.

``siapwisata import KIND FILE --workspace PATH`` calls :func:`geo.steps.import_file`,
which reads the file with :func:`read_points` or :func:`read_road_conditions`. Files come as
agencies send them (CSV, XLSX, GeoJSON, GeoPackage; see :mod:`geo.io._io`), with Indonesian
or English headers matched case- and whitespace-insensitively:

==================  ===================================================================
field               accepted headers (first match wins)
==================  ===================================================================
id                  id, kode, ... (UMKM: id, id_umkm, kode_umkm, nib; ``kode`` only when
                    no other id column exists, else it is the kampung code)
name                nama, name, nama_destinasi, nama_usaha, ...
category/type/kind  kategori, category, jenis, type, ...
latitude            lintang, latitude, lat, y  (or geometry, or a ``koordinat`` "lat, lon"
longitude           bujur, longitude, lon, lng, x   column, or a WKT column)
kampung (UMKM)      kode_kampung / kode, kampung / nama_kampung / desa / kelurahan
road conditions     ruas_id (priorities output, R00042) or osm_way_id or a line;
                    kondisi/condition; permukaan/surface/perkerasan;
                    kewenangan/authority/status_jalan
==================  ===================================================================

Every problem in a file is collected and raised together as one
:class:`~geo.exceptions.InputError` *before* the workspace is touched, so a failed import
leaves the GeoPackage byte-for-byte unchanged. Line numbers: see :mod:`geo.io._io` (CSV line,
XLSX sheet row, GeoJSON/GPKG feature index + 2).

Imported rows get ``provenance=agency``. Rows whose ``id`` already exists in the layer
(whatever its provenance) replace that row; the others are added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geo import fmt, schema
from geo._progress import SILENT, Reporter
from geo.exceptions import InputError, Problem, WorkspaceError
from geo.io import regions
from geo.io._io import (
    Table,
    boolean,
    coordinate,
    integer,
    is_blank,
    normalise_header,
    number,
    read_table,
    text,
)
from geo.io._sections import road_sections, ruas_rows
from geo.io._sections import ruas_label as ruas_match
from geo.io.workspace import Source, Workspace
from geo.roads import SURFACE_MAP, authority_class, condition_class, surface_class
from geo.words import normalise_text, normalise_word

KINDS = ("destinations", "umkm", "gateways", "road-conditions")
LICENCE = "data OPD"
PROVENANCE = "agency"

# Points may lie a little outside the regency polygon (piers, jetties, river mouths on a
# generalised coastline); farther than this they are an error.
BOUNDARY_TOLERANCE_M = 1000.0
# A survey line matches a road edge when at least ROAD_MATCH_MIN_SHARE of the edge lies
# within ROAD_MATCH_TOLERANCE_M of the line and the edge runs along it (its endpoints
# projected on the line span at least that share of its length). The second test keeps
# short cross streets at junctions out.
ROAD_MATCH_TOLERANCE_M = 20.0
ROAD_MATCH_MIN_SHARE = 0.5

# --- header aliases (normalised: lower case, non-alphanumerics -> "_") -----------------
ID_ALIASES = ("id", "kode", "kode_id", "id_destinasi", "kode_destinasi", "id_gerbang",
              "kode_gerbang", "no_id")
UMKM_ID_ALIASES = ("id", "id_umkm", "kode_umkm", "no_umkm", "nib")
NAME_ALIASES = ("nama", "name", "nama_destinasi", "nama_objek", "nama_objek_wisata",
                "nama_usaha", "nama_umkm", "nama_gerbang", "nama_lokasi")
CATEGORY_ALIASES = ("kategori", "category", "jenis", "type", "jenis_wisata",
                    "kategori_wisata", "jenis_destinasi")
TYPE_ALIASES = ("jenis", "type", "jenis_usaha", "kategori", "category", "bidang_usaha",
                "sektor", "kategori_usaha")
KIND_ALIASES = ("jenis", "kind", "type", "tipe", "kategori", "category", "jenis_gerbang")
LAT_ALIASES = ("lintang", "latitude", "lat", "y", "koordinat_y", "lintang_y")
LON_ALIASES = ("bujur", "longitude", "lon", "lng", "long", "x", "koordinat_x", "bujur_x")
COORD_ALIASES = ("koordinat", "coordinates", "coordinate", "titik_koordinat")
WKT_ALIASES = ("wkt", "geometry", "geom", "geometri")
KAMPUNG_CODE_ALIASES = ("kode_kampung", "kode_desa", "kode_kelurahan", "kode_wilayah")
KAMPUNG_NAME_ALIASES = ("kampung", "nama_kampung", "desa", "nama_desa", "kelurahan",
                        "nama_kelurahan", "kampung_kelurahan")
WAY_ALIASES = ("osm_way_id", "way_id", "osm_id", "id_osm", "osm_way")
# the section id of the priorities output (R00042); not "ruas" or "kode_ruas", which PU
# surveys use for their own road names and numbers
RUAS_ALIASES = ("ruas_id", "id_ruas")
CONDITION_ALIASES = ("kondisi", "condition", "kondisi_jalan", "kondisi_ruas")
SURFACE_ALIASES = ("permukaan", "surface", "jenis_permukaan", "perkerasan",
                   "jenis_perkerasan", "tipe_perkerasan", "tipe_permukaan")
AUTHORITY_ALIASES = ("kewenangan", "authority", "status", "status_jalan", "status_ruas")

ATTRIBUTE_ALIASES: dict[str, tuple[str, ...]] = {
    "fasilitas": ("fasilitas", "facilities", "sarana", "sarana_prasarana"),
    "jumlah_fasilitas": ("jumlah_fasilitas", "jml_fasilitas", "n_fasilitas", "facility_count"),
    "pengunjung_tahun": ("pengunjung_tahun", "pengunjung_per_tahun", "jumlah_pengunjung",
                         "pengunjung", "kunjungan_per_tahun", "visitors_per_year", "visitors",
                         "wisatawan"),
    "pengelola": ("pengelola", "manager", "pengelolaan"),
    "daya_tarik": ("daya_tarik", "nilai_daya_tarik", "rating", "attraction"),
    "promosi_portal": ("promosi_portal", "portal", "portal_resmi", "di_portal"),
    "promosi_medsos": ("promosi_medsos", "medsos", "media_sosial", "social_media"),
    "papan_petunjuk": ("papan_petunjuk", "penunjuk_arah", "rambu", "signage"),
    "sinyal": ("sinyal", "signal", "sinyal_seluler", "jaringan_seluler"),
    "importance": ("importance", "bobot", "weight"),
}
if set(ATTRIBUTE_ALIASES) != set(schema.DESTINATION_ATTRIBUTES):  # pragma: no cover
    raise RuntimeError("ATTRIBUTE_ALIASES must list exactly schema.DESTINATION_ATTRIBUTES")

# --- vocabularies and their synonyms -----------------------------------------------------
DESTINATION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "pantai": ("beach", "wisata pantai", "bahari", "wisata bahari", "marine", "pesisir",
               "coast", "coastal", "pulau", "island"),
    "budaya": ("culture", "cultural", "adat", "seni budaya", "wisata budaya", "kampung adat",
               "tradisi", "traditional", "seni", "art"),
    "alam": ("nature", "natural", "wisata alam", "ekowisata", "ecotourism", "hutan", "forest",
             "air terjun", "waterfall", "danau", "lake", "sungai", "river", "gunung",
             "mountain", "goa", "gua", "cave", "taman nasional", "national park"),
    "sejarah": ("history", "historic", "historical", "heritage", "cagar budaya", "monumen",
                "monument", "museum", "situs", "peninggalan", "wisata sejarah"),
    "kuliner": ("culinary", "food", "makanan", "wisata kuliner"),
    "religi": ("religious", "religion", "wisata religi", "ziarah", "pilgrimage", "rohani",
               "gereja", "church", "masjid", "mosque"),
    "rekreasi": ("recreation", "leisure", "hiburan", "entertainment", "taman", "park",
                 "wisata buatan", "buatan", "man made", "taman rekreasi", "olahraga", "sport"),
    "belanja": ("shopping", "pasar", "market", "pusat belanja", "mall"),
}
UMKM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "kuliner": ("makanan", "minuman", "makan", "minum", "warung", "warung makan",
                "rumah makan", "restoran", "restaurant", "resto", "cafe", "kafe", "kedai",
                "katering", "catering", "food", "drink", "culinary", "roti", "kue", "kopi",
                "coffee", "bakery"),
    "kerajinan": ("oleh oleh", "souvenir", "suvenir", "cendera mata", "cenderamata", "kriya",
                  "craft", "crafts", "handicraft", "kerajinan tangan", "noken", "ukiran",
                  "carving", "anyaman"),
    "penginapan": ("homestay", "home stay", "hotel", "losmen", "guest house", "guesthouse",
                   "wisma", "mess", "lodging", "villa", "pondok wisata", "akomodasi",
                   "accommodation"),
    "transportasi": ("transport", "sewa", "rental", "ojek", "speedboat", "speed boat",
                     "longboat", "long boat", "perahu", "boat", "taksi", "taxi", "angkot",
                     "travel", "penyewaan"),
    "toko": ("kios", "shop", "store", "kelontong", "warung kelontong", "minimarket",
             "swalayan", "supermarket", "retail", "grosir"),
    "lainnya": ("lain lain", "lain", "other", "others", "jasa", "services"),
}
GATEWAY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "bandara": ("bandar udara", "airport", "airstrip", "air strip", "aerodrome",
                "lapangan terbang", "lapter", "bandara perintis"),
    "pelabuhan": ("port", "dermaga", "harbour", "harbor", "jetty", "pier", "pelabuhan laut",
                  "pelabuhan perikanan", "pelabuhan penyeberangan", "ferry terminal",
                  "seaport", "tambatan perahu"),
    "terminal": ("bus", "terminal bus", "bus station", "terminal angkutan", "stasiun bus"),
    "pusat kota": ("city centre", "city center", "town centre", "town center", "kota",
                   "city", "town", "downtown", "pusat_kota"),
}
SIGNAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "none": ("tidak ada", "tidak ada sinyal", "no signal", "blank spot", "blankspot",
             "tidak", "0"),
    "2g": ("edge", "gprs", "gsm", "e"),
    "3g": ("h", "h+", "hsdpa", "hspa", "umts"),
    "4g": ("lte", "4g lte", "4g+"),
}
MANAGER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "pokdarwis": ("kelompok sadar wisata",),
    "pemerintah": ("pemda", "pemerintah daerah", "dinas", "government", "pemkab"),
    "swasta": ("private", "perusahaan", "company", "pt", "cv"),
    "adat": ("masyarakat adat", "lembaga adat", "customary", "suku"),
    "none": ("tidak ada", "belum ada", "no one"),
}
# PU survey surface words that geo.roads.SURFACE_MAP does not know.
PU_SURFACE_EXTRA: dict[str, str] = {
    "rabat beton": "beton", "perkerasan kaku": "beton", "rigid pavement": "beton",
    "perkerasan lentur": "aspal", "flexible pavement": "aspal", "hot mix": "aspal",
    "lapis penetrasi": "aspal", "penetrasi makadam": "aspal", "ac": "aspal",
    "paving block": "paving", "conblock": "paving", "batu": "kerikil",
    "jalan tanah": "tanah", "tanah liat": "tanah", "perkerasan tanah": "tanah",
}
PU_AUTHORITY_EXTRA: dict[str, str] = {"kab": "kabupaten", "kab.": "kabupaten",
                                      "prov": "provinsi", "prov.": "provinsi",
                                      "nas": "nasional", "jalan kampung": "desa"}


def _word(value: str) -> str:
    """The one word normaliser (:func:`geo.words.normalise_word`), ``_`` and ``-`` as spaces."""
    return normalise_word(re.sub(r"[_\-]+", " ", value))


def _lookup(synonyms: Mapping[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for cls, words in synonyms.items():
        canonical = cls.replace(" ", "_")
        out[_word(cls)] = canonical
        for w in words:
            out[_word(w)] = canonical
    return out


_PREFIXES = ("objek wisata ", "obyek wisata ", "daya tarik wisata ", "wisata ", "usaha ",
             "umkm ", "jenis ")


def classify(value: str, lookup: Mapping[str, str], *, fallback: str | None = None) -> str | None:
    """Map a free-text class (``"Wisata Alam"``, ``"budaya/adat"``) to a vocabulary entry.

    Tries, in order: the whole phrase; without prefixes such as ``wisata``/``usaha``;
    its parts split at ``/ , ; & +`` and ``dan``/``atau``; its single words. A step only
    succeeds when everything it recognises agrees on one class (``fallback``, e.g.
    ``lainnya``, yields to any specific class). Returns None when unknown or ambiguous.
    """
    w = _word(value)
    if not w:
        return None

    def whole(s: str) -> str | None:
        s = s.strip()
        if s in lookup:
            return lookup[s]
        for p in _PREFIXES:
            if s.startswith(p) and s[len(p):].strip() in lookup:
                return lookup[s[len(p):].strip()]
        return None

    def agree(found: Iterable[str | None]) -> str | None:
        classes = {c for c in found if c is not None}
        if fallback is not None and len(classes) > 1:
            classes.discard(fallback)
        return classes.pop() if len(classes) == 1 else None

    if (hit := whole(w)) is not None:
        return hit
    parts = [p for p in re.split(r"\s*(?:[/,;&+|]|\bdan\b|\batau\b|\band\b|\bor\b)\s*", w) if p]
    if len(parts) > 1 and (hit := agree(whole(p) for p in parts)) is not None:
        return hit
    return agree(lookup.get(t) for t in re.split(r"[\s/,;&+|()]+", w))


_DEST = _lookup(DESTINATION_SYNONYMS)
_UMKM = _lookup(UMKM_SYNONYMS)
_GATE = _lookup(GATEWAY_SYNONYMS)
_SIGNAL = _lookup(SIGNAL_SYNONYMS)
_MANAGER = _lookup(MANAGER_SYNONYMS)


def _classify_series(values: pd.Series, lookup: Mapping[str, str],
                     fallback: str | None = None) -> pd.Series:
    # Agency files repeat a handful of class words: classify each distinct cell once.
    cache: dict[object, str | None] = {}

    def one(v: object) -> str | None:
        try:
            return cache[v]
        except KeyError:
            got = cache[v] = None if is_blank(v) else classify(str(v), lookup, fallback=fallback)
            return got
        except TypeError:  # an unhashable cell
            return None if is_blank(v) else classify(str(v), lookup, fallback=fallback)

    return pd.Series([one(v) for v in values.astype(object)], index=values.index, dtype=object)


def destination_category(values: pd.Series) -> pd.Series:
    """Category words (``Wisata Alam``, ``beach``) -> schema.DESTINATION_CATEGORIES, else NA."""
    return _classify_series(values, _DEST)


def umkm_type(values: pd.Series) -> pd.Series:
    """Business-type words (``warung makan``, ``oleh-oleh``) -> schema.UMKM_TYPES, else NA."""
    return _classify_series(values, _UMKM, "lainnya")


def gateway_kind(values: pd.Series) -> pd.Series:
    """Gateway words (``airport``, ``dermaga``) -> schema.GATEWAY_KINDS, else NA."""
    return _classify_series(values, _GATE)


_PU_SURFACE = {**{_word(k): v for k, v in SURFACE_MAP.items()}, **PU_SURFACE_EXTRA}


def pu_surface(words: pd.Series) -> pd.Series:
    """PU surface words -> ``aspal/beton/paving/kerikil/tanah``; unrecognised -> NA."""
    cls = surface_class(words).where(lambda s: s != "unknown")
    extra = words.astype(object).map(
        lambda v: None if is_blank(v) else classify(str(v), _PU_SURFACE))
    return cls.fillna(extra)


def pu_authority(words: pd.Series) -> pd.Series:
    """PU authority words -> ``nasional/provinsi/kabupaten/desa``; unrecognised -> NA."""
    cls = authority_class(words)
    extra = normalise_text(words).map(PU_AUTHORITY_EXTRA)
    return cls.fillna(extra)


# --- summary -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, for the CLI and for tests."""

    kind: str
    layer: str
    file: str
    rows_read: int
    added: int = 0
    replaced: int = 0
    updated: int = 0
    total: int = 0
    details: tuple[tuple[str, int], ...] = ()

    def lines(self) -> list[str]:
        """Human summary lines (Bahasa Indonesia with English)."""
        out = [f"Impor {self.kind} dari {Path(self.file).name}: {self.rows_read} baris dibaca"]
        if self.kind == "road-conditions":
            out.append(f"{self.updated} ruas/segmen jalan diperbarui di "
                       f"layer '{self.layer}' ({self.total} edges)")
        else:
            out.append(f"ditambah {self.added}, diganti {self.replaced}; "
                       f"layer '{self.layer}' kini {self.total} baris")
        out.extend(f"  {label}: {n}" for label, n in self.details)
        return out


# --- problems ----------------------------------------------------------------------------


class _Problems:
    """Collects problems for one file; raises them all at once."""

    def __init__(self, table: Table):
        self.file = table.file
        self.items: list[Problem] = list(table.problems)

    def add(self, message: str, line: int | None = None, field: str | None = None) -> None:
        self.items.append(Problem(self.file, message, None if line is None else int(line), field))

    def raise_if_any(self) -> None:
        if self.items:
            # File-level problems first, then by line; stable within a line.
            ordered = sorted(self.items, key=lambda p: (p.line is not None, p.line or 0))
            raise InputError(ordered)


def _missing_column(problems: _Problems, table: Table, what: str, aliases: Iterable[str]) -> None:
    names = ", ".join(list(aliases)[:5])
    problems.add(f"kolom wajib '{what}' tidak ada; nama yang diterima: "
                 f"{names}; kolom yang ada: {', '.join(table.headers.values()) or 'tidak ada'}",
                 field=what)


# --- coordinates -------------------------------------------------------------------------


@dataclass
class _Region:
    """The workspace context imports check against (loaded once, lazily)."""

    ws: Workspace
    _boundary: BaseGeometry | None = None
    _metric: CRS | None = None
    _kampung: gpd.GeoDataFrame | None = None
    loaded: bool = False

    def boundary(self) -> BaseGeometry | None:
        if not self.loaded:
            self.loaded = True
            if self.ws.has(schema.BOUNDARY):
                self._boundary = self.ws.boundary()
                shapely.prepare(self._boundary)
        return self._boundary

    def metric(self) -> CRS:
        if self._metric is None:
            self._metric = self.ws.metric_crs()
        return self._metric

    def kampung(self) -> gpd.GeoDataFrame | None:
        """Kampung of ``admin_areas``: ``kode``, ``nama`` and the point of
        :func:`geo.io.regions.kampung_points` (EPSG:4326), where UMKM known only by kampung sit."""
        if self._kampung is None and self.ws.has("admin_areas"):
            admin = self.ws.read("admin_areas")
            kp = admin[admin["level"].astype(str) == "kampung"]
            if len(kp):
                self._kampung = gpd.GeoDataFrame(
                    {"kode": kp["kode"].astype(str).str.strip().to_numpy(),
                     "nama": kp["nama"].astype(str).to_numpy()},
                    geometry=regions.kampung_points(kp, self.metric()).to_crs(
                        schema.WGS84).to_numpy(),
                    crs=schema.WGS84)
        return self._kampung


@dataclass
class _Columns:
    lat: str | None = None
    lon: str | None = None
    coord: str | None = None
    wkt: str | None = None

    @property
    def any(self) -> bool:
        return bool((self.lat and self.lon) or self.coord or self.wkt)


def _coordinate_columns(table: Table, problems: _Problems, *, used: set[str]) -> _Columns:
    cols = _Columns(
        lat=table.column(LAT_ALIASES, exclude=used),
        lon=table.column(LON_ALIASES, exclude=used),
        coord=table.column(COORD_ALIASES, exclude=used),
        wkt=table.column(WKT_ALIASES, exclude=used),
    )
    if bool(cols.lat) != bool(cols.lon):
        have, want, aliases = (("lintang", "bujur", LON_ALIASES) if cols.lat
                               else ("bujur", "lintang", LAT_ALIASES))
        _missing_column(problems, table, f"{want} (ada kolom {have})", aliases)
    used.update(c for c in (cols.lat, cols.lon, cols.coord, cols.wkt) if c)
    return cols


def _parse_pair(value: object) -> tuple[float, float] | None:
    """``"-4.55, 136.88"`` (lat, lon, as copied from a map app) -> (lat, lon)."""
    s = text(value)
    if s is None:
        return None
    nums = re.findall(r"[-+\u2212]?\d+(?:[.,]\d+)?", s)
    if len(nums) != 2 or (s.count(",") > 1 and ";" not in s and " " not in s.strip()):
        return None
    a, b = number(nums[0]), number(nums[1])
    return None if a is None or b is None else (a, b)


_POINT_TYPES = ("Point", "MultiPoint", "Polygon", "MultiPolygon")
_LINE_TYPES = ("LineString", "MultiLineString")


def _geometry_problem(g: BaseGeometry, allowed: tuple[str, ...]) -> str | None:
    if g.is_empty:
        return "geometri kosong"
    if g.geom_type not in allowed:
        return (f"jenis geometri salah: {g.geom_type}, seharusnya "
                f"{' atau '.join(allowed)}")
    if g.geom_type == "MultiPoint" and len(g.geoms) != 1:
        return f"MultiPoint dengan {len(g.geoms)} titik: satu baris harus satu titik"
    if not g.is_valid:
        return f"geometri rusak: {shapely.is_valid_reason(g)}"
    if not np.isfinite(shapely.get_coordinates(g)).all():
        return "geometri rusak: koordinat tidak hingga"
    return None


def _row_geometries(
    table: Table, cols: _Columns, problems: _Problems, allowed: tuple[str, ...],
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """Per-row geometry (None where there is none or it is bad), the field each came from,
    and whether the row gave any location at all (even a bad one). Only ``rows`` (a
    boolean mask; default all) are looked at."""
    n = len(table)
    geoms = np.full(n, None, dtype=object)
    fields: list[str | None] = [None] * n
    given = np.zeros(n, dtype=bool)
    frame = table.frame
    # Plain lists: indexing a DataFrame cell by cell costs ~0.1 ms a cell.
    none = [None] * n
    lat_v = frame[cols.lat].tolist() if cols.lat and cols.lon else none
    lon_v = frame[cols.lon].tolist() if cols.lat and cols.lon else none
    coord_v = frame[cols.coord].tolist() if cols.coord else none
    wkt_v = frame[cols.wkt].tolist() if cols.wkt else none
    feature = list(table.geometry) if table.geometry is not None else none
    for i in range(n):  # per input row, to name each bad line
        if rows is not None and not rows[i]:
            continue
        line = int(table.lines[i])
        g = feature[i]
        given[i] = True
        if g is not None and not g.is_empty:
            if (msg := _geometry_problem(g, allowed)) is not None:
                problems.add(msg, line, "geometry")
                continue
            geoms[i], fields[i] = g, "geometry"
            continue
        if cols.lat and cols.lon:
            lat_raw, lon_raw = lat_v[i], lon_v[i]
            if not (is_blank(lat_raw) and is_blank(lon_raw)):
                lat, lon = coordinate(lat_raw, "lat"), coordinate(lon_raw, "lon")
                for raw, val, col in ((lat_raw, lat, cols.lat), (lon_raw, lon, cols.lon)):
                    if is_blank(raw):
                        problems.add("koordinat kosong", line,
                                     table.headers[col])
                    elif val is None:
                        problems.add(f"'{raw!s}' bukan angka",
                                     line, table.headers[col])
                if lat is not None and lon is not None:
                    geoms[i] = shapely.Point(lon, lat)
                    fields[i] = f"{table.headers[cols.lat]}/{table.headers[cols.lon]}"
                continue
        if cols.coord and not is_blank(coord_v[i]):
            pair = _parse_pair(coord_v[i])
            if pair is None:
                problems.add(f"'{coord_v[i]!s}' bukan pasangan 'lintang, bujur'", line, table.headers[cols.coord])
            else:
                geoms[i] = shapely.Point(pair[1], pair[0])
                fields[i] = table.headers[cols.coord]
            continue
        if cols.wkt and not is_blank(wkt_v[i]):
            try:
                g = shapely.from_wkt(str(wkt_v[i]))
            except shapely.errors.GEOSException as exc:
                problems.add(f"WKT rusak: {exc}", line, table.headers[cols.wkt])
                continue
            if (msg := _geometry_problem(g, allowed)) is not None:
                problems.add(msg, line, table.headers[cols.wkt])
                continue
            geoms[i], fields[i] = g, table.headers[cols.wkt]
            continue
        given[i] = False
        if g is not None and table.geometry is not None:
            # An empty feature geometry with no coordinate columns to fall back on.
            problems.add("geometri kosong", line, "geometry")
            given[i] = True
    return geoms, fields, given


def _check_location(
    table: Table, geoms: np.ndarray, fields: list[str | None], region: _Region,
    problems: _Problems,
) -> np.ndarray:
    """Impossible coordinates (wrong CRS) and points outside the workspace boundary.

    Returns a mask of the rows reported."""
    flagged = np.zeros(len(geoms), dtype=bool)
    has = np.array([g is not None for g in geoms], dtype=bool)
    if not has.any():
        return flagged
    idx = np.flatnonzero(has)
    garr = np.asarray(list(geoms[idx]), dtype=object)
    b = shapely.bounds(garr)
    impossible = (b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90)
    declared = f" (CRS berkas {table.source_crs})" if table.source_crs else ""
    cx, cy = shapely.get_x(shapely.centroid(garr)), shapely.get_y(shapely.centroid(garr))
    boundary = region.boundary()
    swapped_in = np.zeros(len(idx), dtype=bool)
    if boundary is not None:
        swapped_in = shapely.covers(boundary, shapely.points(cy, cx))
    for k in np.flatnonzero(impossible):
        i = idx[k]
        hint = ("lintang/bujur tertukar?" if swapped_in[k] else
                "koordinat proyeksi (mis. meter UTM) atau CRS salah?")
        problems.add(f"koordinat mustahil x={cx[k]:.6g}, "
                     f"y={cy[k]:.6g}{declared}: {hint}; pakai derajat desimal (EPSG:4326)",
                     int(table.lines[i]), fields[i])
        flagged[i] = True
    if boundary is None:
        return flagged
    ok = ~impossible
    if not ok.any():
        return flagged
    inside = np.zeros(len(idx), dtype=bool)
    inside[ok] = shapely.intersects(boundary, garr[ok])
    out = ok & ~inside
    if not out.any():
        return flagged
    metric = region.metric()
    bm = gpd.GeoSeries([boundary], crs=schema.WGS84).to_crs(metric).iloc[0]
    dist = gpd.GeoSeries(garr[out], crs=schema.WGS84).to_crs(metric).distance(bm).to_numpy()
    flip_sign = shapely.covers(boundary, shapely.points(cx[out], -cy[out]))
    for k, d, fs in zip(np.flatnonzero(out), dist, flip_sign, strict=True):
        if d <= BOUNDARY_TOLERANCE_M:
            continue
        i = idx[k]
        if swapped_in[k]:
            hint = ": lintang/bujur tertukar?"
        elif fs:
            hint = ": tanda lintang salah? (lintang selatan/LS harus negatif)"
        else:
            hint = ""
        problems.add(f"di luar batas wilayah sejauh "
                     f"{fmt.number(d / 1000, 1)} km, di {cx[k]:.5f}, {cy[k]:.5f}{declared}{hint}",
                     int(table.lines[i]), fields[i])
        flagged[i] = True
    return flagged


# --- attribute parsing ---------------------------------------------------------------------


def _attribute_kind(key: str) -> str:
    """The type word at the start of a schema.DESTINATION_ATTRIBUTES description."""
    return schema.DESTINATION_ATTRIBUTES[key].split(":", 1)[0].strip()


def _parse_attribute(key: str, raw: object) -> tuple[Any, str | None]:
    """(value, problem message) for one destination attribute cell."""
    kind = _attribute_kind(key)
    if key == "sinyal":
        signal = classify(text(raw) or "", _SIGNAL)
        return (signal, None) if signal else (None, f"'{raw!s}' bukan sinyal yang dikenal; "
                                    "pilihan: none (tidak ada), 2g, 3g atau 4g")
    if key == "pengelola":
        s = text(raw) or ""
        return classify(s, _MANAGER) or s, None
    if kind.startswith("int"):
        v = integer(raw)
        if v is None:
            return None, f"'{raw!s}' bukan bilangan bulat"
        if v < 0:
            return None, f"{v} negatif"
        if (msg := schema.out_of_range(key, v)) is not None:
            return None, msg
        return v, None
    if kind == "float":
        f = number(raw)
        if f is None:
            return None, f"'{raw!s}' bukan angka"
        if f < 0:
            return None, f"{f:g} negatif"
        if (msg := schema.out_of_range(key, f)) is not None:
            return None, msg
        return f, None
    if kind == "bool":
        b = boolean(raw)
        if b is None:
            return None, f"'{raw!s}' bukan ya/tidak (terima: ya/tidak, yes/no, 1/0, true/false)"
        return b, None
    return text(raw), None


def _facility_count(fasilitas: object) -> int | None:
    s = text(fasilitas)
    if s is None:
        return None
    items = [p for p in re.split(r"[,;/\n]|\bdan\b", s) if p.strip()]
    return len(items)


_ATTR_DTYPES = {"int": "Int64", "float": "Float64", "bool": "boolean"}


def _coerce_attributes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give the agency attribute columns one dtype after merging old and new rows."""
    for key in schema.DESTINATION_ATTRIBUTES:
        if key not in gdf.columns:
            continue
        kind = _attribute_kind(key).split()[0]
        dtype = _ATTR_DTYPES.get(kind)
        if dtype is None:
            gdf[key] = gdf[key].map(text).astype(object)
        elif dtype == "boolean":
            gdf[key] = gdf[key].map(lambda v: None if is_blank(v) else boolean(v)).astype(dtype)
        else:
            gdf[key] = pd.to_numeric(gdf[key], errors="coerce").astype(dtype)
    return gdf


# --- point layers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _PointSpec:
    kind: str
    layer: str
    class_field: str
    class_aliases: tuple[str, ...]
    vocabulary: tuple[str, ...]
    classify: Callable[[pd.Series], pd.Series]
    id_aliases: tuple[str, ...] = ID_ALIASES
    prefer_layers: tuple[str, ...] = ()


SPECS: dict[str, _PointSpec] = {
    "destinations": _PointSpec("destinations", "destinations", "category", CATEGORY_ALIASES,
                               schema.DESTINATION_CATEGORIES, destination_category,
                               prefer_layers=("destinations", "destinasi")),
    "umkm": _PointSpec("umkm", "umkm", "type", TYPE_ALIASES, schema.UMKM_TYPES, umkm_type,
                       id_aliases=UMKM_ID_ALIASES, prefer_layers=("umkm",)),
    "gateways": _PointSpec("gateways", "gateways", "kind", KIND_ALIASES, schema.GATEWAY_KINDS,
                           gateway_kind, prefer_layers=("gateways", "gerbang")),
}


def _ids(table: Table, col: str | None, problems: _Problems, what: str = "id") -> list[str | None]:
    if col is None:
        return [None] * len(table)
    ids = [text(v) for v in table.frame[col]]
    first: dict[str, int] = {}
    for i, v in enumerate(ids):
        line = int(table.lines[i])
        if v is None:
            problems.add(f"{what} kosong", line, table.headers[col])
        elif v in first:
            problems.add(f"{what} '{v}' duplikat, pertama di baris {first[v]}",
                         line, table.headers[col])
        else:
            first[v] = line
    return ids


def _extras(table: Table, used: set[str], reserved: Iterable[str]) -> dict[str, list[Any]]:
    """Further columns of the file, kept as text (the layers welcome more columns)."""
    taken = {*reserved, "geometry", "fid", "provenance", "location_precision"}
    out: dict[str, list[Any]] = {}
    for col in table.frame.columns:
        if col in used:
            continue
        name = f"src_{col}" if col in taken else str(col)
        out[name] = [text(v) for v in table.frame[col]]
    return out


def _read_points(table: Table, spec: _PointSpec, region: _Region) -> gpd.GeoDataFrame:
    """Validate a point file and return the new rows (raises InputError with every problem)."""
    problems = _Problems(table)
    used: set[str] = set()
    frame = table.frame
    n = len(table)
    if n == 0:
        problems.add("tidak ada baris data")

    kampung_code_col = kampung_name_col = None
    if spec.kind == "umkm":
        kampung_code_col = table.column(KAMPUNG_CODE_ALIASES)
        kampung_name_col = table.column(KAMPUNG_NAME_ALIASES)
        used.update(c for c in (kampung_code_col, kampung_name_col) if c)
    id_col = table.column(spec.id_aliases, exclude=used)
    if spec.kind == "umkm" and id_col is None:
        id_col = table.column(("kode",), exclude=used)  # 'kode' is the id only if nothing else is
    elif spec.kind == "umkm" and kampung_code_col is None and id_col is not None:
        kampung_code_col = table.column(("kode",), exclude=used | {id_col})
    used.update(c for c in (id_col, kampung_code_col) if c)
    name_col = table.column(NAME_ALIASES, exclude=used)
    used.update(c for c in (name_col,) if c)
    class_col = table.column(spec.class_aliases, exclude=used)
    used.update(c for c in (class_col,) if c)
    for col, what, aliases in ((id_col, "id", spec.id_aliases), (name_col, "nama/name", NAME_ALIASES),
                               (class_col, spec.class_field, spec.class_aliases)):
        if col is None:
            _missing_column(problems, table, what, aliases)
    cols = _coordinate_columns(table, problems, used=used)
    has_kampung = bool(kampung_code_col or kampung_name_col)
    if table.geometry is None and not cols.any and not has_kampung:
        extra = " atau kode_kampung/kampung" if spec.kind == "umkm" else ""
        problems.add(f"tidak ada koordinat: berkas perlu geometri atau "
                     f"kolom lintang/bujur{extra}", field="lintang/bujur")

    ids = _ids(table, id_col, problems)
    names = [text(v) for v in frame[name_col]] if name_col else [None] * n
    if name_col:
        for i in np.flatnonzero([v is None for v in names]).tolist():
            problems.add("nama kosong", int(table.lines[i]), table.headers[name_col])
    classes: list[Any] = [None] * n
    if class_col:
        classes = [None if pd.isna(c) else str(c) for c in spec.classify(frame[class_col])]
        for i, raw in enumerate(frame[class_col].tolist()):
            if is_blank(raw):
                problems.add(f"{spec.class_field} kosong",
                             int(table.lines[i]), table.headers[class_col])
            elif classes[i] is None:
                problems.add(f"{spec.class_field} '{raw!s}' tidak dikenal; "
                             f"pilihan: {', '.join(spec.vocabulary)}",
                             int(table.lines[i]), table.headers[class_col])

    geoms, fields, given = _row_geometries(table, cols, problems, _POINT_TYPES)
    # Polygons stand for their representative point, like areas in the OSM ingestion.
    for i, g in enumerate(geoms):
        if g is not None and g.geom_type in ("Polygon", "MultiPolygon"):
            geoms[i] = g.representative_point()
        elif g is not None and g.geom_type == "MultiPoint":
            geoms[i] = g.geoms[0]
    _check_location(table, geoms, fields, region, problems)

    precision = ["exact" if g is not None else None for g in geoms]
    kampung_kode: list[str | None] = [None] * n
    if spec.kind == "umkm":
        given |= _place_by_kampung(table, geoms, precision, kampung_kode, kampung_code_col,
                                   kampung_name_col, region, problems)
    coord_field = (f"{table.headers[cols.lat]}/{table.headers[cols.lon]}"
                   if cols.lat and cols.lon else "lintang/bujur")
    for i in range(n):
        if not given[i]:
            extra = " atau kode/nama kampung" if spec.kind == "umkm" else ""
            problems.add(f"koordinat tidak ada: isi lintang/bujur{extra}",
                         int(table.lines[i]), coord_field)

    attrs: dict[str, list[Any]] = {}
    if spec.kind == "destinations":
        for key, aliases in ATTRIBUTE_ALIASES.items():
            col = table.column(aliases, exclude=used)
            if col is None:
                continue
            used.add(col)
            values: list[Any] = []
            for i, raw in enumerate(frame[col]):
                if is_blank(raw):
                    values.append(None)
                    continue
                v, msg = _parse_attribute(key, raw)
                if msg:
                    problems.add(msg, int(table.lines[i]), table.headers[col])
                values.append(v)
            attrs[key] = values
        if "fasilitas" in attrs:
            derived = [_facility_count(v) for v in attrs["fasilitas"]]
            stated = attrs.get("jumlah_fasilitas", [None] * n)
            attrs["jumlah_fasilitas"] = [g if g is not None else d
                                         for g, d in zip(stated, derived, strict=True)]
    problems.raise_if_any()

    data: dict[str, Any] = {"id": ids, "name": names, spec.class_field: classes}
    if spec.kind == "umkm":
        data["location_precision"] = precision
        if any(k is not None for k in kampung_kode):
            data["kode_kampung"] = kampung_kode
    data["provenance"] = [PROVENANCE] * n
    data.update(attrs)
    data.update(_extras(table, used, data.keys()))
    gdf = gpd.GeoDataFrame(data, geometry=list(geoms), crs=schema.WGS84)
    return _coerce_attributes(gdf)


def _place_by_kampung(
    table: Table, geoms: np.ndarray, precision: list[str | None], kode_out: list[str | None],
    code_col: str | None, name_col: str | None, region: _Region, problems: _Problems,
) -> np.ndarray:
    """Give rows without coordinates their kampung's point (location_precision=kampung_centroid).

    Returns a mask of the rows that named a kampung (found or not)."""
    frame = table.frame
    named = np.zeros(len(table), dtype=bool)
    kampung: gpd.GeoDataFrame | None = None
    by_code: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}

    def load() -> gpd.GeoDataFrame | None:
        nonlocal kampung
        if kampung is None:
            kampung = region.kampung()
            if kampung is not None:
                for j, (k, nm) in enumerate(zip(kampung["kode"], kampung["nama"], strict=True)):
                    by_code[str(k)] = j
                    by_name.setdefault(_kampung_key(str(nm)), []).append(j)
        return kampung

    codes = [text(v) for v in frame[code_col]] if code_col else [None] * len(table)
    names = [text(v) for v in frame[name_col]] if name_col else [None] * len(table)
    for i in range(len(table)):  # per input row, to name each bad line
        code, name = codes[i], names[i]
        line = int(table.lines[i])
        if code is None and name is None:
            continue
        named[i] = True
        kp = load()
        if kp is None:
            if geoms[i] is None:
                problems.add("workspace tidak punya kampung: baris tidak "
                             "bisa ditempatkan menurut kampung; isi lintang/bujur atau jalankan "
                             "'siapwisata init --admin'", line, table.headers[code_col or name_col or ""])
            continue
        j: int | None = None
        if code is not None:
            j = by_code.get(code)
            if j is None:
                problems.add(f"kode kampung '{code}' tidak dikenal", line,
                             table.headers[code_col] if code_col else None)
                continue
            if name is not None and j not in by_name.get(_kampung_key(name), [j]):
                problems.add(f"kode kampung '{code}' adalah {kp['nama'].iloc[j]}, bukan '{name}' "
                             "(kode dan nama tidak cocok)", line,
                             table.headers[name_col] if name_col else None)
                continue
        elif name is not None:
            hits = by_name.get(_kampung_key(name), [])
            if not hits:
                problems.add(f"kampung '{name}' tidak dikenal", line,
                             table.headers[name_col] if name_col else None)
                continue
            if len(hits) > 1:
                listed = ", ".join(str(kp["kode"].iloc[h]) for h in hits)
                problems.add(f"nama kampung '{name}' ganda ({listed}); isi "
                             "kode_kampung", line, table.headers[name_col] if name_col else None)
                continue
            j = hits[0]
        assert j is not None
        kode_out[i] = str(kp["kode"].iloc[j])
        if geoms[i] is None:
            geoms[i] = kp.geometry.iloc[j]
            precision[i] = "kampung_centroid"
    return named


def _kampung_key(name: str) -> str:
    w = _word(name)
    return re.sub(r"^(kampung|kelurahan|desa|kel\.?|kp\.?)\s+", "", w)


def merge_layer(
    existing: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, int, int]:
    """Rows of ``new`` replace rows of ``existing`` with the same ``id``; others are added.

    Returns the merged layer, the number added and the number replaced.
    """
    if existing is None or existing.empty:
        return new.reset_index(drop=True), len(new), 0
    old_ids = existing["id"].map(text)
    replaced_mask = old_ids.isin(set(new["id"]))
    keep = existing.loc[~replaced_mask.to_numpy()].copy()
    keep["id"] = old_ids[~replaced_mask].astype(object)
    merged = pd.concat([keep.to_crs(schema.WGS84), new], ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=schema.WGS84)
    replaced = int(replaced_mask.sum())
    return _coerce_attributes(merged), len(new) - replaced, replaced


# --- road conditions -----------------------------------------------------------------------


@dataclass
class RoadSurvey:
    """Validated PU survey rows: at most one of ``way`` / ``geometry`` is used per row."""

    lines: np.ndarray
    way: list[str | None]
    geometry: np.ndarray  # shapely lines in EPSG:4326 or None
    condition: list[str | None]
    surface: list[str | None]
    authority: list[str | None]
    way_field: str = "osm_way_id"
    geometry_field: list[str | None] = field(default_factory=list)
    ruas: list[str | None] = field(default_factory=list)
    ruas_field: str = "ruas_id"


_WAY_RE = re.compile(r"^(?:https?://\S*openstreetmap\.org/)?(?:way/?|w)?\s*(\d+)$", re.IGNORECASE)


def _way_id(value: object) -> str | None | bool:
    """``123``, ``123.0``, ``w123``, ``way/123`` or an osm.org URL -> ``"123"``; False if bad."""
    s = text(value)
    if s is None:
        return None
    m = _WAY_RE.match(s)
    return m.group(1) if m else False


def _way_key(values: pd.Series) -> pd.Series:
    """Road-layer ``osm_way_id`` as digit strings (vectorised; ints may come back as floats)."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values).astype("Int64").astype("string")
    return values.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)


def _read_survey(table: Table, region: _Region) -> tuple[RoadSurvey, _Problems]:
    """Validate survey rows; rows whose location is bad are left out of the join."""
    problems = _Problems(table)
    n = len(table)
    if n == 0:
        problems.add("tidak ada baris data")
    used: set[str] = set()
    way_col = table.column(WAY_ALIASES)
    ruas_col = table.column(RUAS_ALIASES, exclude={c for c in (way_col,) if c})
    used.update(c for c in (way_col, ruas_col) if c)
    cond_col = table.column(CONDITION_ALIASES, exclude=used)
    surf_col = table.column(SURFACE_ALIASES, exclude=used)
    auth_col = table.column(AUTHORITY_ALIASES, exclude=used)
    used.update(c for c in (cond_col, surf_col, auth_col) if c)
    if not (cond_col or surf_col or auth_col):
        _missing_column(problems, table, "kondisi/permukaan/kewenangan",
                        (*CONDITION_ALIASES[:2], *SURFACE_ALIASES[:2], *AUTHORITY_ALIASES[:2]))
    cols = _Columns(wkt=table.column(WKT_ALIASES, exclude=used))
    if way_col is None and ruas_col is None and table.geometry is None and cols.wkt is None:
        problems.add("tidak ada kolom ruas_id, osm_way_id atau geometri garis: baris survei "
                     "tidak bisa dicocokkan dengan jalan",
                     field="osm_way_id")

    frame = table.frame

    def mapped(col: str | None, fn: Callable[[pd.Series], pd.Series], what: str,
               vocab: Iterable[str]) -> list[str | None]:
        if col is None:
            return [None] * n
        out = fn(frame[col].map(text).astype("string")).astype(object).tolist()
        vals: list[str | None] = []
        for i, (raw, v) in enumerate(zip(frame[col], out, strict=True)):
            if is_blank(raw):
                vals.append(None)
            elif v is None or pd.isna(v):
                problems.add(f"{what} '{raw!s}' tidak dikenal; pilihan: "
                             f"{', '.join(vocab)}", int(table.lines[i]), table.headers[col])
                vals.append(None)
            else:
                vals.append(str(v))
        return vals

    cond = mapped(cond_col, condition_class, "kondisi/condition",
                  [c.replace("_", " ") for c in schema.CONDITIONS if c != "unknown"])
    surf = mapped(surf_col, pu_surface, "permukaan/surface",
                  [c for c in schema.SURFACE_CLASSES if c != "unknown"])
    auth = mapped(auth_col, pu_authority, "kewenangan/authority",
                  [c for c in schema.AUTHORITIES if c != "unknown"])
    if cond_col or surf_col or auth_col:
        stated = np.zeros(n, dtype=bool)
        for c in (cond_col, surf_col, auth_col):
            if c:
                stated |= ~frame[c].map(is_blank).to_numpy(dtype=bool)
        for i in np.flatnonzero(~stated).tolist():
            problems.add("baris tanpa kondisi/permukaan/kewenangan",
                         int(table.lines[i]))

    ways: list[str | None] = [None] * n
    seen: dict[str, int] = {}
    if way_col:
        for i, raw in enumerate(frame[way_col]):
            w = _way_id(raw)
            line = int(table.lines[i])
            if w is False:
                problems.add(f"osm_way_id '{raw!s}' bukan id way OSM", line,
                             table.headers[way_col])
            elif isinstance(w, str):
                if w in seen:
                    problems.add(f"osm_way_id '{w}' duplikat, pertama di baris "
                                 f"{seen[w]}", line, table.headers[way_col])
                seen.setdefault(w, line)
                ways[i] = w
    # a ruas_id (the id every priorities output shows) names a whole section
    ruas: list[str | None] = [None] * n
    if ruas_col:
        seen_r: dict[int, int] = {}
        for i, raw in enumerate(frame[ruas_col]):
            rid = text(raw)
            if rid is None:
                continue
            line = int(table.lines[i])
            m = ruas_match(rid)
            if m is None:
                problems.add(f"ruas_id '{rid}' bukan ID ruas (contoh R00042, "
                             "dari keluaran prioritas)", line, table.headers[ruas_col])
                continue
            if m in seen_r:
                problems.add(f"ruas_id '{rid}' duplikat, pertama di baris "
                             f"{seen_r[m]}", line, table.headers[ruas_col])
            seen_r.setdefault(m, line)
            ruas[i] = rid
    # Geometry is only needed (and only checked) for rows without a way or section id.
    has_way = (~frame[way_col].map(is_blank).to_numpy(dtype=bool) if way_col
               else np.zeros(n, dtype=bool))
    if ruas_col:
        has_way |= ~frame[ruas_col].map(is_blank).to_numpy(dtype=bool)
    geoms, fields, given = _row_geometries(table, cols, problems, _LINE_TYPES, rows=~has_way)
    for i in np.flatnonzero(~has_way & ~given).tolist():
        if way_col or ruas_col or table.geometry is not None or cols.wkt:
            problems.add("baris tanpa ruas_id, osm_way_id dan tanpa geometri garis", int(table.lines[i]),
                         table.headers[way_col] if way_col else
                         table.headers[ruas_col] if ruas_col else "geometry")
    geoms[_check_location(table, geoms, fields, region, problems)] = None
    survey = RoadSurvey(table.lines.copy(), ways, geoms, cond, surf, auth,
                        way_field=table.headers[way_col] if way_col else "osm_way_id",
                        geometry_field=fields, ruas=ruas,
                        ruas_field=table.headers[ruas_col] if ruas_col else "ruas_id")
    return survey, problems


def match_survey(
    roads: gpd.GeoDataFrame, survey: RoadSurvey, metric: CRS,
    *, tolerance_m: float = ROAD_MATCH_TOLERANCE_M, min_share: float = ROAD_MATCH_MIN_SHARE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match survey rows to road edges.

    Rows with a ``ruas_id`` take every road edge of that section (the numbering of the
    priorities output, :func:`geo.io.ruas_rows`). Rows with an ``osm_way_id`` take
    every edge of that way. Rows with a line take the
    ``mode=road`` edges of which at least ``min_share`` of the length lies within
    ``tolerance_m`` of the line (in the metric CRS) *and* whose endpoints, projected on
    the line, span at least ``min_share`` of the edge's length (so a short cross street
    touching the line is not taken). An edge claimed by several lines goes to the line
    that covers the largest share of it; way-id rows win over lines.

    Returns
    -------
    edge, row
        Positional edge index and the survey row assigned to it (one pair per edge).
    row_matches
        Number of edges matched per survey row (before edges are assigned), for errors.
    """
    n = len(survey.lines)
    ne = len(roads)
    counts = np.zeros(n, dtype=np.int64)
    best_row = np.full(ne, -1, dtype=np.int64)
    best_score = np.full(ne, -np.inf)
    is_road = (roads["mode"].astype(str).to_numpy() == "road") if "mode" in roads else np.ones(
        ne, dtype=bool)

    geo_rows = np.array([i for i in range(n) if survey.geometry[i] is not None], dtype=np.int64)
    if len(geo_rows) and ne:
        edge_pos = np.flatnonzero(is_road)
        edges_m = np.asarray(roads.geometry.iloc[edge_pos].to_crs(metric).to_numpy(), dtype=object)
        lines_m = gpd.GeoSeries(list(survey.geometry[geo_rows]), crs=schema.WGS84).to_crs(
            metric).to_numpy()
        lines_m = shapely.line_merge(np.asarray(lines_m, dtype=object))
        buffers = shapely.buffer(lines_m, tolerance_m)
        tree = shapely.STRtree(edges_m)
        s_idx, e_idx = tree.query(buffers, predicate="intersects")
        if len(s_idx):
            e_geom = edges_m[e_idx]
            elen = shapely.length(e_geom)
            within = shapely.length(shapely.intersection(e_geom, buffers[s_idx]))
            share = np.divide(within, elen, out=np.zeros_like(elen), where=elen > 0)
            line = lines_m[s_idx]
            start = shapely.line_locate_point(line, shapely.get_point(shapely.line_merge(e_geom), 0))
            end = shapely.line_locate_point(line, shapely.get_point(shapely.line_merge(e_geom), -1))
            span = np.abs(end - start)
            # Multi-part edges have no single start/end: judge them by share alone.
            span = np.where(np.isnan(span), elen, span)
            along = np.divide(span, elen, out=np.ones_like(elen), where=elen > 0)
            ok = (share >= min_share) & (along >= min_share)
            rows, edges, score = geo_rows[s_idx[ok]], edge_pos[e_idx[ok]], share[ok]
            np.add.at(counts, rows, 1)
            order = np.lexsort((rows, score))  # ascending: the best pair per edge is written last
            best_row[edges[order]] = rows[order]
            best_score[edges[order]] = score[order]

    ruas = survey.ruas or [None] * n
    ruas_rows_ = [i for i in range(n) if ruas[i] is not None]
    if ruas_rows_ and ne:
        labels = road_sections(roads.reset_index(drop=True))
        for i in ruas_rows_:  # one lookup per survey row naming a section
            e = ruas_rows(str(ruas[i]), labels)
            if e is None or not len(e):
                continue
            counts[i] += len(e)
            best_row[e] = i
            best_score[e] = np.inf
    way_rows = [i for i in range(n) if survey.way[i] is not None]
    if way_rows and ne and "osm_way_id" in roads:
        keys = _way_key(roads["osm_way_id"])
        wanted = pd.DataFrame({"key": [survey.way[i] for i in way_rows], "row": way_rows})
        have = pd.DataFrame({"key": keys.to_numpy(dtype=object), "edge": np.arange(ne)})
        pairs = wanted.astype({"key": object}).merge(have.dropna(), on="key", how="inner")
        e = pairs["edge"].to_numpy(dtype=np.int64)
        r = pairs["row"].to_numpy(dtype=np.int64)
        np.add.at(counts, r, 1)
        best_row[e] = r
        best_score[e] = np.inf
    edge = np.flatnonzero(best_row >= 0)
    return edge, best_row[edge], counts


def apply_survey(
    roads: gpd.GeoDataFrame, survey: RoadSurvey, edge: np.ndarray, row: np.ndarray,
) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Set condition, surface and authority on the matched edges; ``*_source='agency'``.

    ``surface`` receives the PU class word (aspal, beton, ...), which
    :func:`geo.roads.surface_class` maps to itself; a stored ``surface_class`` column
    is kept in step.
    """
    out = roads.copy()
    counts: dict[str, int] = {}
    for col, values in (("condition", survey.condition), ("surface", survey.surface),
                        ("authority", survey.authority)):
        per_row = np.asarray(values, dtype=object)
        has = pd.notna(per_row)[row] if len(row) else np.zeros(0, dtype=bool)
        counts[col] = int(has.sum())
        if not has.any():
            continue
        targets = [col, f"{col}_source"]
        if col == "surface" and "surface_class" in out:
            targets.append("surface_class")
        for t in targets:
            out[t] = out[t].astype(object) if t in out else None
        idx = out.index[edge[has]]
        out.loc[idx, col] = per_row[row[has]]
        out.loc[idx, f"{col}_source"] = PROVENANCE
        if "surface_class" in targets:
            out.loc[idx, "surface_class"] = per_row[row[has]]
    return out, counts


def _nearest_hints(roads: gpd.GeoDataFrame, survey: RoadSurvey, rows: Iterable[int],
                   metric: CRS) -> dict[int, float]:
    rows = [r for r in rows if survey.geometry[r] is not None]
    if not rows or roads.empty:
        return {}
    edges_m = roads.geometry.to_crs(metric).to_numpy()
    lines_m = gpd.GeoSeries(list(survey.geometry[rows]), crs=schema.WGS84).to_crs(metric).to_numpy()
    tree = shapely.STRtree(np.asarray(edges_m, dtype=object))
    (li, _), dist = tree.query_nearest(np.asarray(lines_m, dtype=object), return_distance=True,
                                       all_matches=False)
    return {rows[int(i)]: float(d) for i, d in zip(li, dist, strict=True)}


@dataclass(frozen=True)
class RoadUpdate:
    """A validated PU survey matched to the ``roads`` layer: what an import writes.

    ``edges`` are the positional road rows set, ``rows`` the survey row (of ``table``) that
    set each, ``set_counts`` how many edges got a condition, surface and authority.
    """

    table: Table
    survey: RoadSurvey
    roads: gpd.GeoDataFrame
    updated: gpd.GeoDataFrame
    edges: np.ndarray
    rows: np.ndarray
    set_counts: dict[str, int]


def read_road_update(path: Path, ws: Workspace, *, reporter: Reporter = SILENT,
                     tolerance_m: float = ROAD_MATCH_TOLERANCE_M) -> RoadUpdate:
    """Read a PU survey, check it and match it to ``ws``'s roads (:func:`match_survey`).

    Reads the workspace, writes nothing. The browser's preview (issue 12) keeps the table
    and the matched edges; :func:`read_road_conditions` the layer and the summary.

    Raises
    ------
    InputError
        Every problem in the file at once, including rows that match no road.
    WorkspaceError
        The workspace has no ``roads`` layer.
    """
    ws.require()
    if not ws.has("roads"):
        raise WorkspaceError(f"{ws.path}: layer 'roads' tidak ada: jalankan dulu ingest-osm, "
                             "fetch-osm atau demo")
    region = _Region(ws)
    reporter.step(f"membaca survei PU {path}")
    table = _agency_table(path, "road-conditions", ws,
                          ("road_conditions", "kondisi_jalan", "survey"))
    survey, problems = _read_survey(table, region)
    roads = ws.read("roads")
    metric = region.metric()
    reporter.step(f"mencocokkan {len(table)} baris dengan jalan")
    edge, row, counts = match_survey(roads, survey, metric, tolerance_m=tolerance_m)
    located = np.array([w is not None or g is not None or r is not None
                        for w, g, r in zip(survey.way, survey.geometry, survey.ruas,
                                           strict=True)], dtype=bool)
    missing = np.flatnonzero(located & (counts == 0))
    near = _nearest_hints(roads, survey, missing.tolist(), metric)
    for r in missing.tolist():  # per survey row, to name each bad line
        line = int(survey.lines[r])
        if survey.ruas[r] is not None and survey.way[r] is None:
            problems.add(f"ruas_id {survey.ruas[r]} tidak ada di workspace "
                         "(pakai ID dari keluaran prioritas)", line, survey.ruas_field)
        elif survey.way[r] is not None:
            problems.add(f"osm_way_id {survey.way[r]} tidak ada di layer roads", line, survey.way_field)
        else:
            hint = f"; ruas jalan terdekat {fmt.integer(near[r])} m" if r in near else ""
            problems.add(f"garis survei tidak cocok dengan jalan mana pun "
                         f"dalam {fmt.integer(tolerance_m)} m{hint}", line,
                         survey.geometry_field[r] or "geometry")
    problems.raise_if_any()
    updated, set_counts = apply_survey(roads, survey, edge, row)
    return RoadUpdate(table, survey, roads, updated, edge, row, set_counts)


def read_road_conditions(
    path: Path, ws: Workspace, *, reporter: Reporter = SILENT,
    tolerance_m: float = ROAD_MATCH_TOLERANCE_M,
) -> tuple[gpd.GeoDataFrame, ImportSummary]:
    """A PU road survey joined to the workspace's ``roads`` (see :func:`match_survey`).

    Reads the workspace, writes nothing: returns the updated ``roads`` layer and the summary
    of the import (the step :func:`geo.steps.import_road_conditions` stores them).
    """
    ru = read_road_update(path, ws, reporter=reporter, tolerance_m=tolerance_m)
    survey, n = ru.survey, len(ru.table)
    by_way = sum(1 for w in survey.way if w is not None)
    by_ruas = sum(1 for w, r in zip(survey.way, survey.ruas, strict=True)
                  if w is None and r is not None)
    details = (
        ("baris via ruas_id", by_ruas),
        ("baris via osm_way_id", by_way),
        ("baris via geometri", n - by_way - by_ruas),
        ("kondisi diisi", ru.set_counts["condition"]),
        ("permukaan diisi", ru.set_counts["surface"]),
        ("kewenangan diisi", ru.set_counts["authority"]),
    )
    return ru.updated, ImportSummary("road-conditions", "roads", str(path), n,
                                     updated=len(ru.edges), total=len(ru.roads),
                                     details=details)


# --- entry point ---------------------------------------------------------------------------


def import_source(path: Path, layer: str, note: str) -> Source:
    """The ``sources`` row of an agency file imported into ``layer``."""
    return Source(name=Path(path).name, layer=layer, date=date.today().isoformat(),
                  licence=LICENCE, note=note)


def read_points(kind: str, path: Path, ws: Workspace, *, reporter: Reporter = SILENT
                ) -> tuple[gpd.GeoDataFrame, int]:
    """Destinations, UMKM or gateways of an agency file, checked against the workspace's
    region (boundary, kampung): the new rows and the number of rows read.

    Reads the workspace, writes nothing (the step :func:`geo.steps.import_points` merges and
    stores them).

    Raises
    ------
    InputError
        Every problem in the file at once (file, line, field).
    """
    pr = read_point_table(kind, path, ws, reporter=reporter)
    return pr.rows, len(pr.table)


# --- pure readers: what an import would write, without writing it (issue 12) ---------------
# The browser's preview and apply (geo.steps.contribute) read and validate files through
# these, so their row-level problems are exactly the CLI's.


@dataclass(frozen=True)
class PointRows:
    """A validated point file: the table as read and the rows it gives (import_points' rows)."""

    table: Table
    rows: gpd.GeoDataFrame


def read_point_table(kind: str, path: Path, ws: Workspace, *,
                     reporter: Reporter = SILENT) -> PointRows:
    """Destinations, UMKM or gateways of an agency file checked against the workspace's
    region, with the table as read (its headers and lines: the browser's preview names
    unknown columns and rows by them).

    Raises
    ------
    InputError
        Every problem in the file at once (as ``siapwisata import`` reports them).
    """
    spec = SPECS[kind]
    ws.require()
    region = _Region(ws)
    reporter.step(f"membaca {kind} {path}")
    table = _agency_table(path, kind, ws, spec.prefer_layers)
    return PointRows(table, _read_points(table, spec, region))


def _agency_table(path: Path, kind: str, ws: Workspace, prefer_layers: tuple[str, ...]) -> Table:
    """The file as a Table; an ODK Central / KoboToolbox export (a field form's data) is
    first rewritten into this import's own columns (:mod:`geo.io.xlsform`)."""
    # xlsform builds its forms from this module's aliases, so it is imported here, not on top.
    from geo.io import xlsform

    table = read_table(path, prefer_layers=prefer_layers)
    if not xlsform.is_collect_export(table):
        return table
    return xlsform.from_collect_export(table, xlsform.export_form(kind, ws))


def point_rows(kind: str, table: Table, ws: Workspace) -> gpd.GeoDataFrame:
    """Validate rows already held as a :class:`Table` (a form's fields) like a file's."""
    return _read_points(table, SPECS[kind], _Region(ws))


def known_headers(kind: str) -> tuple[str, ...]:
    """Every header (normalised) an import of ``kind`` recognises, in alias order."""
    if kind == "road-conditions":
        groups: tuple[tuple[str, ...], ...] = (
            RUAS_ALIASES, WAY_ALIASES, CONDITION_ALIASES, SURFACE_ALIASES, AUTHORITY_ALIASES,
            WKT_ALIASES)
    else:
        spec = SPECS[kind]
        groups = (spec.id_aliases, NAME_ALIASES, spec.class_aliases, LAT_ALIASES, LON_ALIASES,
                  COORD_ALIASES, WKT_ALIASES)
        if kind == "umkm":
            groups += (KAMPUNG_CODE_ALIASES, KAMPUNG_NAME_ALIASES, ("kode",))
        if kind == "destinations":
            groups += tuple(ATTRIBUTE_ALIASES.values())
    return tuple(dict.fromkeys(a for g in groups for a in g))


def unknown_headers(table: Table, kind: str) -> list[str]:
    """Headers of ``table`` (as written in the file) that an import of ``kind`` does not
    recognise: point imports keep them as text columns, road surveys ignore them."""
    known = set(known_headers(kind))
    out = []
    for name in table.frame.columns:
        short = normalise_header(re.sub(r"\(.*?\)|\[.*?\]", " ", table.headers[name]), 0)
        if name not in known and short not in known:
            out.append(table.headers[name])
    return out


def parse_attribute(key: str, raw: object) -> tuple[Any, str | None]:
    """One destination attribute cell as an import reads it: (value, problem or None).

    ``key`` is one of :data:`geo.schema.DESTINATION_ATTRIBUTES`; a blank cell is (None, None).
    """
    if is_blank(raw):
        return None, None
    return _parse_attribute(key, raw)


def coerce_attributes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give the destination attribute columns the dtypes an import writes them with."""
    return _coerce_attributes(gdf)
