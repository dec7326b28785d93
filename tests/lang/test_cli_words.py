"""The ``siapwisata`` command line speaks Bahasa Indonesia (issue 14.3): every command's
help, Typer's own words, usage errors, and the budget option that reads "20 miliar"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from geo import cli
from geo.exceptions import InputError

# English words that would betray an untranslated text in help output. Command names,
# option names and choice values (--workspace, road-conditions, all) are the CLI's
# contract and stay; they are masked below before the check.
ENGLISH = re.compile(
    r"\b(Usage|Options|Arguments|Commands|Show this message|exit|default|required|env var|"
    r"the|and|or|of|to|with|for|from|is|are|this|that|wrote|written|invalid|missing|"
    r"unknown|file|Budget|Region|Write|Also|Also write|Try|Error|Aborted)\b")
_CONTRACT = re.compile(r"--?[a-z][a-z-]*|<[^>]*>|\{[^}]*\}|'[^']*'|siapwisata[ \w-]*|"
                       r"SIAPWISATA_\w+|\w+\.toml|\.\w+")


def _commands(command: Any, path: list[str]) -> Iterator[list[str]]:
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, [*path, name])


COMMANDS = list(_commands(typer.main.get_command(cli.app), []))


def _flat(text: str) -> str:
    """Rich's panels as one line of words (wrapped help texts joined again)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _english(text: str) -> list[str]:
    return sorted(set(ENGLISH.findall(_CONTRACT.sub(" ", text))))


def test_every_command_is_walked() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert {"", "init", "import", "score", "priorities", "serve", "user", "user add"} <= names
    assert len(COMMANDS) >= 16


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "siapwisata")
def test_help_is_indonesian(path: list[str]) -> None:
    res = CliRunner().invoke(cli.app, [*path, "--help"], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    flat = _flat(res.output)
    assert "Penggunaan:" in flat and "Tampilkan pesan ini lalu keluar." in flat
    assert "Opsi" in flat
    assert _english(flat) == [], res.output


@pytest.mark.parametrize(("args", "needle"), [
    (["priorities"], "Opsi '--workspace' / '-w' wajib diisi."),
    (["priorities", "-w", "x.gpkg", "--authority", "x"], "bukan salah satu dari"),
    (["serve", "-w", "x.gpkg", "--port", "delapan"], "harus bilangan bulat"),
    (["score", "-w", "x.gpkg", "--tidak-ada"], "Opsi tidak dikenal: --tidak-ada"),
    (["bukan-perintah"], "Perintah 'bukan-perintah' tidak ada."),
])
def test_usage_errors_are_indonesian(args: list[str], needle: str) -> None:
    res = CliRunner().invoke(cli.app, args, env={"COLUMNS": "160"})
    assert res.exit_code == 2
    flat = _flat(res.output)
    assert needle in flat, res.output
    assert "Coba '" in flat and "untuk bantuan" in flat
    assert _english(flat) == [], res.output


@pytest.mark.parametrize(("text", "rupiah"), [
    ("20 miliar", 20e9), ("20 M", 20e9), ("20.000.000.000", 20e9),
    ("Rp 20.000.000.000", 20e9), ("1,5 triliun", 1.5e12), ("750 jt", 750e6),
])
def test_budget_option_reads_what_officers_type(text: str, rupiah: float) -> None:
    assert cli._budget(text) == rupiah


def test_a_budget_that_is_no_amount_names_the_option_in_indonesian(tmp_path: Any) -> None:
    res = CliRunner().invoke(cli.app, ["priorities", "-w", str(tmp_path / "ws.gpkg"),
                                       "--budget", "dua puluh kambing"])
    assert isinstance(res.exception, InputError)
    message = str(res.exception)
    assert "--budget: anggaran 'dua puluh kambing' tidak terbaca sebagai nilai rupiah" in message
    assert message.startswith("1 masalah ditemukan pada input:")
    assert _english(message.replace("contoh: 20 miliar, 20 M", "")) == []
    assert not (tmp_path / "ws.gpkg").exists()
