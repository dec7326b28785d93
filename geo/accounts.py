"""Who is acting: the agency accounts of issue 12 (``siapwisata user add``).

Only the value types live here, at the configuration layer, so that every stage (the
contribution steps, the history, the API) can name the actor of a change without importing
the web layer. Accounts are stored in the workspace by :mod:`geo.steps.accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Role = Literal["viewer", "editor", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "editor", "admin")
"""Roles, weakest first: a viewer reads, an editor writes its agency's data, an admin
(Bappeda) also manages accounts, configuration and rollbacks."""


@dataclass(frozen=True, slots=True)
class User:
    """An authenticated account.

    ``agency`` is a dimension key of readiness.toml (``pu``, ``kominfo``, ...) or the
    admin agency that configuration names (``bappeda``).
    """

    username: str
    agency: str
    role: Role

    @property
    def can_write(self) -> bool:
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
