"""The change history (``/riwayat``, ``/api/changes``): read-only views of the append-only
``versions`` and ``changes`` tables :mod:`geo.steps.contribute` writes (issue 12).

Nothing here writes the history: a rollback is a new version made by the contribution
step (:func:`api.services.contribute.rollback`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from geo.accounts import User
from geo.labels import KINDS
from geo.readiness import agency_names

from .._util import json_value
from ..deps import WorkspaceStore
from ..errors import BadParameter
from . import forms

DEFAULT_LIMIT = 500
MAX_LIMIT = 10000

CHANGE_COLUMNS = ("version", "at", "username", "agency", "kind", "summary", "source_file",
                  "source_sha256", "layer", "feature_id", "field", "old", "new")
VERSION_COLUMNS = ("version", "at", "username", "agency", "kind", "summary", "source_file",
                   "source_sha256")


def _since(since: str | None) -> str | None:
    """A ``since`` filter as an ISO date or date-time (UTC), checked."""
    if since is None or not since.strip():
        return None
    text = since.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        raise BadParameter("query.since", f"'{text[:40]}' bukan tanggal ISO (YYYY-MM-DD atau "
                                          "YYYY-MM-DDTHH:MM:SS)") from None


def _value(v: Any) -> Any:
    """A stored old/new value: JSON text decoded to its value."""
    v = json_value(v)
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _records(table: Any, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    if table is None or len(table) == 0:
        return []
    out = []
    for r in table.to_dict("records"):
        row = {c: json_value(r.get(c)) for c in columns}
        if "old" in row:
            row["old"], row["new"] = _value(r.get("old")), _value(r.get("new"))
        if row.get("version") is not None:
            row["version"] = int(row["version"])
        out.append(row)
    return out


def changes(store: WorkspaceStore, agency: str | None, since: str | None,
            limit: int | None) -> list[dict[str, Any]]:
    """The recorded changes, newest first: who, which agency, when, what (old → new)."""
    from geo.steps.contribute import history

    table = history(store.ws, agency=agency or None, since=_since(since),
                    limit=limit or DEFAULT_LIMIT)
    return _records(table, CHANGE_COLUMNS)


def version_rows(store: WorkspaceStore, agency: str | None, since: str | None,
                 limit: int | None) -> list[dict[str, Any]]:
    """The versions, newest first, filtered like :func:`changes`."""
    from geo.steps.contribute import versions

    table = versions(store.ws)
    if table is None or len(table) == 0:
        return []
    if agency:
        table = table[table["agency"].astype(str) == agency]
    cut = _since(since)
    if cut:
        table = table[table["at"].astype(str) >= cut]
    table = table.sort_values("version", ascending=False).head(limit or DEFAULT_LIMIT)
    return _records(table, VERSION_COLUMNS)


def agencies(store: WorkspaceStore) -> list[str]:
    """Dimension agencies of the configuration served, and the admin agency."""
    keys = list(store.dimensions())
    config = store.readiness_config()
    admin = getattr(getattr(config, "admin", None), "agency", None) or "bappeda"
    return [*keys, admin] if admin not in keys else keys


def history_page(store: WorkspaceStore, user: User | None, csrf_token: str, *,
                 agency: str | None, since: str | None, limit: int | None,
                 message: str | None = None, error: str | None = None) -> str:
    """``GET /riwayat``."""
    return forms.render(
        "riwayat.html", title="Riwayat perubahan", store=store, user=user,
        csrf_token=csrf_token, message=message, error=error,
        agencies=agencies(store), agency=agency, since=since, limit=limit or DEFAULT_LIMIT,
        # keys and layer codes are what the history stores; the page says them in words
        agency_names=agency_names(store.dimensions()),
        layer_words=KINDS["layer"], change_words=KINDS["change"],
        versions=version_rows(store, agency, since, limit),
        changes=changes(store, agency, since, limit),
        can_rollback=bool(user and user.is_admin))
