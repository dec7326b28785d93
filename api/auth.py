"""Who is asking: sessions, API tokens, CSRF and the read rule (issue 12).

INTERFACE STUB: the names below are the contract the routers use; the auth work fills in
their bodies (login page, argon2 accounts in the workspace, signed HttpOnly SameSite
session cookies, CSRF on every form, rate-limited login, ``Authorization: Bearer`` tokens,
the read rule: open on 127.0.0.1 unless configured otherwise).

- ``CurrentUser``: the logged-in user, or None.
- ``WriterDep``: a logged-in editor or admin; for cookie sessions on unsafe methods the CSRF
  token (form field or ``X-CSRF-Token`` header, both named by :data:`CSRF_FIELD` /
  :data:`CSRF_HEADER`) is checked. Raises :class:`~geo.exceptions.AuthError` (401) or
  :class:`~geo.exceptions.ScopeError` (403, a viewer).
- ``AdminDep``: a logged-in admin.
- :func:`csrf_token`: the token a template puts in every form's hidden ``csrf_token`` field.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request

from geo.accounts import User
from geo.exceptions import AuthError, ScopeError

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"


async def current_user(request: Request) -> User | None:
    """The user of this request's session cookie or bearer token (stub: nobody)."""
    return None


async def require_writer(request: Request,
                         user: Annotated[User | None, Depends(current_user)]) -> User:
    """A logged-in editor or admin, with the CSRF token checked for cookie sessions."""
    if user is None:
        raise AuthError("Perlu masuk (login) untuk mengubah data.")
    if not user.can_write:
        raise ScopeError(f"Akun '{user.username}' hanya boleh membaca (peran viewer).")
    return user


async def require_admin(user: Annotated[User, Depends(require_writer)]) -> User:
    """A logged-in admin (Bappeda)."""
    if not user.is_admin:
        raise ScopeError(f"Hanya admin yang boleh melakukan ini; akun '{user.username}' "
                         f"berperan {user.role}.")
    return user


def csrf_token(request: Request) -> str:
    """The CSRF token of this request's session, for a form's hidden field (stub: empty)."""
    return ""


CurrentUser = Annotated[User | None, Depends(current_user)]
WriterDep = Annotated[User, Depends(require_writer)]
AdminDep = Annotated[User, Depends(require_admin)]
