"""The console's own database (SQLite via sqlite-utils): accounts, sessions, failed log-ins, the audit log.

Passwords are stored only as Argon2id hashes (argon2-cffi's defaults, the OWASP recommendation). Session
cookies hold a random token; the database keeps only its SHA-256, so a copy of the database cannot be used
to take over a session. The audit log is append-only (triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()   # Argon2id, RFC 9106 low-memory profile
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class Role(str, Enum):
    """staff: residents, alerts, profiles, facts; researcher: pseudonymised research data only; admin: all."""

    STAFF = "staff"
    RESEARCHER = "researcher"
    ADMIN = "admin"


class AccountError(ValueError):
    """An account cannot be made or changed as asked; the message says which field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    created_at: str
    disabled: bool

    def may(self, *roles: Role) -> bool:
        """Whether this user may use a page open to `roles` (none: every account; admins may use every page)."""
        return not self.disabled and (not roles or self.role is Role.ADMIN or self.role in roles)


@dataclass(frozen=True)
class Session:
    username: str
    csrf: str
    created_at: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    action: str
    target: str
    field: str
    before: str
    after: str


_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run `method` holding the store's lock: the server's threads share one connection."""
    @wraps(method)
    def locked(self: "ConsoleStore", *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return locked  # type: ignore[return-value]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise AccountError("username", "expected 2-32 characters: a lowercase letter first, then lowercase "
                           f"letters, digits, '.', '_' or '-'; got {username!r}")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"expected at least {MIN_PASSWORD_LENGTH} characters, got {len(password)}")
    return password


class ConsoleStore:
    """One connection to the console database; safe to share between the server's threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = Database(sqlite3.connect(self.path, check_same_thread=False, isolation_level=None))
            self._db.enable_wal()
            self._db.execute("PRAGMA busy_timeout=5000")
            self._create()
        except (OSError, sqlite3.Error) as error:
            raise OSError(f"{self.path}: cannot open the console database: {error}") from error

    def _create(self) -> None:
        db = self._db
        if "users" in db.table_names():
            return
        with db.atomic():
            db.create_table("users", {"username": str, "role": str, "password_hash": str, "created_at": str,
                                      "disabled": int}, pk="username", not_null={"role", "password_hash"})
            db.create_table("sessions", {"token_sha256": str, "username": str, "csrf": str, "created_at": str,
                                         "last_seen": str}, pk="token_sha256")
            db.create_table("login_failures", {"id": int, "at": str, "username": str, "client": str}, pk="id")
            db.create_table("audit", {"id": int, "at": str, "actor": str, "action": str, "target": str,
                                      "field": str, "before": str, "after": str}, pk="id", not_null={"at", "actor"})
            for verb in ("UPDATE", "DELETE"):
                db.execute(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")

    # ------------------------------------------------------------------------------------------ accounts

    @_locked
    def add_user(self, username: str, role: Role, password: str, at: dt.datetime) -> User:
        check_username(username)
        check_password(password)
        if self.user(username) is not None:
            raise AccountError("username", f"{username!r} exists already")
        user = User(username, role, _iso(at), False)
        self._db.table("users").insert({"username": username, "role": role.value, "created_at": user.created_at,
                                        "password_hash": _HASHER.hash(password), "disabled": 0})
        return user

    @_locked
    def user(self, username: str) -> User | None:
        row = self._account_row(username)
        return self._user(row) if row else None

    @_locked
    def users(self) -> list[User]:
        return [self._user(row) for row in self._db.query("SELECT * FROM users ORDER BY username")]

    @staticmethod
    def _user(row: dict[str, object]) -> User:
        return User(str(row["username"]), Role(row["role"]), str(row["created_at"]), bool(row["disabled"]))

    @_locked
    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (or enable again) an account; disabling also ends its sessions."""
        self._db.execute("UPDATE users SET disabled = ? WHERE username = ?", [int(disabled), username])
        if disabled:
            self._db.execute("DELETE FROM sessions WHERE username = ?", [username])

    def verify(self, username: str, password: str) -> User | None:
        """The account if the password is right and it is enabled; takes as long for unknown names."""
        row = self._account_row(username)
        stored = str(row["password_hash"]) if row else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row["disabled"]:
            return None
        if _HASHER.check_needs_rehash(stored):
            self._rehash(username, _HASHER.hash(password))
        return self._user(row)

    @_locked
    def _account_row(self, username: str) -> dict[str, Any] | None:
        rows = list(self._db.query("SELECT * FROM users WHERE username = ?", [username]))
        return rows[0] if rows else None

    @_locked
    def _rehash(self, username: str, password_hash: str) -> None:
        self._db.execute("UPDATE users SET password_hash = ? WHERE username = ?", [password_hash, username])

    # ----------------------------------------------------------------------------------------- sessions

    @_locked
    def start_session(self, username: str, at: dt.datetime) -> tuple[str, Session]:
        """A new session for `username`: (the cookie token, the session with its CSRF token)."""
        token = secrets.token_urlsafe(32)
        session = Session(username, secrets.token_urlsafe(32), at, at)
        self._db.table("sessions").insert({"token_sha256": _digest(token), "username": username,
                                           "csrf": session.csrf, "created_at": _iso(at), "last_seen": _iso(at)})
        return token, session

    @_locked
    def session(self, token: str, now: dt.datetime, idle: dt.timedelta, absolute: dt.timedelta) -> Session | None:
        """The live session for a cookie token, its idle time restarted; an expired one is deleted."""
        key = _digest(token)
        rows = list(self._db.query("SELECT * FROM sessions WHERE token_sha256 = ?", [key]))
        if not rows:
            return None
        row = rows[0]
        created, last_seen = _parse(str(row["created_at"])), _parse(str(row["last_seen"]))
        if now - last_seen > idle or now - created > absolute:
            self.end_session(token)
            return None
        self._db.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", [_iso(now), key])
        return Session(str(row["username"]), str(row["csrf"]), created, now)

    @_locked
    def end_session(self, token: str) -> None:
        self._db.execute("DELETE FROM sessions WHERE token_sha256 = ?", [_digest(token)])

    # ------------------------------------------------------------------------------------------ log-ins

    @_locked
    def record_login_failure(self, username: str, client: str, at: dt.datetime) -> None:
        self._db.table("login_failures").insert({"at": _iso(at), "username": username, "client": client})

    @_locked
    def recent_login_failures(self, column: str, value: str, since: dt.datetime) -> int:
        """Failed log-ins since `since` for one account (column "username") or one address ("client")."""
        if column not in ("username", "client"):
            raise ValueError(f"login failures are counted by username or client, not {column!r}")
        return int(self._db.execute(f"SELECT COUNT(*) FROM login_failures WHERE [{column}] = ? AND at >= ?",
                                    [value, _iso(since)]).fetchone()[0])

    @_locked
    def clear_login_failures(self, username: str) -> None:
        self._db.execute("DELETE FROM login_failures WHERE username = ?", [username])

    # -------------------------------------------------------------------------------------------- audit

    @_locked
    def audit(self, at: dt.datetime, actor: str, action: str, target: str = "", field: str = "",
              before: str = "", after: str = "") -> None:
        self._db.table("audit").insert({"at": _iso(at), "actor": actor, "action": action, "target": target,
                                        "field": field, "before": before, "after": after})

    @_locked
    def audit_entries(self, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first."""
        rows = self._db.query("SELECT at, actor, action, target, field, before, after FROM audit "
                              "ORDER BY id DESC LIMIT ?", [limit])
        return [AuditEntry(**row) for row in rows]

    @_locked
    def close(self) -> None:
        self._db.close()
