"""Admin pages: accounts (add, disable, enable) and the change log (audit), newest first."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from robot.console.store import AccountError, Role
from robot.console.web import Visit, page


def _users_page(visit: Visit, errors: dict[str, str], status_code: int = 200, **values: str) -> Response:
    return visit.render("users.html", status_code=status_code, users=visit.console.store.users(), roles=list(Role),
                        errors=errors, values=values, done=visit.request.query_params.get("done", ""))


@page(Role.ADMIN)
def users(visit: Visit) -> Response:
    return _users_page(visit, {})


@page(Role.ADMIN)
def add_user(visit: Visit) -> Response:
    username, role_text = visit.field("username").strip().lower(), visit.field("role")
    password, again = visit.field("password"), visit.field("password_again")
    errors: dict[str, str] = {}
    if role_text not in {role.value for role in Role}:
        errors["role"] = "Choose what this person may do."
    if password != again:
        errors["password_again"] = "The two passwords are not the same."
    if not errors:
        try:
            visit.console.store.add_user(username, Role(role_text), password, visit.console.now())
        except AccountError as error:
            errors[error.field] = error.message
    if errors:
        return _users_page(visit, errors, 400, username=username, role=role_text)
    visit.console.audit(visit, "added account", username, "role", "", role_text)
    return RedirectResponse(f"/admin/users?done=added+{username}", status_code=303)


@page(Role.ADMIN)
def set_enabled(visit: Visit) -> Response:
    username, enable = visit.field("username"), visit.field("enabled") == "yes"
    user = visit.console.store.user(username)
    if user is None:
        return _users_page(visit, {"account": f"There is no account {username!r}."}, 404)
    if username == visit.user.username and not enable:
        return _users_page(visit, {"account": "You cannot disable your own account."}, 400)
    visit.console.store.set_disabled(username, not enable)
    before, after = ("disabled", "enabled") if enable else ("enabled", "disabled")
    visit.console.audit(visit, f"{after} account", username, "state", before, after)
    return RedirectResponse(f"/admin/users?done={after}+{username}", status_code=303)


@page(Role.ADMIN)
def audit(visit: Visit) -> Response:
    return visit.render("audit.html", entries=visit.console.store.audit_entries())


ROUTES = [Route("/admin/users", users), Route("/admin/users", add_user, methods=["POST"]),
          Route("/admin/users/enabled", set_enabled, methods=["POST"]), Route("/admin/audit", audit)]
