"""The workbook writer (geo.io.write_workbook) on arbitrary tables: every value comes back
as written (text as text, numbers as numbers), one number format per column, the print
setup on every sheet, and sheet names Excel accepts."""

from __future__ import annotations

import datetime as dt
import math
import string
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.io import Sheet, sheet_name, write_workbook

# text an officer (or an attacker) may type: formula starts, Indonesian letters, spaces
TEXT = st.text(alphabet=string.ascii_letters + string.digits + " =+-@&%'\"éñ,.;:()",
               min_size=1, max_size=30).filter(lambda s: s.strip() == s and s)
NUMBER = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(TEXT, min_size=1, max_size=12), data=st.data())
def test_values_come_back_as_written(tmp_path: Path, names: list[str], data: st.DataObject) -> None:
    n = len(names)
    counts = data.draw(st.lists(st.integers(-10**9, 10**9), min_size=n, max_size=n))
    amounts = data.draw(st.lists(NUMBER, min_size=n, max_size=n))
    flags = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    df = pd.DataFrame({"name": names, "count": counts, "amount": amounts, "ok": flags})
    path = tmp_path / "t.xlsx"
    write_workbook(path, [Sheet("Tabel", df, headers={"name": "Nama"},
                                number_formats={"amount": "#,##0.0"}, title="Uji")],
                   on=dt.date(2026, 1, 5))
    sheet = openpyxl.load_workbook(path)["Tabel"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == n
    for (name, count, amount, flag), row in zip(df.itertuples(index=False), rows, strict=True):
        assert row[0].value == name and row[0].data_type == "s"
        assert row[1].value == count and row[1].data_type == "n"
        assert math.isclose(row[2].value, amount, rel_tol=1e-12, abs_tol=1e-9)
        assert row[3].value == ("Ya" if flag else "Tidak")
    for j, fmt in enumerate(("@", "#,##0", "#,##0.0", "@")):
        assert {r[j].number_format for r in rows} == {fmt}
    assert sheet.oddHeader.right.text == "5 Januari 2026"
    assert sheet.page_setup.orientation == "landscape"


@given(text=st.text(min_size=0, max_size=60), taken=st.lists(st.text(max_size=40), max_size=5))
def test_sheet_names_are_valid_and_unused(text: str, taken: list[str]) -> None:
    name = sheet_name(text, taken)
    assert 1 <= len(name) <= 31
    assert not set(name) & set("[]:*?/\\")
    assert name.lower() not in {t.lower() for t in taken}
    assert not name.startswith("'") and not name.endswith("'")


def test_duplicate_sheet_names_are_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="duplicate sheet names"):
        write_workbook(tmp_path / "x.xlsx", [Sheet("A", df), Sheet("a", df)])
