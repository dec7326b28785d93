"""Workspace layer contracts: layer names, required columns and vocabularies.

Other work (scores, priorities, API, checks) depends on these names; change them only
together with the issue that defines them.
"""

from __future__ import annotations

from typing import Final

from geo import fmt

WGS84: Final = "EPSG:4326"

# --- vocabularies -------------------------------------------------------------------
AUTHORITIES: Final = ("nasional", "provinsi", "kabupaten", "desa", "unknown")
CONDITIONS: Final = ("baik", "sedang", "rusak_ringan", "rusak_berat", "unknown")
MODES: Final = ("road", "water", "air")
PROVENANCES: Final = ("osm", "agency", "synthetic")
UMKM_TYPES: Final = ("kuliner", "kerajinan", "penginapan", "transportasi", "toko", "lainnya")
LOCATION_PRECISIONS: Final = ("exact", "kampung_centroid")
GATEWAY_KINDS: Final = ("bandara", "pelabuhan", "terminal", "pusat_kota")
DESTINATION_CATEGORIES: Final = (
    "pantai",
    "budaya",
    "alam",
    "sejarah",
    "kuliner",
    "religi",
    "rekreasi",
    "belanja",
)
# Road surfaces normalised to the classes PU uses (aspal, beton, kerikil/agregat, tanah).
SURFACE_CLASSES: Final = ("aspal", "beton", "paving", "kerikil", "tanah", "unknown")

# --- layers -------------------------------------------------------------------------
ROAD_COLUMNS: Final = (
    "u",
    "v",
    "osm_way_id",
    "highway",
    "name",
    "ref",
    "surface",
    "smoothness",
    "tracktype",
    "maxspeed",
    "oneway",
    "length_m",
    "authority",
    "condition",
    "mode",
    "provenance",
)
DESTINATION_COLUMNS: Final = ("id", "name", "category", "provenance")
UMKM_COLUMNS: Final = ("id", "name", "type", "location_precision", "provenance")
GATEWAY_COLUMNS: Final = ("id", "name", "kind", "provenance")
ADMIN_COLUMNS: Final = ("kode", "nama", "level")
POI_KEYS: Final = (
    "tourism",
    "shop",
    "amenity",
    "craft",
    "leisure",
    "historic",
    "natural",
    "aeroway",
    "place",
)
POI_COLUMNS: Final = ("osm_type", "osm_id", "name", *POI_KEYS)

REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "roads": ROAD_COLUMNS,
    "destinations": DESTINATION_COLUMNS,
    "umkm": UMKM_COLUMNS,
    "gateways": GATEWAY_COLUMNS,
    "admin_areas": ADMIN_COLUMNS,
    "pois": POI_COLUMNS,
}

BOUNDARY: Final = "boundary"
METADATA: Final = "metadata"
SOURCES: Final = "sources"
GATEWAY_REPORT: Final = "gateway_report"
"""Table written by ``score``: per gateway, ``destinations_reached`` (shown by ``info``)."""

# Optional agency attributes of destinations (Dinas Pariwisata and Diskominfo fields).
# Missing values mean "unknown", never zero; the readiness scores report coverage.
DESTINATION_ATTRIBUTES: Final[dict[str, str]] = {
    "fasilitas": "text: facilities at the site, comma-separated (toilet, parkir, ...)",
    "jumlah_fasilitas": "int: number of facilities (derived from fasilitas when absent)",
    "pengunjung_tahun": "int: visitors per year",
    "pengelola": "text: manager (pokdarwis, pemerintah, swasta, adat, none)",
    "daya_tarik": "int 1-5: attraction rating by Dinas Pariwisata",
    "promosi_portal": "bool: listed on the official tourism portal",
    "promosi_medsos": "bool: promoted on social media",
    "papan_petunjuk": "bool: signage on the way",
    "sinyal": "text: mobile signal (none, 2g, 3g, 4g)",
    "importance": "float: weight in road priorities (default 1)",
}

# --- plausible ranges of numbers --------------------------------------------------------
# Inclusive (low, high, unit). A number outside its range is a typing error (digits
# repeated, a misplaced separator) or hostile input (importance=1e308 would dominate every
# ranking): imports and configurations refuse it and name the range. The bounds are
# generous on purpose: they only exclude what cannot be true, they do not judge data.
# (ASSUMPTION of this project: order-of-magnitude limits, not official figures.)
RANGES: Final[dict[str, tuple[float, float, str]]] = {
    # Destination attributes (Dinas Pariwisata, Diskominfo, PU weights).
    # Borobudur, among Indonesia's most visited sites, receives a few million visitors a
    # year; 100 million is far above any single destination.
    "pengunjung_tahun": (0, 100_000_000, "pengunjung per tahun"),
    "jumlah_fasilitas": (0, 1_000, "fasilitas"),
    "daya_tarik": (1, 5, "skala 1-5"),
    # A weight relative to the default 1 of an ordinary destination.
    "importance": (0, 100, "kali bobot biasa (1)"),
    # Coordinates in decimal degrees (EPSG:4326).
    "lintang": (-90, 90, "derajat"),
    "bujur": (-180, 180, "derajat"),
    # Network speeds and fixed times (data/network.toml).
    "walk_speed_kmh": (0.5, 10, "km/jam"),
    "road_speed_kmh": (1, 200, "km/jam"),
    "water_speed_kmh": (1, 120, "km/jam"),
    "air_speed_kmh": (50, 1_000, "km/jam"),
    "fixed_minutes": (0, 1_440, "menit"),
    "snap_distance_m": (1, 100_000, "m"),
    # Road works (data/priorities.toml): from a patch repair to a road on stilts through
    # swamp; Papua road costs reported in the news are Rp 1-10 billion per km.
    "unit_cost_rp_per_km": (1_000_000, 1_000_000_000_000, "Rp per km"),
    "od_weight": (0, 1_000, "bobot"),
}


def range_text(key: str) -> str:
    """``'0 - 100.000.000 pengunjung per tahun'``: a range in Indonesian number format."""
    lo, hi, unit = RANGES[key]
    return f"{_plain(lo)} - {_plain(hi)} {unit}"


def _plain(x: float) -> str:
    """A whole number without decimals, else two (``1.000``, ``0,25``)."""
    return fmt.number(x, 0 if float(x).is_integer() else 2)


def out_of_range(key: str, value: float) -> str | None:
    """A message when ``value`` is outside the plausible range of ``key`` (or not finite)."""
    lo, hi, _ = RANGES[key]
    if value != value or not lo <= value <= hi:  # NaN fails every comparison
        return (f"{_plain(value)} di luar rentang wajar (wajar: "
                f"{range_text(key)})")
    return None
