"""Signing in, roles, CSRF, session expiry, lock-out and the audit log, through the web layer (TestClient)."""

from __future__ import annotations

import io
import zipfile

from robot.console.web import SESSION_COOKIE
from tests.console.conftest import MARGARET, PASSWORD, MakeConsole, csrf_of

STAFF_PAGES = ["/residents", "/alerts", f"/residents/{MARGARET}/profile"]
NAMES = ["Margaret", "Winston", "Harpreet", "Mrs Hughes"]


def test_a_stranger_is_sent_to_sign_in_and_a_wrong_password_gets_in_nowhere(make_console: MakeConsole) -> None:
    console = make_console()
    page = console.client.get("/residents", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/residents"
    console.sign_in("amal", "not the password")
    assert SESSION_COOKIE not in console.client.cookies
    assert console.client.get("/residents", follow_redirects=False).status_code == 303
    assert [e.action for e in console.store().audit_entries()] == ["sign-in failed"]


def test_staff_sign_in_with_a_strict_http_only_cookie_and_see_residents(make_console: MakeConsole) -> None:
    console = make_console()
    page = console.client.get("/login")
    token = csrf_token = page.text.split('name="login_token" value="')[1].split('"')[0]
    answer = console.client.post("/login", data={"username": "amal", "password": PASSWORD, "login_token": token},
                                 follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/residents"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    overview = console.client.get("/residents")
    assert overview.status_code == 200 and "Margaret" in overview.text and csrf_token not in overview.text
    margaret = overview.text.split(f'id="resident-{MARGARET}"')[1].split("</li>")[0]
    assert "Amlodipine 5 mg" in margaret and "taken" in margaret
    assert "Last talked:</strong> Mon 2 Mar 08:03" in margaret
    assert "Mood this week: mixed, better lately" in margaret


def test_cookies_are_secure_over_https(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.new_client()
    client.base_url = "https://127.0.0.1"  # type: ignore[assignment]
    page = client.get("/login")
    assert "Secure" in page.headers["set-cookie"]


def test_a_researcher_gets_403_on_staff_pages_and_sees_no_names(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("rita")
    for path in STAFF_PAGES:
        page = client.get(path)
        assert page.status_code == 403, path
        assert not any(name in page.text for name in NAMES), path
    research = client.get("/research")
    assert research.status_code == 200 and "p-" in research.text
    assert not any(name in research.text for name in NAMES) and MARGARET not in research.text
    export = client.post("/research/export", data={"csrf": csrf_of(research.text)})
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert {"daily.csv", "daily.parquet", "data_dictionary.csv", "manifest.json"} <= set(archive.namelist())
    everything = b"".join(archive.read(name) for name in archive.namelist() if name.endswith((".csv", ".json")))
    assert not any(name.encode() in everything for name in NAMES) and MARGARET.encode() not in everything
    report = client.post("/research/report", data={"csrf": csrf_of(research.text)})
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    assert not any(name in report.text for name in NAMES)


def test_staff_cannot_see_or_export_research_data(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("amal")
    csrf = csrf_of(client.get("/residents").text)
    assert client.get("/research").status_code == 403
    assert client.post("/research/export", data={"csrf": csrf}).status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_a_post_without_the_session_csrf_token_changes_nothing(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("ada")
    form = {"username": "new.nurse", "role": "staff", "password": "a long password", "password_again": "a long password"}
    assert client.post("/admin/users", data=form).status_code == 403
    assert client.post("/admin/users", data={**form, "csrf": "forged"}).status_code == 403
    assert console.store().user("new.nurse") is None
    other = console.sign_in("amal", client=console.new_client())
    assert client.post("/admin/users", data={**form, "csrf": csrf_of(other.get("/residents").text)}).status_code == 403
    assert client.post("/admin/users", data={**form, "csrf": csrf_of(client.get("/admin/users").text)},
                       follow_redirects=False).status_code == 303
    assert console.store().user("new.nurse") is not None


def test_a_sign_in_form_from_elsewhere_is_refused(make_console: MakeConsole) -> None:
    console = make_console()
    answer = console.client.post("/login", data={"username": "amal", "password": PASSWORD, "login_token": "x"})
    assert answer.status_code == 403 and SESSION_COOKIE not in console.client.cookies


def test_sessions_expire_when_idle_and_after_the_absolute_limit(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("amal")
    console.clock.advance(minutes=29)
    assert client.get("/residents", follow_redirects=False).status_code == 200
    console.clock.advance(minutes=31)
    assert client.get("/residents", follow_redirects=False).status_code == 303
    client = console.sign_in("amal", client=console.new_client())
    for _ in range(24):
        console.clock.advance(minutes=29)
        assert client.get("/alerts", follow_redirects=False).status_code == 200
    console.clock.advance(minutes=29)   # 12 h 05 min after signing in, though never idle for 30 min
    assert client.get("/alerts", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("amal")
    cookie = client.cookies[SESSION_COOKIE]
    client.post("/logout", data={"csrf": csrf_of(client.get("/residents").text)})
    stolen = console.new_client()
    stolen.cookies.set(SESSION_COOKIE, cookie)
    assert stolen.get("/residents", follow_redirects=False).status_code == 303


def test_too_many_wrong_passwords_lock_the_account_for_a_while(make_console: MakeConsole) -> None:
    console = make_console()
    for _ in range(5):
        console.sign_in("amal", "wrong password!")
    locked = console.new_client()
    page = locked.get("/login")
    token = page.text.split('name="login_token" value="')[1].split('"')[0]
    refused = locked.post("/login", data={"username": "amal", "password": PASSWORD, "login_token": token})
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.text
    assert locked.get("/residents", follow_redirects=False).status_code == 303
    console.clock.advance(minutes=16)
    assert console.sign_in("amal", client=console.new_client()).get("/residents").status_code == 200


def test_admin_adds_an_account_and_the_audit_log_shows_who_did_what(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("ada")
    page = client.get("/admin/users")
    short = client.post("/admin/users", data={"csrf": csrf_of(page.text), "username": "bo", "role": "staff",
                                              "password": "short", "password_again": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert 'href="#field-password"' in short.text and 'aria-invalid="true"' in short.text
    client.post("/admin/users", data={"csrf": csrf_of(page.text), "username": "bo.k", "role": "researcher",
                                      "password": "long enough pw", "password_again": "long enough pw"})
    client.post("/admin/users/enabled", data={"csrf": csrf_of(page.text), "username": "bo.k", "enabled": "no"})
    audit = client.get("/admin/audit").text
    entries = console.store().audit_entries()
    assert [(e.actor, e.action, e.target, e.before, e.after) for e in entries[:2]] == [
        ("ada", "disabled account", "bo.k", "enabled", "disabled"), ("ada", "added account", "bo.k", "", "researcher")]
    assert "disabled account" in audit and "bo.k" in audit
