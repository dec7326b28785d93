"""Workspace layer contracts: layer names, required columns and vocabularies.

Other work (scores, priorities, API, checks) depends on these names; change them only
together with the issue that defines them.
"""

from __future__ import annotations

from typing import Final

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
