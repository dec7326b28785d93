"""Who is asking, behind :mod:`api.auth`: the signing key, server-side sessions, the login
rate limit and the accounts of the served workspace.

- The key signs the session cookie (itsdangerous) and derives the CSRF tokens (HMAC). It
  comes from ``SIAPWISATA_SECRET_KEY`` or a random key in ``.NAME.secret`` beside the
  workspace (mode 0600), made on first use, so logins survive a restart of the server.
- A session is a row in ``.NAME.sessions.sqlite`` beside the workspace (mode 0600): the
  sha256 of its random id, the account, the account's password stamp and the expiry. The
  cookie holds only the signed id. Logout deletes the row, so a copied cookie dies with
  it; a password change or a disabled account ends every session of that account. The
  file is not the workspace: a login must not rewrite the GeoPackage (each rewrite starts
  the page cache afresh), and sessions are not data worth backing up.
- Failed logins are counted per client address and account name, and per address alone
  (against trying many names), in a sliding window; beyond the limit the login answers
  429 with ``Retry-After`` without checking the password.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import os
import secrets
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer

from geo.accounts import User
from geo.exceptions import AuthError, SiapError
from geo.io.workspace import Workspace
from geo.settings import get_settings
from geo.steps.accounts import Accounts, read_accounts, touch_token

if TYPE_CHECKING:
    from ..deps import WorkspaceStore

SESSION_COOKIE: Final = "siapwisata_sesi"
LOGIN_COOKIE: Final = "siapwisata_masuk"
"""Short-lived cookie of the login form: the nonce its CSRF token is bound to."""
LOGIN_FORM_SECONDS: Final = 3600
MAX_FAILURES: Final = 5
"""Failed logins of one account name from one address within :data:`FAILURE_WINDOW`."""
MAX_FAILURES_PER_ADDRESS: Final = 20
"""Failed logins from one address, whatever the names (stops trying many accounts)."""
FAILURE_WINDOW: Final = 300.0
TOKEN_TOUCH_SECONDS: Final = 24 * 3600.0
"""A token's ``last_used`` is written at most this often: every write rewrites the
workspace and starts the page cache afresh."""

Via = Literal["cookie", "token"]


@dataclass(frozen=True)
class Auth:
    """How a request authenticated: its user, through what, and its session id."""

    user: User | None = None
    via: Via | None = None
    sid: str | None = None


ANONYMOUS: Final = Auth()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings from a request (bytes: ``compare_digest``
    raises on non-ASCII text, which a client may send)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"),
                               b.encode("utf-8", "surrogatepass"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (or tighten it if it exists)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def secret_path(workspace: Path) -> Path:
    return workspace.with_name(f".{workspace.name}.secret")


def sessions_path(workspace: Path) -> Path:
    return workspace.with_name(f".{workspace.name}.sessions.sqlite")


def load_secret(workspace: Path) -> bytes:
    """The signing key: the setting ``secret_key``, else the key file beside the workspace
    (64 random hex characters, made once, mode 0600)."""
    configured = get_settings().secret_key
    if configured is not None:
        return configured.get_secret_value().encode("utf-8")
    path = secret_path(workspace)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it this instant
            key = path.read_text(encoding="ascii").strip()
            if key:
                if path.stat().st_mode & 0o077:
                    os.chmod(path, 0o600)
                return key.encode("ascii")
            time.sleep(0.02)
        raise SiapError(f"{path}: berkas kunci kosong; hapus dan jalankan ulang server") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key.encode("ascii")


class Sessions:
    """Server-side sessions in a small SQLite file (one row per login)."""

    def __init__(self, path: Path):
        self.path = path
        self._ready = False
        self._lock = threading.Lock()
        # Live sessions already looked up: one server process owns the file, so this
        # stays in step with it, and a cached page is not held up by opening SQLite
        # (about 1 ms) on the event loop.
        self._known: dict[str, tuple[str, str, float]] = {}

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                _private_file(self.path)
        con = sqlite3.connect(self.path, timeout=10)
        try:
            if not self._ready:
                con.execute("CREATE TABLE IF NOT EXISTS sessions (sid_sha256 TEXT PRIMARY KEY,"
                            " username TEXT NOT NULL, stamp TEXT NOT NULL,"
                            " created REAL NOT NULL, expires REAL NOT NULL)")
                self._ready = True
            with con:
                yield con
        finally:
            con.close()

    def open(self, username: str, stamp: str, seconds: float) -> str:
        """A new session id (random, 256 bits); expired rows are deleted on the way."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as con:
            con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                        (_sha(sid), username, stamp, now, now + seconds))
        self._remember(_sha(sid), (username, stamp, now + seconds))
        return sid

    def _remember(self, key: str, value: tuple[str, str, float]) -> None:
        with self._lock:
            if len(self._known) >= 10_000:
                self._known.clear()
            self._known[key] = value

    def get(self, sid: str) -> tuple[str, str] | None:
        """The account and password stamp of a live session, else None."""
        key = _sha(sid)
        now = time.time()
        known = self._known.get(key)
        if known is not None and known[2] >= now:
            return known[0], known[1]
        if not self.path.exists():
            return None
        with self._db() as con:
            row = con.execute("SELECT username, stamp, expires FROM sessions WHERE "
                              "sid_sha256 = ? AND expires >= ?", (key, now)).fetchone()
        if not row:
            return None
        self._remember(key, (str(row[0]), str(row[1]), float(row[2])))
        return str(row[0]), str(row[1])

    def close(self, sid: str) -> None:
        with self._lock:
            self._known.pop(_sha(sid), None)
        if self.path.exists():
            with self._db() as con:
                con.execute("DELETE FROM sessions WHERE sid_sha256 = ?", (_sha(sid),))


class LoginLimiter:
    """Sliding-window count of failed logins (in memory: a restart forgives)."""

    def __init__(self, *, per_name: int = MAX_FAILURES,
                 per_address: int = MAX_FAILURES_PER_ADDRESS, window: float = FAILURE_WINDOW):
        self.per_name = per_name
        self.per_address = per_address
        self.window = window
        self._fails: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, address: str, username: str) -> list[tuple[tuple[str, ...], int]]:
        return [(("name", address, username.strip().lower()), self.per_name),
                (("address", address), self.per_address)]

    def retry_after(self, address: str, username: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(address, username):
                times = self._fails.get(key)
                if times is None:
                    continue
                while times and times[0] <= now - self.window:
                    times.popleft()
                if len(times) >= limit:
                    wait = max(wait, times[len(times) - limit] + self.window - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, _ in self._keys(address, username):
                self._fails.setdefault(key, deque()).append(now)
            if len(self._fails) > 10_000:  # bound memory against address floods
                stale = [k for k, v in self._fails.items() if not v or v[-1] <= now - self.window]
                for k in stale:
                    del self._fails[k]

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._fails.pop(self._keys(address, username)[0][0], None)


class AuthState:
    """The authentication state of one app: key, sessions, limiter, read rule.

    Parameters
    ----------
    store
        The served workspace's store (accounts are read per workspace version from it).
    login_to_read
        Whether reading needs a login (the server listens beyond 127.0.0.1 without
        ``--public-read``).
    """

    def __init__(self, store: WorkspaceStore, *, login_to_read: bool):
        self.store = store
        self.login_to_read = login_to_read
        self.sessions = Sessions(sessions_path(store.path))
        self.limiter = LoginLimiter()
        self.session_seconds = get_settings().session_hours * 3600.0
        self._secret: bytes | None = None
        self._lock = threading.Lock()
        self._touched: dict[str, float] = {}

    @property
    def secret(self) -> bytes:
        """The signing key, loaded (or made) on first use: a server nobody logs into
        writes nothing beside the workspace."""
        with self._lock:
            if self._secret is None:
                self._secret = load_secret(self.store.path)
            return self._secret

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="siapwisata-sesi")

    def mac(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of ``value`` for one purpose (CSRF tokens)."""
        return hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def accounts(self) -> Accounts:
        """The served workspace's accounts, read once per workspace version."""
        try:
            return self.store.cached(("accounts",), lambda: read_accounts(self.store.ws))
        except SiapError:  # no workspace (yet): nobody can log in
            return Accounts({}, {})

    # --- sessions ------------------------------------------------------------------

    def login(self, user: User) -> str:
        """Open a session for ``user``; the signed cookie value."""
        account = self.accounts().active(user.username)
        if account is None:
            raise AuthError(f"akun '{user.username}' tidak aktif")
        sid = self.sessions.open(user.username, account.stamp, self.session_seconds)
        return self._serializer().dumps({"sid": sid})

    def logout(self, sid: str) -> None:
        self.sessions.close(sid)

    def _session_sid(self, cookie: str) -> str | None:
        try:
            data = self._serializer().loads(cookie, max_age=int(self.session_seconds))
        except BadSignature:
            return None
        sid = data.get("sid") if isinstance(data, dict) else None
        return sid if isinstance(sid, str) else None

    def authenticate(self, authorization: str | None, cookie: str | None) -> Auth:
        """The user of a request's bearer token or session cookie.

        A bearer token wins over a cookie; a bearer token that is not valid is an error
        (a script should hear that its token is wrong, not get anonymous answers). A bad
        or expired cookie is simply no login.

        Raises
        ------
        AuthError
            Unknown, revoked token, or its account disabled.
        """
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            found = self.accounts().for_token(token)
            if found is None:
                raise AuthError("token API tidak sah, sudah dicabut, atau akunnya "
                                "dinonaktifkan")
            user, row = found
            self._touch(row.token_sha256, row.last_used)
            return Auth(user, "token")
        if not cookie:
            return ANONYMOUS
        sid = self._session_sid(cookie)
        if sid is None:
            return ANONYMOUS
        live = self.sessions.get(sid)
        if live is None:
            return ANONYMOUS
        account = self.accounts().active(live[0])
        if account is None or not hmac.compare_digest(account.stamp, live[1]):
            return ANONYMOUS  # disabled, or the password changed since this login
        return Auth(account.user, "cookie", sid)

    def csrf(self, sid: str) -> str:
        """The CSRF token of a session (derived, so nothing more is stored)."""
        return self.mac("csrf", sid)

    # --- token use -----------------------------------------------------------------

    def _touch(self, sha: str, last_used: str | None) -> None:
        """Record a token's use in the workspace, at most once a day, off the request."""
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(sha, -math.inf) < TOKEN_TOUCH_SECONDS:
                return
            self._touched[sha] = now
        if last_used is not None and _age_seconds(last_used) < TOKEN_TOUCH_SECONDS:
            return

        def run() -> None:
            # a writer that holds the workspace for long (a score run) wins: skip this one
            with contextlib.suppress(SiapError, OSError):
                touch_token(Workspace(self.store.path, lock_timeout=5.0, on_wait=_quiet), sha)

        threading.Thread(target=run, name="siapwisata-token-use", daemon=True).start()


def _quiet(message: str) -> None:
    return None


def _age_seconds(iso: str) -> float:
    from datetime import UTC, datetime

    try:
        then = datetime.fromisoformat(iso)
    except ValueError:
        return math.inf
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()
