"""Who may change what: the ownership each agency declares in readiness.toml (issue 12).

Each ``[dimensions.<key>.owns]`` table names the layers an agency keeps (add, move, delete
rows; edit every column another agency does not own by name) and the columns it keeps in
other agencies' layers. :func:`check_scope` is the one gate every write goes through (the
browser, the API and the steps); it raises :class:`~geo.exceptions.ScopeError` (HTTP 403)
with a message naming the agency, the layer and the columns outside its scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from geo.accounts import User
from geo.exceptions import ScopeError
from geo.readiness.config import ReadinessConfig

BOOKKEEPING: Final = frozenset({"provenance", "location_precision", "surface_class"})
"""Columns an import writes beside a value to say where it came from (and ``<column>_source``):
they follow the value they describe, so they need no owner of their own."""


def bookkeeping(column: str) -> bool:
    """Whether ``column`` only records where another value came from (see :data:`BOOKKEEPING`)."""
    return column in BOOKKEEPING or column.endswith("_source")


def layer_owner(config: ReadinessConfig, layer: str) -> str | None:
    """The dimension (agency) key that owns ``layer``'s rows, or None."""
    for key, dim in config.dimensions.items():
        if layer in dim.owns.layers:
            return key
    return None


def column_owner(config: ReadinessConfig, layer: str, column: str) -> str | None:
    """The agency that may edit ``layer.column``: the one naming the column, else the layer's
    owner; None when nobody may."""
    name = f"{layer}.{column}"
    for key, dim in config.dimensions.items():
        if name in dim.owns.columns:
            return key
    return layer_owner(config, layer)


def editable_columns(config: ReadinessConfig, agency: str, layer: str,
                     columns: Iterable[str]) -> list[str]:
    """The subset of ``columns`` of ``layer`` that ``agency`` may edit (forms show these)."""
    return [c for c in columns
            if bookkeeping(c) or column_owner(config, layer, c) == agency]


def _agency_name(config: ReadinessConfig, agency: str) -> str:
    dim = config.dimensions.get(agency)
    return f"{dim.agency} ({agency})" if dim is not None else f"'{agency}'"


def check_scope(config: ReadinessConfig, user: User, layer: str, columns: Iterable[str], *,
                adds_rows: bool = False) -> None:
    """Refuse a write outside ``user``'s agency scope.

    Parameters
    ----------
    config
        The readiness configuration naming what each agency owns.
    user
        The acting account; it must be able to write (editor or admin).
    layer
        The layer written.
    columns
        The columns whose values the write changes (bookkeeping columns are ignored).
    adds_rows
        The write adds, moves or deletes rows (needs the layer itself).

    Raises
    ------
    ScopeError
        A viewer writing, rows of a layer the agency does not own, or columns it does not
        own; the message (Bahasa Indonesia) names the agency, the layer and the columns.
    """
    who = _agency_name(config, user.agency)
    if not user.can_write:
        raise ScopeError(f"akun '{user.username}' ({who}) berperan '{user.role}': hanya boleh "
                         "membaca, tidak boleh mengubah data")
    if user.agency not in config.dimensions:
        raise ScopeError(f"{who} tidak memegang layer data mana pun; layer '{layer}' diubah "
                         "oleh dinas pemiliknya")
    owner = layer_owner(config, layer)
    if adds_rows and owner != user.agency:
        held = f"dipegang {_agency_name(config, owner)}" if owner else "tidak dipegang dinas mana pun"
        raise ScopeError(f"{who} tidak boleh menambah, memindah atau menghapus baris layer "
                         f"'{layer}' ({held})")
    outside = sorted({c for c in columns
                      if not bookkeeping(c) and column_owner(config, layer, c) != user.agency})
    if outside:
        owners = sorted({o for c in outside if (o := column_owner(config, layer, c))})
        held = (f"; kolom itu dipegang {', '.join(_agency_name(config, o) for o in owners)}"
                if owners else "")
        raise ScopeError(f"{who} tidak boleh mengubah kolom {', '.join(outside)} pada layer "
                         f"'{layer}'{held}")
