"""Signing in and out. Failed log-ins are counted per account and per address; too many lock the account
(or the address) for `login_lockout`, whatever password comes next."""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from robot.console.web import (HOME, LOGIN_COOKIE, SESSION_COOKIE, Console, Visit, current_visit, page,
                               safe_next)

CLIENT_FAILURE_FACTOR = 4
"""An address may fail this many times more than one account before it is locked out (a shared ward PC)."""


def _console(request: Request) -> Console:
    return request.app.state.console


def home(request: Request) -> Response:
    visit = current_visit(request)
    return RedirectResponse(HOME[visit.user.role] if visit else "/login", status_code=303)


def _login_form(request: Request, error: str = "", username: str = "", status_code: int = 200) -> Response:
    console = _console(request)
    token = secrets.token_urlsafe(24)
    response = console.render(request, "login.html", {
        "login_token": token, "error": error, "username": username,
        "next": safe_next(request.query_params.get("next", "/"))}, status_code)
    console.set_cookie(response, request, LOGIN_COOKIE, token)
    return response


def login_page(request: Request) -> Response:
    return _login_form(request)


def _locked_out(console: Console, username: str, client: str) -> bool:
    settings = console.settings
    since = console.now() - settings.login_lockout
    return (console.store.recent_login_failures("username", username, since) >= settings.login_failures_allowed
            or console.store.recent_login_failures("client", client, since)
            >= settings.login_failures_allowed * CLIENT_FAILURE_FACTOR)


def _sign_in(request: Request, username: str, password: str, echoed: str, next_path: str) -> Response:
    console = _console(request)
    if not echoed or not secrets.compare_digest(echoed, request.cookies.get(LOGIN_COOKIE, "")):
        return _login_form(request, "The sign-in form was out of date. Please try again.", username, 403)
    client = request.client.host if request.client else "unknown"
    minutes = int(console.settings.login_lockout.total_seconds() // 60)
    if _locked_out(console, username, client):
        console.store.audit(console.now(), username or "(no name)", "sign-in refused: locked out", client)
        return _login_form(request, f"Too many wrong passwords. Wait {minutes} minutes, or ask an administrator.",
                           username, 429)
    user = console.store.verify(username, password)
    if user is None:
        console.store.record_login_failure(username, client, console.now())
        console.store.audit(console.now(), username or "(no name)", "sign-in failed", client)
        return _login_form(request, "That name and password do not match an account. Check them and try again.",
                           username, 401)
    console.store.clear_login_failures(username)
    token, _ = console.store.start_session(user.username, console.now())
    console.store.audit(console.now(), user.username, "signed in", client)
    response = RedirectResponse(next_path if next_path != "/" else HOME[user.role], status_code=303)
    console.set_cookie(response, request, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    values = {name: form.get(name) for name in ("username", "password", "login_token", "next")}
    text = {name: value if isinstance(value, str) else "" for name, value in values.items()}
    return await run_in_threadpool(_sign_in, request, text["username"].strip().lower(), text["password"],
                                   text["login_token"], safe_next(text["next"] or "/"))


@page()
def logout(visit: Visit) -> Response:
    visit.console.store.end_session(visit.request.cookies.get(SESSION_COOKIE, ""))
    visit.console.audit(visit, "signed out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ROUTES = [Route("/", home), Route("/login", login_page, methods=["GET"]), Route("/login", login, methods=["POST"]),
          Route("/logout", logout, methods=["POST"])]
