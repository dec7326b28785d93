"""Words for the stored codes a report prints, until :mod:`geo.labels` (issue 14.2, the one
label table) is on main: then ``from geo.labels import label`` replaces this module, whose
``label(kind, code)`` has the same signature and the same words for these kinds."""

from __future__ import annotations

import math
from typing import Final

_TABLES: Final[dict[str, dict[str, str]]] = {
    "class": {"rintisan": "Rintisan", "berkembang": "Berkembang", "maju": "Maju",
              "mandiri": "Mandiri"},
    "surface": {"aspal": "Aspal", "beton": "Beton", "paving": "Paving / blok",
                "kerikil": "Kerikil / agregat", "tanah": "Tanah",
                "unknown": "Permukaan tidak diketahui"},
    "condition": {"baik": "Baik", "sedang": "Sedang", "rusak_ringan": "Rusak ringan",
                  "rusak_berat": "Rusak berat", "unknown": "Kondisi tidak diketahui"},
    "authority": {"nasional": "Jalan nasional", "provinsi": "Jalan provinsi",
                  "kabupaten": "Jalan kabupaten", "desa": "Jalan desa",
                  "unknown": "Kewenangan tidak diketahui"},
    "category": {"pantai": "Pantai", "budaya": "Budaya", "alam": "Alam",
                 "sejarah": "Sejarah", "kuliner": "Kuliner", "religi": "Religi",
                 "rekreasi": "Rekreasi", "belanja": "Belanja"},
}


def label(kind: str, code: object) -> str:
    """The words for ``code`` of ``kind``; an unknown code unchanged, a missing one ``""``."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return ""
    text = str(code)
    return _TABLES[kind].get(text, text)
