"""Domain exceptions, all in one place.

Every error a user can cause derives from :class:`SiapError`; the CLI prints these as
plain messages (no traceback) and exits non-zero, and the API maps them to JSON errors.
"""

from __future__ import annotations

from dataclasses import dataclass


class SiapError(Exception):
    """Base class for every error SIAP Wisata reports to a user."""


@dataclass(frozen=True)
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


class InputError(SiapError):
    """Bad input data. Carries *every* problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{n} masalah ditemukan pada input (found {n} problem{'s' if n != 1 else ''}):"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class WorkspaceError(SiapError):
    """The workspace is missing, unreadable, or lacks a layer that the step needs."""


class ConfigError(SiapError):
    """A configuration file is invalid; the message names the offending key."""


class NetworkError(SiapError):
    """The road/transport network cannot support the requested computation."""
