"""What every console page shares: the signed-in visit, role and CSRF checks, rendering, security headers.

A page is a plain function `handler(visit) -> Response` wrapped by `page(*roles)`: the wrapper finds the
session from its cookie (idle and absolute expiry), sends strangers to the log-in page, answers 403 to a
role the page is not for, and on POST rejects any form whose CSRF token is not the session's. Handlers run
in the server's thread pool (they read SQLite and files).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from robot.adapters.profile_editor import ProfileEditor
from robot.console.overview import Resident, roster
from robot.console.settings import ConsoleSettings
from robot.console.store import ConsoleStore, Role, Session, User

SESSION_COOKIE = "carebot_session"
LOGIN_COOKIE = "carebot_login"
"""A random token that the log-in form must echo (log-in CSRF: nobody can sign a browser in as someone else)."""
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HOME = {Role.STAFF: "/residents", Role.ADMIN: "/residents", Role.RESEARCHER: "/research"}

NAVIGATION = (("/residents", "Residents", (Role.STAFF,)), ("/alerts", "Alerts", (Role.STAFF,)),
              ("/research", "Research data", (Role.RESEARCHER,)), ("/admin/users", "Accounts", (Role.ADMIN,)),
              ("/admin/audit", "Change log", (Role.ADMIN,)))
"""Top menu: path, words, roles that see it (admins see everything)."""


class Console:
    """The app's shared parts: settings, the console database and the templates."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.store = ConsoleStore(settings.console_db)
        self.templates = Jinja2Templates(directory=TEMPLATES_DIR)
        self._editors: dict[Path | None, ProfileEditor] = {}
        self._editors_lock = threading.Lock()
        self._roster: tuple[tuple[tuple[str, int, int], ...], tuple[list[Resident], str]] | None = None

    def editor(self) -> ProfileEditor:
        """The profile editor for the current facts file; kept, so it remembers the versions it has shown
        (a conflict then names just the fields the other person changed)."""
        facts = self.facts_file()
        with self._editors_lock:
            if facts not in self._editors:
                self._editors[facts] = ProfileEditor(self.settings.profiles_dir, self.settings.residents_folder, facts)
            return self._editors[facts]

    def now(self) -> dt.datetime:
        """Wall-clock time for sessions, lock-outs and the audit log."""
        return self.settings.wall_clock()

    def roster(self) -> tuple[list[Resident], str]:
        """The residents (see overview.roster), read again only when a profile file has changed."""
        settings = self.settings
        folders = (settings.profiles_dir / "cultures", settings.profiles_dir / "phrases", settings.residents_folder)
        key = tuple((path.name, path.stat().st_mtime_ns, path.stat().st_size)
                    for folder in folders for path in sorted(folder.glob("*.yaml")))
        with self._editors_lock:
            if self._roster is None or self._roster[0] != key:
                self._roster = (key, roster(settings.profiles_dir, settings.residents_folder))
            return self._roster[1]

    def wellbeing_db(self) -> Path | None:
        """The wellbeing database to read (the newest run's when none is configured); None if there is none."""
        from robot.meds_cli import MedsError, latest_run_database

        if self.settings.wellbeing_db is not None:
            return self.settings.wellbeing_db
        try:
            return latest_run_database(self.settings.runs_dir)
        except MedsError:
            return None

    def facts_file(self) -> Path | None:
        """The dialogue's person facts: as configured, else beside the wellbeing database."""
        database = self.wellbeing_db()
        return self.settings.facts_file or (database.parent / "person_facts.sqlite" if database else None)

    def robot_now(self) -> dt.datetime:
        """Now on the robot's clock (what "today" means for residents); this machine's clock without a robot."""
        robot = self.settings.robot
        return robot.now() if robot is not None else self.now()

    def secure(self, request: Request) -> bool:
        return self.settings.secure_cookies or request.url.scheme == "https"

    def set_cookie(self, response: Response, request: Request, name: str, value: str) -> None:
        response.set_cookie(name, value, httponly=True, samesite="strict", secure=self.secure(request), path="/")

    def render(self, request: Request, template: str, context: dict[str, Any], status_code: int = 200,
               visit: Visit | None = None) -> Response:
        user = visit.user if visit else None
        menu = [(path, words) for path, words, roles in NAVIGATION if user is not None and user.may(*roles)]
        return self.templates.TemplateResponse(request, template, {
            "user": user, "csrf": visit.session.csrf if visit else "", "menu": menu, "path": request.url.path,
            **context}, status_code=status_code)

    def audit(self, visit: Visit, action: str, target: str = "", field: str = "", before: str = "",
              after: str = "") -> None:
        self.store.audit(self.now(), visit.user.username, action, target, field, before, after)


@dataclass(frozen=True)
class Visit:
    """One request from a signed-in user."""

    request: Request
    console: Console
    user: User
    session: Session
    form: FormData | None = None

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        return self.console.render(self.request, template, context, status_code, self)

    def field(self, name: str) -> str:
        """A text field of the posted form ('' if absent)."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""

    def texts(self, leave_out: frozenset[str] = frozenset({"csrf"})) -> dict[str, str]:
        """Every text field of the posted form (for a repeated name, the last value: a ticked checkbox after
        its hidden empty twin)."""
        items = self.form.multi_items() if self.form is not None else []
        return {name: value for name, value in items if isinstance(value, str) and name not in leave_out}

    def upload(self, name: str) -> UploadFile | None:
        """An uploaded file of the posted form, if one was chosen."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) and value.filename else None


Handler = Callable[[Visit], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def safe_next(path: str) -> str:
    """Only a path on this site (never //host or a URL) may follow the log-in."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def current_visit(request: Request) -> Visit | None:
    console: Console = request.app.state.console
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    settings = console.settings
    session = console.store.session(token, console.now(), settings.idle_timeout, settings.absolute_timeout)
    user = console.store.user(session.username) if session else None
    if session is None or user is None or user.disabled:
        return None
    return Visit(request, console, user, session)


def _to_login(request: Request) -> Response:
    target = request.url.path if request.method == "GET" else "/"
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def forbidden(visit: Visit) -> Response:
    return visit.render("message.html", status_code=403, title="Not for your account",
                        message=f"This page is not open to {visit.user.role.value} accounts.",
                        link=HOME[visit.user.role], link_words="Go to your start page")


def page(*roles: Role) -> Callable[[Handler], Endpoint]:
    """Make `handler` a page open to signed-in users with one of `roles` (none: any account; admins: all)."""
    def wrap(handler: Handler) -> Endpoint:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            visit = await run_in_threadpool(current_visit, request)
            if visit is None:
                return _to_login(request)
            if not visit.user.may(*roles):
                return forbidden(visit)
            if request.method == "POST":
                form = await request.form(max_files=1, max_fields=400, max_part_size=MAX_UPLOAD_BYTES)
                token = form.get("csrf")
                if not isinstance(token, str) or not secrets.compare_digest(token, visit.session.csrf):
                    return visit.render("message.html", status_code=403, title="Form expired",
                                        message="This form was out of date, so nothing was changed. "
                                                "Please go back, reload the page and try again.",
                                        link=str(request.url.path), link_words="Reload the page")
                visit = replace(visit, form=form)
            return await run_in_threadpool(handler, visit)
        return endpoint
    return wrap


class SecurityHeaders:
    """Headers on every response: a strict content security policy, no framing, no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                            (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                            (b"referrer-policy", b"no-referrer")]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
