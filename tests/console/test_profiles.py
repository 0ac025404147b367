"""Profile editing, conflicts between two staff, FHIR import and learned-facts review through the web
layer, on temporary copies of profiles/ (the real ProfileEditor and FactsReview underneath)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

from starlette.testclient import TestClient

from robot.adapters.person_facts_store import PersonFactStore
from robot.adapters.yaml_profiles import load_home
from robot.core.person_facts import Interest, topic_fact
from robot.paths import PROJECT_ROOT
from tests.console.conftest import MARGARET, T0, MakeConsole, csrf_of

PROFILE = f"/residents/{MARGARET}/profile"


class _FormReader(HTMLParser):
    """The fields of one form as a browser submits them unchanged."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.values = action, False, {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and a.get("type") != "file" and (a.get("type") != "checkbox" or "checked" in a):
            self.values[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        self._textarea = None if tag == "textarea" else self._textarea
        self._select = None if tag == "select" else self._select

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    reader = _FormReader(PROFILE)
    reader.feed(html)
    return reader.values


def preferred_name(profiles: Path) -> str:
    return load_home(profiles).resident(MARGARET).preferred_name


def test_staff_edit_a_profile_the_file_changes_and_the_audit_log_says_who(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("amal")
    page = client.get(PROFILE)
    assert page.status_code == 200 and 'value="Margaret"' in page.text
    assert "Where this came from: Usual for their culture" in page.text and "Entered by staff" in page.text
    saved = client.post(PROFILE, data={**form_values(page.text), "preferred_name": "Maggie"}, follow_redirects=False)
    assert saved.status_code == 303
    assert "Saved 1 change" in client.get(saved.headers["location"]).text
    assert preferred_name(console.settings.profiles_dir) == "Maggie"
    [entry] = [e for e in console.store().audit_entries() if e.action == "changed profile"]
    assert (entry.actor, entry.target, entry.field, entry.before, entry.after) == (
        "amal", MARGARET, "preferred_name", "Margaret", "Maggie")


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("amal")
    page = client.get(PROFILE)
    answer = client.post(PROFILE, data={**form_values(page.text), "timezone": "Mars/Olympus"})
    assert answer.status_code == 400
    assert 'href="#field-timezone"' in answer.text and 'id="error-timezone"' in answer.text
    assert 'value="Mars/Olympus"' in answer.text      # what they typed is kept for them to fix
    assert load_home(console.settings.profiles_dir).resident(MARGARET).timezone == "Europe/London"


def test_the_second_of_two_staff_saving_at_once_is_told_and_loses_nothing(make_console: MakeConsole) -> None:
    console = make_console()
    first, second = console.sign_in("amal"), console.sign_in("ada", client=console.new_client())
    first_page, second_page = first.get(PROFILE).text, second.get(PROFILE).text
    first.post(PROFILE, data={**form_values(first_page), "preferred_name": "Maggie"})
    clash = second.post(PROFILE, data={**form_values(second_page), "preferred_name": "Peggy",
                                       "address_as": "Margaret"})
    assert clash.status_code == 409 and "Someone else saved this profile" in clash.text
    assert "saved by them: <strong>Maggie</strong>; yours: <strong>Peggy</strong>" in clash.text
    assert preferred_name(console.settings.profiles_dir) == "Maggie"
    again = form_values(clash.text)
    assert again["preferred_name"] == "Peggy" and again["address_as"] == "Margaret"
    assert second.post(PROFILE, data=again, follow_redirects=False).status_code == 303
    home = load_home(console.settings.profiles_dir)
    assert (home.resident(MARGARET).preferred_name, home.resident(MARGARET).address_as) == ("Peggy", "Margaret")


def test_a_fhir_bundle_upload_replaces_the_medication(make_console: MakeConsole) -> None:
    console = make_console()
    client = console.sign_in("amal")
    page = client.get(PROFILE).text
    bundle = (PROJECT_ROOT / "tests" / "data" / "fhir" / "good_bundle.json").read_bytes()
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post(f"/residents/{MARGARET}/fhir", data={"csrf": csrf_of(page), "version": version},
                         files={"bundle": ("bundle.json", bundle, "application/json")}, follow_redirects=False)
    assert answer.status_code == 303
    names = [m.name for m in load_home(console.settings.profiles_dir).resident(MARGARET).medications]
    assert "metformin" in [name.lower() for name in names]
    assert any(e.action == "imported FHIR medication" for e in console.store().audit_entries())
    stale = client.post(f"/residents/{MARGARET}/fhir", data={"csrf": csrf_of(page), "version": version},
                        files={"bundle": ("bundle.json", bundle, "application/json")})
    assert stale.status_code == 409 and "Someone else saved this profile" in stale.text
    page = client.get(PROFILE).text
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    broken = client.post(f"/residents/{MARGARET}/fhir", data={"csrf": csrf_of(page), "version": version},
                         files={"bundle": ("b.json", b"{not json", "application/json")})
    assert broken.status_code == 400 and 'href="#field-fhir"' in broken.text and 'id="error-fhir"' in broken.text


def test_staff_confirm_and_correct_what_the_robot_learned(make_console: MakeConsole) -> None:
    console = make_console()
    facts_file = console.settings.wellbeing_db.parent / "person_facts.sqlite"  # type: ignore[union-attr]
    store = PersonFactStore(facts_file)
    store.add(topic_fact(MARGARET, "cricket", Interest.LIKED, T0 - dt.timedelta(hours=2)))
    store.add(topic_fact(MARGARET, "politics", Interest.LIKED, T0 - dt.timedelta(hours=1)))
    store.close()
    client: TestClient = console.sign_in("amal")
    page = client.get(f"/residents/{MARGARET}/facts")
    assert "Topic: cricket" in page.text and "not reviewed yet" in page.text
    client.post(f"/residents/{MARGARET}/facts", data={"csrf": csrf_of(page.text), "key": "topics.cricket",
                                                      "action": "confirm"})
    client.post(f"/residents/{MARGARET}/facts", data={"csrf": csrf_of(page.text), "key": "topics.politics",
                                                      "action": "correct", "value": "not_interested"})
    after = client.get(f"/residents/{MARGARET}/facts").text
    assert "confirmed by amal" in after and "staff corrected it" in after
    politics = after.split('id="fact-topics.politics"')[1].split("</li>")[0]
    assert "not interested" in politics
    bad = client.post(f"/residents/{MARGARET}/facts", data={"csrf": csrf_of(page.text), "key": "topics.cricket",
                                                            "action": "correct", "value": "adores"})
    assert bad.status_code == 400 and 'id="error-topics.cricket"' in bad.text
    actions = [(e.action, e.field, e.before, e.after) for e in console.store().audit_entries()]
    assert ("corrected learned fact", "topics.politics", "liked", "not_interested") in actions
    assert ("confirmed learned fact", "topics.cricket", "liked", "liked") in actions
