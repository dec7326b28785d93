"""The one table of words for the codes the data stores (Bahasa Indonesia).

Layers and configuration files store short machine codes (``rusak_berat``, ``desa``,
``synthetic``); people read words ("Rusak berat", "Jalan desa", "sintetis"). Maps, popups,
spreadsheets, PDF reports and forms all take their words from here, so the legend of a map
and the column of a workbook cannot disagree.

:func:`label` turns one code into its words; :func:`labels` does a whole column. An unknown
code comes back unchanged (as text), so a new class in an agency file still shows.

Agency (OPD) dimensions are not listed here: they are data, in readiness.toml (see
:func:`geo.readiness.dimension_labels`).

This module sits in the configuration layer: it imports nothing of the project.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

CLASS_LABELS: Final[dict[str, str]] = {
    "rintisan": "Rintisan",
    "berkembang": "Berkembang",
    "maju": "Maju",
    "mandiri": "Mandiri",
}
"""Readiness classes (issue 3), from least to most ready."""

SURFACE_LABELS: Final[dict[str, str]] = {
    "aspal": "Aspal",
    "beton": "Beton",
    "paving": "Paving / blok",
    "kerikil": "Kerikil / agregat",
    "tanah": "Tanah",
    "unknown": "Permukaan tidak diketahui",
}
"""Road surfaces (:data:`geo.schema.SURFACE_CLASSES`)."""

CONDITION_LABELS: Final[dict[str, str]] = {
    "baik": "Baik",
    "sedang": "Sedang",
    "rusak_ringan": "Rusak ringan",
    "rusak_berat": "Rusak berat",
    "unknown": "Kondisi tidak diketahui",
}
"""PU road condition bands."""

AUTHORITY_LABELS: Final[dict[str, str]] = {
    "nasional": "Jalan nasional",
    "provinsi": "Jalan provinsi",
    "kabupaten": "Jalan kabupaten",
    "desa": "Jalan desa",
    "unknown": "Kewenangan tidak diketahui",
}
"""Road class by authority (status jalan: who builds and maintains it)."""

MODE_LABELS: Final[dict[str, str]] = {
    "road": "Jalan",
    "water": "Jalur air (perahu dari pelabuhan)",
    "air": "Jalur udara (penerbangan perintis)",
}
"""Network modes as a map legend names them."""

ROUTE_MODE_LABELS: Final[dict[str, str]] = {
    "walk": "jalan kaki",
    "road": "jalan darat",
    "water": "perahu",
    "air": "pesawat",
}
"""The legs of an access route (``route_modes`` holds them joined by ``+``)."""

GATEWAY_KIND_LABELS: Final[dict[str, str]] = {
    "bandara": "Bandara",
    "pelabuhan": "Pelabuhan",
    "terminal": "Terminal",
    "pusat_kota": "Pusat kota",
}

UMKM_TYPE_LABELS: Final[dict[str, str]] = {
    "kuliner": "Kuliner",
    "kerajinan": "Kerajinan / oleh-oleh",
    "penginapan": "Penginapan / homestay",
    "transportasi": "Transportasi / sewa",
    "toko": "Toko",
    "lainnya": "Lainnya",
}

CATEGORY_LABELS: Final[dict[str, str]] = {
    "pantai": "Pantai",
    "budaya": "Budaya",
    "alam": "Alam",
    "sejarah": "Sejarah",
    "kuliner": "Kuliner",
    "religi": "Religi",
    "rekreasi": "Rekreasi",
    "belanja": "Belanja",
}
"""Destination categories."""

PROVENANCE_LABELS: Final[dict[str, str]] = {
    "osm": "OpenStreetMap",
    "agency": "data dinas (OPD)",
    "synthetic": "sintetis",
}
"""Where a row came from (:data:`geo.schema.PROVENANCES`)."""

STATUS_LABELS: Final[dict[str, str]] = {
    "usulan": "usulan (belum diadopsi)",
    "direncanakan": "direncanakan",
    "berjalan": "berjalan",
    "selesai": "selesai",
    "batal": "batal",
}
"""Task (rencana aksi) status; ``usulan`` is a suggestion of the scores, never stored."""

LOCATION_PRECISION_LABELS: Final[dict[str, str]] = {
    "exact": "titik tepat",
    "kampung_centroid": "titik tengah kampung (perkiraan)",
}
"""How precisely a point is placed."""

LAYER_LABELS: Final[dict[str, str]] = {
    "destinations": "Destinasi",
    "roads": "Jalan",
    "umkm": "UMKM",
    "gateways": "Gerbang (bandara, pelabuhan, terminal)",
    "admin_areas": "Wilayah (distrik, kampung)",
    "pois": "Fasilitas umum",
    "scores": "Skor kesiapan",
    "priorities": "Prioritas jalan",
}
"""Workspace layers, as people name the data they hold."""

CHANGE_LABELS: Final[dict[str, str]] = {
    "upload": "unggahan dinas",
    "edit": "suntingan",
    "rollback": "pengembalian versi",
    "import": "impor (CLI)",
    "score": "hitung ulang skor",
    "task": "rencana aksi",
}
"""Kinds of recorded change (:data:`geo.io.history.KINDS`), as the history page names them."""

YESNO_LABELS: Final[dict[str, str]] = {"True": "Ya", "False": "Tidak"}
"""Yes/no cells: ``True`` -> "Ya", ``False`` -> "Tidak"."""

KINDS: Final[Mapping[str, Mapping[str, str]]] = {
    "class": CLASS_LABELS,
    "surface": SURFACE_LABELS,
    "condition": CONDITION_LABELS,
    "road_class": AUTHORITY_LABELS,
    "authority": AUTHORITY_LABELS,
    "mode": MODE_LABELS,
    "route_mode": ROUTE_MODE_LABELS,
    "gateway_kind": GATEWAY_KIND_LABELS,
    "umkm_type": UMKM_TYPE_LABELS,
    "category": CATEGORY_LABELS,
    "provenance": PROVENANCE_LABELS,
    "status": STATUS_LABELS,
    "location_precision": LOCATION_PRECISION_LABELS,
    "layer": LAYER_LABELS,
    "change": CHANGE_LABELS,
    "yesno": YESNO_LABELS,
}
"""Every kind of code :func:`label` knows (``road_class`` and ``authority`` are one table)."""


def _table(kind: str) -> Mapping[str, str]:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"jenis kode tidak dikenal: {kind!r} (dikenal: "
                         f"{', '.join(sorted(KINDS))})") from None


def _missing(code: object) -> bool:
    if code is None or code is pd.NA or code is pd.NaT:
        return True
    return isinstance(code, float) and math.isnan(code)


def label(kind: str, code: object) -> str:
    """The words for ``code`` of ``kind`` ("rusak_berat" -> "Rusak berat").

    Parameters
    ----------
    kind
        One of :data:`KINDS`: ``"class"``, ``"condition"``, ``"surface"``,
        ``"road_class"``, ``"provenance"``, ``"status"``, ``"yesno"``, ...
    code
        The stored code. An unknown code comes back unchanged as text; a missing one
        (None, NaN) as ``""``. ``route_mode`` codes joined by ``+`` are labelled part by part.

    Raises
    ------
    ValueError
        For an unknown ``kind`` (a programming error, not a data error).
    """
    table = _table(kind)
    if _missing(code):
        return ""
    if kind == "yesno" and isinstance(code, (bool, np.bool_)):
        return table[str(bool(code))]
    text = str(code)
    if kind == "route_mode" and "+" in text:
        return " + ".join(table.get(part, part) for part in text.split("+"))
    return table.get(text, text)


def labels(kind: str, codes: Iterable[object]) -> list[str]:
    """:func:`label` for each of ``codes`` (a column), in order."""
    _table(kind)
    return [label(kind, c) for c in codes]
