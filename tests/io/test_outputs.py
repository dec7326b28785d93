"""The one atomic writer, the one output-path check and the one XLSX formatter (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.exceptions import SiapError
from geo.io import check_out_path, write_xlsx
from geo.io.workspace import atomic_write


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "hasil.csv"
    atomic_write(out, lambda p: p.write_text("a\n1\n", encoding="utf-8"))
    assert out.read_text(encoding="utf-8") == "a\n1\n"

    def broken(p: Path) -> None:
        p.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(out, broken)
    assert out.read_text(encoding="utf-8") == "a\n1\n"  # the old file stays
    assert sorted(x.name for x in out.parent.iterdir()) == ["hasil.csv"]  # no temporary left


def test_atomic_write_gives_the_writer_the_extension(tmp_path: Path) -> None:
    seen: list[str] = []
    atomic_write(tmp_path / "x.XLSX", lambda p: (seen.append(p.suffix), p.write_bytes(b""))[1])
    assert seen == [".xlsx"]  # writers that pick the format by extension still do


def test_check_out_path(tmp_path: Path) -> None:
    assert check_out_path(None, (".csv",)) is None
    assert check_out_path(tmp_path / "a.CSV", (".csv", ".xlsx")) == tmp_path / "a.CSV"
    with pytest.raises(SiapError, match=r"\.pdf.*\.csv, \.xlsx"):
        check_out_path(tmp_path / "a.pdf", (".csv", ".xlsx"))


def test_xlsx_formatter(tmp_path: Path) -> None:
    df = pd.DataFrame({"id": ["a", "b"], "name": ["=1+1", "Pantai"], "ok": [True, False],
                       "score": [12.345, 50.0]})
    asumsi = pd.DataFrame({"Bagian": ["x"], "Kunci": ["k"], "Nilai": ["1"],
                           "Keterangan": ["ASUMSI. catatan"]})
    path = tmp_path / "t.xlsx"
    write_xlsx(path, df, asumsi, sheet="Tabel", headers=["ID", "Nama", "Sesuai", "Skor"],
               number_formats={"score": "0.0"}, widths={"name": 40})
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tabel", "Asumsi"]
    ws = wb["Tabel"]
    assert [c.value for c in ws[1]] == ["ID", "Nama", "Sesuai", "Skor"]
    assert ws["B2"].value == "=1+1" and ws["B2"].data_type == "s"  # text, never a formula
    assert [ws["C2"].value, ws["C3"].value] == ["Ya", "Tidak"]
    assert ws["D2"].value == pytest.approx(12.345) and ws["D2"].number_format == "0.0"
    assert ws.column_dimensions["B"].width == 40
    assert ws.freeze_panes == "C2" and ws["A1"].font.bold
    assert wb["Asumsi"]["D2"].value == "ASUMSI. catatan"
    with pytest.raises(ValueError, match="3 headers for 4 columns"):
        write_xlsx(path, df, asumsi, sheet="Tabel", headers=["a", "b", "c"])
