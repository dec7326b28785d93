"""Error messages a user reads are Bahasa Indonesia only (issue 14.3): no "(english)" half,
pydantic's validation errors reworded, numbers in Indonesian format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from geo import schema
from geo.exceptions import ConfigError, InputError, Problem, validation_text
from geo.readiness import load_readiness_config

# The bilingual pattern of before: an Indonesian phrase followed by its English in brackets.
BILINGUAL = re.compile(r"\((?:[^()]*\b(?:unknown|missing|invalid|not|no|must|wrote|found|"
                       r"expected|the|of)\b[^()]*)\)")


class _Form(BaseModel):
    tahun: int = Field(ge=2000, le=2100)
    nama: str = Field(max_length=5)
    bobot: float = Field(ge=0.5)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"tahun": "dua ribu", "nama": "a", "bobot": 1}, "tahun", "harus bilangan bulat"),
    ({"tahun": 1999, "nama": "a", "bobot": 1}, "tahun", "harus >= 2.000"),
    ({"tahun": 2026, "nama": "panjang sekali", "bobot": 1}, "nama",
     "terlalu panjang: paling banyak 5 karakter"),
    ({"tahun": 2026, "nama": "a", "bobot": 0.25}, "bobot", "harus >= 0,5"),
    ({"nama": "a", "bobot": 1}, "tahun", "wajib diisi"),
])
def test_validation_errors_read_as_indonesian(data: dict, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        _Form.model_validate(data)
    got = {str(e["loc"][0]): validation_text(e) for e in err.value.errors()}
    assert got[field] == message


def test_many_problems_have_an_indonesian_head_and_tail() -> None:
    problems = [Problem("a.csv", f"'x{i}' bukan angka", line=i + 2, field="lintang")
                for i in range(1200)]
    text = str(InputError(problems))
    assert text.startswith("1.200 masalah ditemukan pada input:")
    assert "… dan 1.195 masalah lain seperti ini (kolom 'lintang')" in text
    assert text.endswith("Daftar lengkap: tambahkan --errors FILE.csv pada siapwisata import")
    assert "found" not in text and "more like this" not in text


def test_out_of_range_names_the_plausible_range_in_indonesian_numbers() -> None:
    msg = schema.out_of_range("pengunjung_tahun", 123456789.5)
    assert msg is not None
    assert msg == ("123.456.789,50 di luar rentang wajar (wajar: 0 - 100.000.000 pengunjung "
                   "per tahun)")
    assert "out of range" not in msg and "plausible" not in msg


def test_a_bad_config_file_is_explained_in_indonesian(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text("[classes]\nberkembang = 40\nmaju = 30\nmandiri = 80\n"
                   "[dimensions.pu]\nagency = 'PU'\nweight = 'berat'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_readiness_config(bad)
    text = str(err.value)
    assert "konfigurasi tidak sah" in text
    assert "kunci 'classes.maju': harus lebih besar dari 'berkembang'" in text
    assert "kunci 'dimensions.pu.weight': harus angka" in text
    assert "Value error" not in text and "Input should" not in text
    assert BILINGUAL.search(text) is None, text
