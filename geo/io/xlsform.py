"""Field forms for offline data collection (ODK Collect, KoboCollect) and their exports.

PU road surveys and UMKM counts in Mimika are done in the field, often without signal.
``siapwisata form jalan|umkm|destinasi --out FORM.xlsx`` writes an XLSForm (sheets
``survey``, ``choices``, ``settings``) that ODK Central or KoboToolbox turn into a form
for the phones; the same import then reads what the teams send back
(``siapwisata import KIND EXPORT.csv|.xlsx``).

One source of truth: the form's fields *are* the import's own columns. Every field name is
an alias of :mod:`geo.io.importers` (checked when this module loads), every choice list is
the importer's vocabulary (:mod:`geo.schema`) with the words of the one label table
(:func:`geo.labels.label`), and
every number carries the import's plausible range (:data:`geo.schema.RANGES`) as its
constraint, so a form filled in without errors imports without errors.

Exports (:func:`from_collect_export`) are recognised by their shape and rewritten into the
import's columns *before* the import validates them, so its errors still name the file,
the row and the export's own column:

==============================  ==============================================================
ODK Central CSV                 ``group-field`` headers; a geopoint as four columns
                                ``<path>-Latitude``, ``-Longitude``, ``-Altitude``,
                                ``-Accuracy``; a geotrace as one ``lat lon alt acc;...`` cell;
                                ``SubmissionDate``, ``meta-instanceID``, ``KEY``,
                                ``SubmitterID``, ``ReviewState``, ... (metadata, dropped)
KoboToolbox CSV/XLSX            ``group/field`` headers (or none); a geopoint as its
                                ``lat lon alt acc`` column and ``_<field>_latitude``,
                                ``_longitude``, ``_altitude``, ``_precision``; ``_id``,
                                ``_uuid``, ``_submission_time``, ``_validation_status``,
                                ``_index``, ... (metadata, dropped). "Labels" exports (question
                                and choice labels instead of names) are mapped back through
                                the form's own labels.
==============================  ==============================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo import fmt, schema
from geo.exceptions import Problem
from geo.io import importers as imp
from geo.io._cells import text_cells
from geo.io._io import Table, is_blank, normalise_header, number, text
from geo.io._sections import road_sections, ruas_id, section_keys
from geo.io.workspace import Workspace
from geo.labels import label as _label

FORM_KINDS: Final[dict[str, str]] = {
    "jalan": "road-conditions",
    "umkm": "umkm",
    "destinasi": "destinations",
}
"""Form name (``siapwisata form NAME``) -> the import kind whose columns it collects."""

FORM_TITLES: Final[dict[str, str]] = {
    "jalan": "Survei kondisi jalan (Dinas PUPR) - SIAP Wisata",
    "umkm": "Pendataan UMKM (Dinas Koperasi dan UKM) - SIAP Wisata",
    "destinasi": "Pendataan destinasi wisata (Dinas Pariwisata) - SIAP Wisata",
}

# GPS fixes: ODK Collect keeps the point automatically once it is this accurate (m) and warns
# above the second figure. (ASSUMPTION of this project: under forest canopy in Mimika a phone
# rarely does better than 10 m; 30 m still places a point on the right road or kampung.)
GEOPOINT_PARAMETERS: Final = "capture-accuracy=10 warning-accuracy=30"

# The answers the importer's own synonym tables know for the destination attributes that
# are words, with the words field teams read. (Names are the importer's canonical words.)
_SIGNAL_WORDS: Final = {"none": "Tidak ada sinyal", "2g": "2G (EDGE)", "3g": "3G (H/H+)",
                        "4g": "4G / LTE"}
_MANAGER_WORDS: Final = {"pokdarwis": "Pokdarwis (kelompok sadar wisata)",
                         "pemerintah": "Pemerintah daerah", "swasta": "Swasta",
                         "adat": "Masyarakat / lembaga adat", "none": "Belum ada pengelola"}
_YES_NO: Final = (("ya", "Ya"), ("tidak", "Tidak"))

# Questions (label, hint) per destination attribute of geo.schema.DESTINATION_ATTRIBUTES.
_ATTRIBUTE_QUESTIONS: Final[dict[str, tuple[str, str]]] = {
    "fasilitas": ("Fasilitas di lokasi", "Pisahkan dengan koma: toilet, parkir, gazebo, "
                  "warung, tempat ibadah, ..."),
    "jumlah_fasilitas": ("Jumlah fasilitas", "Kosongkan bila sama dengan banyaknya "
                         "fasilitas yang ditulis di atas"),
    "pengunjung_tahun": ("Pengunjung per tahun", "Perkiraan pengelola atau catatan buku tamu"),
    "pengelola": ("Pengelola", ""),
    "daya_tarik": ("Nilai daya tarik (1-5)", "Penilaian Dinas Pariwisata: 1 rendah, "
                   "5 sangat tinggi"),
    "promosi_portal": ("Ada di portal pariwisata resmi?", ""),
    "promosi_medsos": ("Dipromosikan di media sosial?", ""),
    "papan_petunjuk": ("Ada papan petunjuk arah di jalan?", ""),
    "sinyal": ("Sinyal seluler di lokasi", "Lihat indikator sinyal di ponsel saat di lokasi"),
    "importance": ("Bobot dalam prioritas jalan", "Biasanya dikosongkan (bobot biasa 1); "
                   "diisi Dinas PUPR bila destinasi ini diutamakan"),
}
if set(_ATTRIBUTE_QUESTIONS) != set(schema.DESTINATION_ATTRIBUTES):  # pragma: no cover
    raise RuntimeError("_ATTRIBUTE_QUESTIONS must list exactly schema.DESTINATION_ATTRIBUTES")


@dataclass(frozen=True)
class FormField:
    """One question of a form: an import column, or a group around some of them.

    ``type`` is the XLSForm type (``text``, ``integer``, ``decimal``, ``geopoint``,
    ``geotrace``, ``select_one LIST``, ``begin_group``, ``start``, ...); ``choices`` the
    (name, label) pairs of a ``select_one`` list.
    """

    type: str
    name: str
    label: str = ""
    hint: str = ""
    required: str = ""
    constraint: str = ""
    constraint_message: str = ""
    appearance: str = ""
    parameters: str = ""
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def list_name(self) -> str | None:
        """The choice list of a ``select_one`` question."""
        return self.type.split()[1] if self.type.startswith("select_one ") else None


@dataclass(frozen=True)
class Form:
    """An XLSForm: its questions in order, and its settings."""

    kind: str
    import_kind: str
    fields: tuple[FormField, ...]
    title: str
    form_id: str
    version: str
    instance_name: str = ""

    def questions(self) -> list[FormField]:
        """The questions that answer an import column (no groups, no metadata)."""
        return [f for f in self.fields if f.type not in _STRUCTURE]

    def columns(self) -> list[str]:
        """The import columns the form collects, in order."""
        return [f.name for f in self.questions()]


_STRUCTURE = frozenset({"begin_group", "end_group", "start", "end", "today", "deviceid",
                        "note"})


def _alias(aliases: Sequence[str], name: str | None = None) -> str:
    """The import's own header for a field: its first alias, or ``name`` if it is one."""
    chosen = aliases[0] if name is None else name
    if chosen not in aliases:  # pragma: no cover - a programming error, caught at import
        raise RuntimeError(f"{chosen!r} is not an import header ({', '.join(aliases)})")
    return chosen


def _range_constraint(key: str) -> tuple[str, str]:
    """An XLSForm constraint and its message for a number of the import's RANGES."""
    if key not in schema.RANGES:
        return ". >= 0", "Tidak boleh negatif"
    lo, hi, _ = schema.RANGES[key]
    lo_s = str(int(lo)) if float(lo).is_integer() else repr(float(lo))
    hi_s = str(int(hi)) if float(hi).is_integer() else repr(float(hi))
    return f". >= {lo_s} and . <= {hi_s}", f"Harus antara {schema.range_text(key)}"


def _safe_label(value: object) -> str:
    """Workspace text (road and kampung names) as a choice label.

    ``${name}`` in a label is an XLSForm reference: a road named ``${x}`` would make the form
    fail to convert, so the pair is broken with a space. Everything else stays as written
    (the workbook stores it as text, never as a formula: :func:`geo.io.text_cells`).
    """
    s = text(value) or ""
    return s.replace("${", "$ {")


def _identity(kind: str) -> list[FormField]:
    spec = imp.SPECS[kind]
    vocab: tuple[str, ...]
    if kind == "destinations":
        id_hint = ("Kode destinasi dari daftar Dinas Pariwisata (mis. DST-009); kode yang sudah "
                   "ada di workspace menggantikan data lamanya")
        vocab, words, what = schema.DESTINATION_CATEGORIES, "category", "Kategori destinasi"
        name_label = "Nama destinasi"
    else:
        id_hint = ("NIB, atau kode dari daftar Dinas Koperasi dan UKM (mis. UMKM-TMK-001); "
                   "kode yang sudah ada menggantikan data lamanya")
        vocab, words, what = schema.UMKM_TYPES, "umkm_type", "Jenis usaha"
        name_label = "Nama usaha"
    cls = _alias(spec.class_aliases)
    return [
        FormField("begin_group", "identitas", "Identitas"),
        FormField("text", _alias(spec.id_aliases), "Kode (ID)", id_hint, required="yes"),
        FormField("text", _alias(imp.NAME_ALIASES), name_label, required="yes"),
        FormField(f"select_one {cls}", cls, what, required="yes",
                  choices=tuple((c, _label(words, c)) for c in vocab)),
        FormField("end_group", "identitas"),
    ]


def _destination_attributes() -> list[FormField]:
    out = [FormField("begin_group", "atribut", "Data Dinas Pariwisata dan Diskominfo",
                     "Kosongkan yang tidak diketahui: kosong berarti 'belum diketahui', "
                     "bukan nol")]
    for key, aliases in imp.ATTRIBUTE_ALIASES.items():
        name = _alias(aliases, key)
        label, hint = _ATTRIBUTE_QUESTIONS[key]
        kind = schema.DESTINATION_ATTRIBUTES[key].split(":", 1)[0].strip().split()[0]
        if key == "sinyal":
            out.append(FormField(f"select_one {name}", name, label, hint,
                                 choices=tuple((k, _SIGNAL_WORDS[k])
                                               for k in imp.SIGNAL_SYNONYMS)))
        elif key == "pengelola":
            out.append(FormField(f"select_one {name}", name, label, hint,
                                 choices=tuple((k, _MANAGER_WORDS[k])
                                               for k in imp.MANAGER_SYNONYMS)))
        elif kind == "bool":
            out.append(FormField("select_one ya_tidak", name, label, hint, choices=_YES_NO))
        elif kind in ("int", "float"):
            cons, msg = _range_constraint(key)
            out.append(FormField("integer" if kind == "int" else "decimal", name, label, hint,
                                 constraint=cons, constraint_message=msg))
        else:
            out.append(FormField("text", name, label, hint))
    out.append(FormField("end_group", "atribut"))
    return out


def _location_point(required: str, hint: str) -> FormField:
    return FormField("geopoint", _alias(imp.COORD_ALIASES), "Titik GPS lokasi", hint,
                     required=required, parameters=GEOPOINT_PARAMETERS)


def _kampung_field(kampung: pd.DataFrame | None) -> FormField:
    name = _alias(imp.KAMPUNG_CODE_ALIASES)
    label = "Kampung / kelurahan"
    if kampung is None or kampung.empty:
        return FormField("text", name, label, "Kode Kemendagri kampung (mis. 94.04.01.2001); "
                         "isi bila titik GPS tidak bisa diambil",
                         constraint="regex(., '^[0-9.]+$')",
                         constraint_message="Kode kampung hanya angka dan titik")
    rows = kampung.sort_values("nama", kind="stable")
    choices = tuple((str(k), f"{_safe_label(n)} ({k})")
                    for k, n in zip(rows["kode"], rows["nama"], strict=True))
    return FormField(f"select_one {name}", name, label,
                     "Pilih kampung tempat usaha; wajib bila titik GPS tidak bisa diambil",
                     appearance="autocomplete", choices=choices)


def ruas_choices(roads: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """(``ruas_id``, label) of every road section of a ``roads`` layer, in id order.

    The ids are the priorities output's (:func:`geo.io.ruas_id` of
    :func:`geo.io.road_sections`); the label adds the road's name or ref and its length.
    """
    if roads is None or roads.empty:
        return ()
    frame = roads.reset_index(drop=True)
    labels = road_sections(frame)
    keep = labels >= 0
    if not keep.any():
        return ()
    length = pd.to_numeric(frame["length_m"], errors="coerce") if "length_m" in frame else \
        pd.Series(np.nan, index=frame.index)
    authority = (frame["authority"].astype("string") if "authority" in frame
                 else pd.Series(pd.NA, index=frame.index, dtype="string"))
    per = pd.DataFrame({"label": labels[keep], "key": section_keys(frame)[keep].to_numpy(),
                        "m": length[keep].to_numpy(), "auth": authority[keep].to_numpy()})
    grouped = per.groupby("label", sort=True).agg(key=("key", "first"), m=("m", "sum"),
                                                  auth=("auth", "first"))
    ids = ruas_id(grouped.index.to_numpy())
    out = []
    for rid, key, m, auth in zip(ids, grouped["key"], grouped["m"], grouped["auth"],
                                 strict=True):
        name = _safe_label(key) if not is_blank(key) else "tanpa nama"
        km = f", {fmt.number(m / 1000.0, 1)} km" if pd.notna(m) and m > 0 else ""
        # PU can fund only its own roads: the authority tells a team which sections to survey
        road = f", {_label('authority', str(auth))}" if not is_blank(auth) else ""
        out.append((str(rid), f"{rid} - {name}{km}{road}"))
    return tuple(out)


def _road_fields(ruas: Sequence[tuple[str, str]]) -> list[FormField]:
    rid = _alias(imp.RUAS_ALIASES)
    trace = _alias(imp.WKT_ALIASES, "geometri")
    if ruas:
        ruas_field = FormField(f"select_one {rid}", rid, "Ruas jalan (ID ruas)",
                               "Pilih ruas dari daftar prioritas; kosongkan bila ruas tidak ada "
                               "di daftar, lalu rekam jejak GPS", appearance="autocomplete",
                               choices=tuple(ruas))
    else:
        ruas_field = FormField("text", rid, "Ruas jalan (ID ruas)",
                               "ID dari keluaran prioritas, mis. R00042; kosongkan bila tidak "
                               "tahu, lalu rekam jejak GPS",
                               constraint="regex(., '^[Rr]?[0-9]+$')",
                               constraint_message="ID ruas seperti R00042")
    cond = _alias(imp.CONDITION_ALIASES)
    surf = _alias(imp.SURFACE_ALIASES)
    auth = _alias(imp.AUTHORITY_ALIASES)

    def vocab(codes: Iterable[str], words: str) -> tuple[tuple[str, str], ...]:
        return tuple((c, _label(words, c)) for c in codes if c != "unknown")

    return [
        FormField("begin_group", "ruas", "Ruas yang disurvei"),
        ruas_field,
        FormField("geotrace", trace, "Jejak GPS bagian yang disurvei",
                  "Wajib bila ID ruas kosong. Mulai di awal bagian jalan, rekam otomatis sambil "
                  "berjalan atau berkendara, berhenti di ujungnya (minimal 2 titik)",
                  required=f"${{{rid}}} = ''"),
        FormField("end_group", "ruas"),
        FormField("begin_group", "kondisi_jalan", "Kondisi jalan"),
        FormField(f"select_one {cond}", cond, "Kondisi", "Menurut kriteria PU: baik, sedang, "
                  "rusak ringan, rusak berat", required="yes",
                  choices=vocab(schema.CONDITIONS, "condition")),
        FormField(f"select_one {surf}", surf, "Permukaan (perkerasan)",
                  choices=vocab(schema.SURFACE_CLASSES, "surface")),
        FormField(f"select_one {auth}", auth, "Kewenangan (status jalan)",
                  choices=vocab(schema.AUTHORITIES, "authority")),
        FormField("end_group", "kondisi_jalan"),
    ]


def build_form(kind: str, *, roads: pd.DataFrame | None = None,
               kampung: pd.DataFrame | None = None, version: str | None = None) -> Form:
    """The form ``kind`` (``jalan``, ``umkm`` or ``destinasi``) for a workspace's data.

    Parameters
    ----------
    kind
        A key of :data:`FORM_KINDS`.
    roads
        The workspace's ``roads`` layer: ``ruas_id`` becomes a choice of its sections
        (otherwise a text field checked for the shape ``R00042``).
    kampung
        Kampung (``kode``, ``nama``) of the workspace: ``kode_kampung`` becomes a choice.
    version
        The form version (default: the current UTC time, ``YYYYMMDDHHMM``, so a form made
        again with newer roads can replace the old one on ODK Central or KoboToolbox).
    """
    if kind not in FORM_KINDS:
        raise ValueError(f"formulir '{kind}' tidak dikenal; pilih: {', '.join(FORM_KINDS)}")
    import_kind = FORM_KINDS[kind]
    fields: list[FormField] = [FormField("start", "start"), FormField("end", "end")]
    if kind == "jalan":
        fields += _road_fields(ruas_choices(roads) if roads is not None else ())
        instance = (f"concat(${{{_alias(imp.RUAS_ALIASES)}}}, ' ', "
                    f"${{{_alias(imp.CONDITION_ALIASES)}}})")
    else:
        fields += _identity(import_kind)
        fields.append(FormField("begin_group", "lokasi", "Lokasi"))
        if kind == "umkm":
            kp = _kampung_field(kampung)
            fields.append(_location_point(
                f"${{{kp.name}}} = ''", "Ambil di depan tempat usaha; bila GPS tidak bisa, "
                "pilih kampungnya di bawah"))
            fields.append(kp)
        else:
            fields.append(_location_point("yes", "Ambil di pintu masuk atau pusat lokasi "
                                          "destinasi"))
        fields.append(FormField("end_group", "lokasi"))
        if kind == "destinasi":
            fields += _destination_attributes()
        instance = (f"concat(${{{_alias(imp.SPECS[import_kind].id_aliases)}}}, ' ', "
                    f"${{{_alias(imp.NAME_ALIASES)}}})")
    stamp = version or datetime.now(UTC).strftime("%Y%m%d%H%M")
    return Form(kind, import_kind, tuple(fields), FORM_TITLES[kind], f"siapwisata_{kind}",
                stamp, instance)


_SURVEY_COLUMNS: Final = ("type", "name", "label", "hint", "required", "constraint",
                          "constraint_message", "appearance", "parameters")


def form_sheets(form: Form) -> dict[str, pd.DataFrame]:
    """The ``survey``, ``choices`` and ``settings`` sheets of ``form`` (XLSForm)."""
    survey = pd.DataFrame([[getattr(f, c) for c in _SURVEY_COLUMNS] for f in form.fields],
                          columns=list(_SURVEY_COLUMNS))
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for f in form.fields:
        ln = f.list_name
        if ln is None or ln in seen:
            continue
        seen.add(ln)
        rows.extend((ln, name, label) for name, label in f.choices)
    choices = pd.DataFrame(rows, columns=["list_name", "name", "label"])
    settings = pd.DataFrame([{"form_title": form.title, "form_id": form.form_id,
                              "version": form.version, "instance_name": form.instance_name,
                              "default_language": "Bahasa Indonesia (id)"}])
    return {"survey": survey, "choices": choices, "settings": settings}


def write_form(form: Form, path: str | Path) -> Path:
    """Write ``form`` as an XLSForm workbook at ``path`` (every cell stored as text).

    Callers write through :func:`geo.io.workspace.atomic_write`.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = True
    widths = {"type": 24, "name": 20, "label": 40, "hint": 60, "list_name": 20}
    for title, frame in form_sheets(form).items():
        sheet = book.active if first else book.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = title
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if v is None or v == "" else v for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            sheet.column_dimensions[cell.column_letter].width = widths.get(str(cell.value), 16)
        sheet.freeze_panes = "A2"
    text_cells(book)
    out = Path(path)
    book.save(out)
    return out


# --- exports of ODK Central and KoboToolbox ------------------------------------------------

# Columns a server adds to every submission (compared case-insensitively; with any column
# of the ``meta`` and ``formhub`` groups, see META_GROUPS).
META_COLUMNS: Final = frozenset({
    # ODK Central / Briefcase
    "submissiondate", "key", "parent_key", "submitterid", "submittername", "attachmentspresent",
    "attachmentsexpected", "status", "reviewstate", "deviceid", "edits", "formversion",
    "instanceid", "instancename", "deprecatedid", "audit",
    # KoboToolbox (formpack)
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_version_", "_tags", "_index", "_parent_index",
    "_parent_table_name", "_xform_id_string", "_attachments", "_geolocation", "_media_count",
    "_total_media", "_media_all_received", "_duration", "rootuuid", "uuid",
    # metadata questions
    "start", "end", "today", "username", "phonenumber", "simserial", "subscriberid", "email",
})
# Group paths that only hold metadata.
META_GROUPS: Final = frozenset({"meta", "formhub"})
# Headers only a server writes: one of them makes a table an export.
_MARKERS: Final = frozenset({"submissiondate", "key", "meta-instanceid", "meta/instanceid",
                             "instanceid", "_uuid", "_submission_time", "_validation_status",
                             "__version__", "_xform_id_string", "formhub/uuid"})
_ODK_GPS = re.compile(r"^(?P<base>.+)-(?P<part>latitude|longitude|altitude|accuracy)$",
                      re.IGNORECASE)
_KOBO_GPS = re.compile(r"^(?:(?P<group>.*)/)?_(?P<base>.+)_(?P<part>latitude|longitude|"
                       r"altitude|precision)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[/\-]")


def _gps_part(header: str) -> tuple[str, str] | None:
    """(question, ``latitude``/``longitude``/...) of a split geopoint column, else None."""
    m = _KOBO_GPS.match(header) or _ODK_GPS.match(header)
    if m is None:
        return None
    part = m.group("part").lower()
    return m.group("base"), "accuracy" if part == "precision" else part


def is_collect_export(table: Table) -> bool:
    """True when ``table`` looks like an ODK Central or KoboToolbox submissions export.

    The mark is a column only those servers write (``SubmissionDate``, ``KEY``,
    ``meta-instanceID``, ``_uuid``, ``_submission_time``, ...) or a geopoint split into
    ``-Latitude``/``-Longitude`` or ``_<field>_latitude``/``_<field>_longitude`` columns.
    """
    headers = [str(h).strip() for h in table.headers.values()]
    if any(h.lower() in _MARKERS for h in headers):
        return True
    parts = {(g[0].lower(), g[1]) for g in map(_gps_part, headers) if g is not None}
    return any((base, "longitude") in parts for base, part in parts if part == "latitude")


def _suffixes(header: str) -> list[str]:
    """``a/b-c`` -> ``["a/b-c", "b-c", "c"]``: the header without ever more group path."""
    starts = [0, *(m.end() for m in _SEPARATORS.finditer(header))]
    return [header[s:] for s in starts if header[s:].strip()]


def _is_meta(header: str) -> bool:
    """A server's column: a metadata name, or anything in the ``meta`` group."""
    h = header.strip().lower()
    parts = [p for p in _SEPARATORS.split(h) if p]
    return h in META_COLUMNS or (len(parts) > 1 and parts[0] in META_GROUPS)


@dataclass(frozen=True)
class _Lookup:
    """A form's questions by name and by label (normalised), and its choices."""

    fields: dict[str, FormField]
    by_key: dict[str, str]
    choices: dict[str, dict[str, str]]

    @classmethod
    def of(cls, form: Form) -> _Lookup:
        fields = {f.name: f for f in form.questions()}
        by_key: dict[str, str] = {}
        for f in fields.values():  # names win over labels
            if f.label:
                by_key.setdefault(normalise_header(f.label, 0), f.name)
        for f in fields.values():
            by_key[normalise_header(f.name, 0)] = f.name
        choices: dict[str, dict[str, str]] = {}
        for f in fields.values():
            if f.choices:
                m = {_choice_key(label): name for name, label in f.choices}
                m.update({_choice_key(name): name for name, _ in f.choices})
                choices[f.name] = m
        return cls(fields, by_key, choices)

    def resolve(self, header: str) -> str | None:
        """The question a header names, after any group path (``grp-id``, ``grp/Nama``)."""
        for s in _suffixes(header):
            got = self.by_key.get(normalise_header(s, 0))
            if got is not None:
                return got
        return None


def _choice_key(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


_GPS_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_GPS_POINT = re.compile(rf"^\s*({_GPS_NUMBER})\s+({_GPS_NUMBER})(?:\s+{_GPS_NUMBER}){{0,2}}\s*$")


def _geopoint_pair(value: object) -> object:
    """``"-4.55 136.88 12 5"`` (ODK's geopoint) -> ``"-4.55, 136.88"`` (the import's
    ``koordinat``); anything else unchanged, for the import to report."""
    s = text(value)
    if s is None:
        return value
    m = _GPS_POINT.match(s)
    return f"{m.group(1)}, {m.group(2)}" if m else value


def _geotrace_wkt(value: object) -> tuple[str | None, str | None]:
    """An ODK geotrace (``lat lon alt acc;lat lon alt acc;...``) as WKT (lon lat order).

    Returns (wkt, problem): blank -> (None, None).
    """
    s = text(value)
    if s is None:
        return None, None
    pts: list[str] = []
    for k, part in enumerate(p for p in s.split(";") if p.strip()):
        m = _GPS_POINT.match(part)
        lat = number(m.group(1)) if m else None
        lon = number(m.group(2)) if m else None
        if m is None or lat is None or lon is None:
            shown = part.strip()[:40]
            return None, (f"jejak GPS (geotrace) tidak terbaca di titik ke-{k + 1}: '{shown}'; "
                          "diharapkan 'lintang bujur ketinggian akurasi' dipisah ';'")
        pts.append(f"{lon!r} {lat!r}")
    if len(pts) < 2:
        return None, "jejak GPS (geotrace) perlu minimal 2 titik"
    return f"LINESTRING ({', '.join(pts)})", None


def from_collect_export(table: Table, form: Form | None) -> Table:
    """Rewrite an ODK Central / KoboToolbox export into the import's own columns.

    A table that is not an export (:func:`is_collect_export`) comes back unchanged.
    Otherwise: metadata columns are dropped; group paths are taken off; questions are
    found by name or by label (KoboToolbox "labels" exports); a split geopoint becomes
    the import's ``lintang``/``bujur`` (altitude and accuracy are dropped), an unsplit one
    its ``koordinat``; a geotrace becomes a WKT line; choice labels become choice names.
    Every new column keeps the export's header, so the import's errors name the file's
    own column, and its rows keep their line numbers. Without a ``form`` (gateways) only
    the metadata, the group paths and a split geopoint are handled.
    """
    if not is_collect_export(table):
        return table
    look = _Lookup.of(form) if form is not None else _Lookup({}, {}, {})
    frame = table.frame
    problems = list(table.problems)
    columns: dict[str, list[object]] = {}
    headers: dict[str, str] = {}
    point = _alias(imp.COORD_ALIASES)
    lat_name, lon_name = _alias(imp.LAT_ALIASES), _alias(imp.LON_ALIASES)
    gps: dict[str, tuple[str, str]] = {}  # column -> (question, latitude/longitude/...)
    for col, header in table.headers.items():
        if (g := _gps_part(str(header).strip())) is not None:
            gps[col] = (look.resolve(g[0]) or normalise_header(g[0], 0), g[1])
    split = ({q for q, p in gps.values() if p == "latitude"}
             & {q for q, p in gps.values() if p == "longitude"})
    # the question whose split columns are read: the form's point, else the first one
    split_point = (point if point in split else sorted(split)[0]) if split else None

    def put(name: str, header: str, values: list[object]) -> None:
        if name in columns:
            problems.append(Problem(table.file, f"kolom ganda (duplicate column) '{header}': "
                                    f"'{headers[name]}' sudah dibaca sebagai {name}; hanya "
                                    "yang pertama dipakai", field=header))
            return
        columns[name] = values
        headers[name] = header

    for col, header in table.headers.items():
        h = str(header).strip()
        values = frame[col].tolist()
        if col in gps and gps[col][0] in split:
            qname, part = gps[col]
            if qname == split_point and part in ("latitude", "longitude"):
                put(lat_name if part == "latitude" else lon_name, h, values)
            continue  # altitude, accuracy and other geopoints' parts
        if _is_meta(h):
            continue
        name = look.resolve(h)
        if name is None:
            put(normalise_header(_suffixes(h)[-1] if _suffixes(h) else h, 0), h, values)
            continue
        question = look.fields[name]
        if question.type == "geopoint":
            if split_point == name:
                continue  # its split columns are read instead
            put(name, h, [_geopoint_pair(v) for v in values])
        elif question.type == "geotrace":
            wkt: list[object] = []
            for i, v in enumerate(values):
                w, msg = _geotrace_wkt(v)
                if msg is not None:
                    problems.append(Problem(table.file, msg, int(table.lines[i]), h))
                wkt.append(w)
            put(name, h, wkt)
        elif name in look.choices:
            m = look.choices[name]
            put(name, h, [v if is_blank(v) else m.get(_choice_key(v), v) for v in values])
        else:
            put(name, h, values)

    out = pd.DataFrame(columns, dtype=object) if columns else pd.DataFrame(
        index=range(len(table)), dtype=object)
    out.index = frame.index
    return replace(table, frame=out, headers=headers, problems=problems)


def export_form(import_kind: str, ws: Workspace | None = None) -> Form | None:
    """The form whose exports an import of ``import_kind`` reads (None for gateways), with
    the choices of ``ws`` (road sections, kampung) when given, so labels map back."""
    kind = {v: k for k, v in FORM_KINDS.items()}.get(import_kind)
    if kind is None:
        return None
    roads, kampung = workspace_choices(ws, kind) if ws is not None else (None, None)
    return build_form(kind, roads=roads, kampung=kampung, version="0")


def workspace_choices(ws: Workspace, kind: str) -> tuple[pd.DataFrame | None,
                                                         pd.DataFrame | None]:
    """What form ``kind`` offers as choices from ``ws``: its ``roads`` layer (``jalan``)
    or its kampung as ``kode``/``nama`` (``umkm``); None where there is none."""
    if kind == "jalan" and ws.has("roads"):
        return ws.read_table("roads"), None
    if kind == "umkm" and ws.has("admin_areas"):
        admin = ws.read_table("admin_areas")
        kp = admin[admin["level"].astype(str) == "kampung"]
        return None, pd.DataFrame({"kode": kp["kode"].astype(str).str.strip(),
                                   "nama": kp["nama"].astype(str)})
    return None, None
