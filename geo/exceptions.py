"""Domain exceptions, all in one place.

Every error a user can cause derives from :class:`SiapError`; the CLI prints these as
plain messages (no traceback) and exits non-zero, and the API maps them to JSON errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from geo import fmt


class SiapError(Exception):
    """Base class for every error SIAP Wisata reports to a user."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one input file, located as precisely as we can.

    ``line`` follows spreadsheet convention: the header is line 1, so the first data
    row is line 2. It is ``None`` for problems that concern the whole file.
    """

    file: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", baris {self.line}"
        if self.field is not None:
            where += f", kolom '{self.field}'"
        return f"{where}: {self.message}"


# How many problems of one kind an error message shows; the rest are counted (and all of
# them go to the file of ``import --errors FILE.csv``). Enough to see the pattern, few
# enough that a file of 200,000 bad rows prints in a moment.
SHOWN_PER_KIND: Final = 5
# Quoted values and numbers vary from row to row; without them a message names its kind.
_VARYING = re.compile(r"'[^']*'|[-+]?\d[\d.,]*")


def count_id(n: int) -> str:
    """A count in Indonesian format: ``38950`` -> ``38.950``."""
    return fmt.integer(n)


def problem_kind(p: Problem, memo: dict[str, str] | None = None) -> tuple[str, str]:
    """The group a problem belongs to: its field and its message without the values.

    ``memo`` caches the stripped message: files with many problems repeat messages.
    """
    if memo is None:
        return (p.field or "", _VARYING.sub("…", p.message))
    kind = memo.get(p.message)
    if kind is None:
        kind = memo[p.message] = _VARYING.sub("…", p.message)
    return (p.field or "", kind)


class InputError(SiapError):
    """Bad input data. Carries *every* problem found, not just the first.

    The message shows the first :data:`SHOWN_PER_KIND` problems of each kind (field and
    message without its values) and counts the rest; :func:`geo.io.write_problems` writes
    them all.
    """

    def __init__(self, problems: Iterable[Problem], *, shown: int = SHOWN_PER_KIND):
        self.problems = list(problems)
        self.shown = shown
        super().__init__(self.render())

    def __reduce__(self) -> tuple[object, ...]:
        # pickled with its problems, not its message (a write's error crosses from the
        # writer's process: api.services.writes)
        return (_input_error, (type(self), self.problems, self.shown))

    def render(self) -> str:
        n = len(self.problems)
        head = f"{count_id(n)} masalah ditemukan pada input:"
        groups: dict[tuple[str, str], list[Problem]] = {}
        hidden: dict[tuple[str, str], int] = {}
        memo: dict[str, str] = {}
        for p in self.problems:  # one pass; only the shown problems are kept per kind
            key = problem_kind(p, memo)
            got = groups.setdefault(key, [])
            if len(got) < self.shown:
                got.append(p)
            else:
                hidden[key] = hidden.get(key, 0) + 1
        lines = [head]
        for key, shown in groups.items():
            lines.extend(f"  - {p}" for p in shown)
            if more := hidden.get(key, 0):
                what = f"kolom '{key[0]}'" if key[0] else "berkas"
                lines.append(f"    … dan {count_id(more)} masalah lain seperti ini ({what})")
        if hidden:
            lines.append("Daftar lengkap: tambahkan --errors FILE.csv pada siapwisata import")
        return "\n".join(lines)


def _input_error(cls: type[InputError], problems: list[Problem], shown: int) -> InputError:
    """Unpickle an :class:`InputError` (or a subclass)."""
    return cls(problems, shown=shown)


class WorkspaceError(SiapError):
    """The workspace is missing, unreadable, or lacks a layer that the step needs."""


class ConfigError(SiapError):
    """A configuration file is invalid; the message names the offending key."""


class NetworkError(SiapError):
    """The road/transport network cannot support the requested computation."""


class AuthError(SiapError):
    """Not logged in, a wrong password or token, or a missing CSRF token (HTTP 401)."""


class ScopeError(SiapError):
    """A write outside the acting agency's scope, or by a role that may not write (HTTP 403)."""


class StaleVersion(SiapError):
    """The workspace data changed since the preview a write was confirmed on (HTTP 409)."""


class WorkspaceLocked(WorkspaceError):
    """Another process kept the workspace's write lock longer than the lock timeout."""


# pydantic error type -> Indonesian text; ``{...}`` names come from the error's ``ctx``.
_VALIDATION_WORDS: dict[str, str] = {
    "missing": "wajib diisi",
    "int_parsing": "harus bilangan bulat",
    "int_type": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "float_parsing": "harus angka",
    "float_type": "harus angka",
    "finite_number": "harus angka terhingga",
    "bool_parsing": "harus true atau false",
    "bool_type": "harus true atau false",
    "string_type": "harus teks",
    "greater_than_equal": "harus >= {ge}",
    "greater_than": "harus > {gt}",
    "less_than_equal": "harus <= {le}",
    "less_than": "harus < {lt}",
    "string_too_long": "terlalu panjang: paling banyak {max_length} karakter",
    "string_too_short": "terlalu pendek: paling sedikit {min_length} karakter",
    "too_long": "terlalu banyak: paling banyak {max_length} butir",
    "too_short": "terlalu sedikit: paling sedikit {min_length} butir",
    "enum": "harus salah satu dari: {expected}",
    "literal_error": "harus salah satu dari: {expected}",
    "extra_forbidden": "kolom tidak dikenal",
    "json_invalid": "JSON tidak sah",
    "json_type": "JSON tidak sah",
    "dict_type": "harus objek JSON",
    "model_type": "harus objek JSON",
    "model_attributes_type": "harus objek JSON",
    "list_type": "harus daftar (array)",
    "string_pattern_mismatch": "bentuknya tidak sah",
    "date_parsing": "harus tanggal (YYYY-MM-DD)",
    "date_from_datetime_parsing": "harus tanggal atau waktu ISO 8601",
    "datetime_parsing": "harus waktu ISO 8601",
    "datetime_from_date_parsing": "harus tanggal atau waktu ISO 8601",
}


def _ctx_text(value: object) -> str:
    """A bound or choice list of a validation error as an Indonesian reader writes it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # as few decimals as the bound has: 0,5 not 0,50
        return fmt.integer(value) if float(value).is_integer() else \
            fmt.number(value, 6).rstrip("0").rstrip(",")
    return str(value).replace(" or ", " atau ")


def validation_text(error: Mapping[str, Any]) -> str:
    """An Indonesian message for one FastAPI/pydantic validation error.

    A ``value_error`` raised by our own validators already holds Indonesian text (pydantic
    prefixes "Value error, "); a type without a translation still says the value is invalid.
    """
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        msg = str(error.get("msg", ""))
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = _VALIDATION_WORDS.get(kind)
    if template is None:
        return "nilai tidak sah"
    ctx = {k: _ctx_text(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(":")[0]
