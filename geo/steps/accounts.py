"""Agency accounts and API tokens, kept in the workspace (``siapwisata user ...``, issue 12).

Two non-spatial tables of the workspace GeoPackage hold them, so that the one file is the
whole state to back up and restore:

- ``users``: ``username``, ``agency``, ``role``, ``password_hash`` (argon2id, in the PHC
  string format ``$argon2id$v=19$m=...,t=...,p=...$salt$hash`` that argon2-cffi writes),
  ``created`` (ISO UTC), ``disabled``;
- ``api_tokens``: ``token_sha256`` (the token itself is printed once and never stored),
  ``username``, ``label``, ``created``, ``last_used`` (ISO UTC, the day it was last seen:
  the server records a use at most once a day, since every write rewrites the workspace
  and starts the server's page cache afresh).

Every change goes through :meth:`Workspace.update` under the writers' lock, like the data
layers: a failed change leaves the file as it was. The agencies an account may belong to
come from the readiness configuration (its dimension keys and its ``[admin]`` agency):
configuration is data, the caller passes them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geo.accounts import ROLES, Role, User
from geo.exceptions import InputError, Problem
from geo.io.workspace import Workspace, utc_now, writes_workspace

USERS: Final = "users"
TOKENS: Final = "api_tokens"
USER_COLUMNS: Final = ("username", "agency", "role", "password_hash", "created", "disabled")
TOKEN_COLUMNS: Final = ("token_sha256", "username", "label", "created", "last_used")

MIN_PASSWORD: Final = 10
"""Shortest password accepted: long enough against guessing through the rate-limited
login, short enough to type (NIST SP 800-63B asks for at least 8)."""
MAX_PASSWORD: Final = 256
TOKEN_PREFIX: Final = "siap_"
"""API tokens start with this, so a leaked one is recognisable in logs and scanners."""
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")

# argon2id with argon2-cffi's defaults (RFC 9106's second recommended option: t=3,
# 64 MiB, p=4): about 50-100 ms per check on the office server, which the login's rate
# limit multiplies into years for a guessing attacker.
_HASHER = PasswordHasher()
# Checked against when the username is unknown, so that a wrong name costs the same time
# as a wrong password (no account enumeration by timing).
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    """One row of ``users``."""

    username: str
    agency: str
    role: Role
    password_hash: str
    created: str
    disabled: bool

    @property
    def user(self) -> User:
        return User(self.username, self.agency, self.role)

    @property
    def stamp(self) -> str:
        """Changes whenever the password does: a session remembers it, so changing a
        password ends the sessions opened with the old one."""
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Token:
    """One row of ``api_tokens``."""

    token_sha256: str
    username: str
    label: str
    created: str
    last_used: str | None


@dataclass(frozen=True)
class Accounts:
    """The accounts and tokens of one workspace version (read once, looked up often)."""

    users: dict[str, Account]
    tokens: dict[str, Token]

    def active(self, username: str) -> Account | None:
        """The enabled account of ``username`` (None if unknown or disabled)."""
        account = self.users.get(username)
        return account if account is not None and not account.disabled else None

    def for_token(self, token: str) -> tuple[User, Token] | None:
        """The enabled user owning an API token, and its row; None for any other."""
        row = self.tokens.get(token_sha256(token))
        if row is None:
            return None
        account = self.active(row.username)
        return (account.user, row) if account is not None else None

    def verify(self, username: str, password: str) -> User | None:
        """The user if ``password`` is theirs and the account is enabled, else None.

        Takes the same time whether or not the name exists (a dummy hash is checked)."""
        account = self.users.get(normalise_username(username))
        encoded = account.password_hash if account is not None else _DUMMY_HASH
        ok: bool
        try:
            ok = _HASHER.verify(encoded, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or account is None or account.disabled:
            return None
        return account.user


def normalise_username(name: str) -> str:
    return name.strip().lower()


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """The argon2id hash of a password (PHC string with its own random salt)."""
    return _HASHER.hash(password)


def generate_password() -> str:
    """A random password of 20 URL-safe characters (120 bits), for ``--generate``."""
    return secrets.token_urlsafe(15)


def read_accounts(ws: Workspace) -> Accounts:
    """The ``users`` and ``api_tokens`` tables of a workspace (empty when it has none)."""
    users = _table(ws, USERS, USER_COLUMNS)
    tokens = _table(ws, TOKENS, TOKEN_COLUMNS)
    accounts = {
        str(r.username): Account(str(r.username), str(r.agency), _role(r.role),
                                 str(r.password_hash), str(r.created), bool(r.disabled))
        for r in users.itertuples(index=False)  # tens of accounts
    }
    rows = {
        str(r.token_sha256): Token(str(r.token_sha256), str(r.username), str(r.label or ""),
                                   str(r.created), _text(r.last_used))
        for r in tokens.itertuples(index=False)
    }
    return Accounts(accounts, rows)


def list_users(ws: Workspace) -> pd.DataFrame:
    """Accounts without their hashes: ``username``, ``agency``, ``role``, ``created``,
    ``disabled``, ``tokens`` (count) and ``token_last_used`` (latest use of any token)."""
    accounts = read_accounts(ws)
    rows = []
    for a in sorted(accounts.users.values(), key=lambda a: (a.agency, a.username)):
        mine = [t for t in accounts.tokens.values() if t.username == a.username]
        used = [t.last_used for t in mine if t.last_used]
        rows.append({"username": a.username, "agency": a.agency, "role": a.role,
                     "created": a.created, "disabled": a.disabled, "tokens": len(mine),
                     "token_last_used": max(used) if used else None})
    return pd.DataFrame(rows, columns=["username", "agency", "role", "created", "disabled",
                                       "tokens", "token_last_used"])


def verify_password(ws: Workspace, username: str, password: str) -> User | None:
    """The user whose password this is (enabled accounts only), else None."""
    return read_accounts(ws).verify(username, password)


def user_for_token(ws: Workspace, token: str) -> User | None:
    """The enabled user owning an API token, else None."""
    found = read_accounts(ws).for_token(token)
    return found[0] if found is not None else None


@writes_workspace
def add_user(ws: Workspace, username: str, agency: str, role: str, password: str, *,
             admin_agency: str, agencies: Sequence[str]) -> User:
    """Create an account.

    Parameters
    ----------
    ws
        The workspace (must exist).
    username
        3-32 characters: lower-case letters, digits, ``.``, ``_``, ``-`` (case is folded).
    agency
        One of ``agencies`` (the dimension keys of the readiness configuration and the
        admin agency).
    role
        ``viewer``, ``editor`` or ``admin``; ``admin`` only for ``admin_agency``.
    password
        At least :data:`MIN_PASSWORD` characters; stored only as its argon2id hash.

    Raises
    ------
    InputError
        Every problem with the values, named by field (nothing is written).
    """
    ws.require()
    name = normalise_username(username)
    problems = _check_user(name, agency, role, admin_agency, agencies)
    problems += _check_password(name, password)
    accounts = read_accounts(ws)
    if name in accounts.users:
        problems.append(_problem("username", f"akun '{name}' sudah ada; "
                                             "ubah kata sandinya dengan 'siapwisata user "
                                             "passwd'"))
    if problems:
        raise InputError(problems)
    row = Account(name, agency, _role(role), hash_password(password), utc_now(), False)
    _write_users(ws, [*accounts.users.values(), row])
    return row.user


@writes_workspace
def set_password(ws: Workspace, username: str, password: str) -> None:
    """Replace an account's password (its open sessions end: :attr:`Account.stamp`)."""
    accounts = read_accounts(ws.require())
    account = _existing(accounts, username)
    problems = _check_password(account.username, password)
    if problems:
        raise InputError(problems)
    _write_users(ws, [_replace(a, password_hash=hash_password(password))
                      if a.username == account.username else a
                      for a in accounts.users.values()])


@writes_workspace
def disable_user(ws: Workspace, username: str, *, disabled: bool = True) -> None:
    """Disable (or, with ``disabled=False``, enable again) an account: a disabled account
    cannot log in, its sessions end and its API tokens stop working. The row stays, so
    the history still names who made each change."""
    accounts = read_accounts(ws.require())
    account = _existing(accounts, username)
    _write_users(ws, [_replace(a, disabled=disabled) if a.username == account.username else a
                      for a in accounts.users.values()])


@writes_workspace
def create_token(ws: Workspace, username: str, label: str = "") -> str:
    """A new API token for ``Authorization: Bearer``; returned once, only its sha256 kept.

    Raises
    ------
    InputError
        Unknown or disabled account.
    """
    accounts = read_accounts(ws.require())
    account = _existing(accounts, username)
    if account.disabled:
        raise InputError([_problem("username", f"akun '{account.username}' dinonaktifkan; "
                                               "aktifkan dulu")])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = Token(token_sha256(token), account.username, label.strip()[:100], utc_now(), None)
    _write_tokens(ws, [*accounts.tokens.values(), row])
    return token


@writes_workspace
def revoke_tokens(ws: Workspace, username: str, label: str | None = None) -> int:
    """Delete an account's API tokens (those with ``label``, or all); returns how many."""
    accounts = read_accounts(ws.require())
    account = _existing(accounts, username)
    keep = [t for t in accounts.tokens.values()
            if t.username != account.username or (label is not None and t.label != label)]
    gone = len(accounts.tokens) - len(keep)
    if gone:
        _write_tokens(ws, keep)
    return gone


@writes_workspace
def touch_token(ws: Workspace, sha256: str) -> None:
    """Record that a token was used now (the server calls it at most once a day each)."""
    accounts = read_accounts(ws.require())
    if sha256 not in accounts.tokens:
        return
    _write_tokens(ws, [Token(t.token_sha256, t.username, t.label, t.created, utc_now())
                       if hmac.compare_digest(t.token_sha256, sha256) else t
                       for t in accounts.tokens.values()])


# --- private steps -----------------------------------------------------------------


def _table(ws: Workspace, layer: str, columns: tuple[str, ...]) -> pd.DataFrame:
    df = ws.read_table(layer) if ws.exists else pd.DataFrame()
    for c in columns:
        if c not in df:
            df[c] = pd.Series(dtype=object)
    return df


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


def _role(value: object) -> Role:
    for role in ROLES:
        if value == role:
            return role
    return "viewer"  # a row edited by hand to an unknown role gets the weakest one


def _replace(a: Account, **changes: object) -> Account:
    values = {**a.__dict__, **changes}
    return Account(**values)


def _problem(field: str, message: str) -> Problem:
    return Problem(file="akun (account)", message=message, field=field)


def _existing(accounts: Accounts, username: str) -> Account:
    name = normalise_username(username)
    account = accounts.users.get(name)
    if account is None:
        known = ", ".join(sorted(accounts.users)) or "belum ada akun"
        raise InputError([_problem("username", f"akun '{name}' tidak ada; "
                                               f"akun yang ada: {known}")])
    return account


def _check_user(name: str, agency: str, role: str, admin_agency: str,
                agencies: Sequence[str]) -> list[Problem]:
    problems = []
    if not _USERNAME.match(name):
        problems.append(_problem("username", f"nama akun '{name[:40]}' tidak sah: 2-32 huruf "
                                             "kecil, angka, titik, garis bawah atau tanda "
                                             "hubung, diawali huruf atau angka"))
    if agency not in agencies:
        problems.append(_problem("agency", f"instansi '{agency[:40]}' tidak dikenal; pilih "
                                           f"salah satu: {', '.join(agencies)}"))
    if role not in ROLES:
        problems.append(_problem("role", f"peran '{role[:40]}' tidak dikenal; pilih salah "
                                         f"satu: {', '.join(ROLES)}"))
    elif role == "admin" and agency != admin_agency:
        problems.append(_problem("role", f"peran admin hanya untuk instansi '{admin_agency}' "
                                         f"(bukan '{agency[:40]}')"))
    return problems


def _check_password(name: str, password: str) -> list[Problem]:
    if len(password) < MIN_PASSWORD:
        return [_problem("password", f"kata sandi terlalu pendek: paling sedikit "
                                     f"{MIN_PASSWORD} karakter (gunakan --generate untuk "
                                     "membuat yang acak)")]
    if len(password) > MAX_PASSWORD:
        return [_problem("password", f"kata sandi terlalu panjang: paling banyak "
                                     f"{MAX_PASSWORD} karakter")]
    if password.strip().lower() == name:
        return [_problem("password", "kata sandi tidak boleh sama dengan nama akun")]
    return []


def _write_users(ws: Workspace, accounts: Sequence[Account]) -> None:
    df = pd.DataFrame([a.__dict__ for a in accounts], columns=list(USER_COLUMNS))
    df["disabled"] = df["disabled"].astype(bool)
    with ws.update() as staging:
        staging.write_table(USERS, df)


def _write_tokens(ws: Workspace, tokens: Sequence[Token]) -> None:
    df = pd.DataFrame([t.__dict__ for t in tokens], columns=list(TOKEN_COLUMNS))
    with ws.update() as staging:
        staging.write_table(TOKENS, df)
