"""The staff console's profile editing backend, on copies of the shipped profiles.

What staff care about: what they type ends up in the resident's file (and in what the robot loads), nothing
else in the file changes, mistakes are named by field and never written, and two people editing at once
never silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from robot.adapters.person_facts_store import PersonFactStore
from robot.adapters.profile_editor import FieldKind, NoSuchResident, ProfileEditor, ResidentForm, SaveOutcome
from robot.adapters.profile_yaml import CHECKED
from robot.adapters.yaml_profiles import load_home
from robot.core.person_facts import Interest, topic_fact
from robot.core.profile import Consent, ResidentProfile, Source, TimeWindow
from robot.paths import PROFILES_DIR

DATA = Path(__file__).resolve().parents[1] / "data" / "fhir"
MARGARET = "r-3f9a1c"      # british_english; hearing set by staff; two contacts, two medications, two check-ins
HARPREET = "r-a07b3d"      # a timing rule refers to her levothyroxine


@pytest.fixture()
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, folder)
    return folder


@pytest.fixture()
def editor(profiles: Path) -> ProfileEditor:
    return ProfileEditor(profiles, profiles / "residents")


def resident_file(profiles: Path, person_id: str = MARGARET) -> Path:
    return profiles / "residents" / f"{person_id}.yaml"


def loaded(profiles: Path, person_id: str = MARGARET) -> ResidentProfile:
    """The resident as the robot loads the folder."""
    return load_home(profiles).resident(person_id)


def edit(editor: ProfileEditor, changes: dict[str, str], person_id: str = MARGARET,
         by: str = "sam") -> SaveOutcome:
    form = editor.form(person_id)
    return editor.save(person_id, {**form.values(), **changes}, form.version, by)


def test_a_save_changes_only_the_edited_line_and_keeps_every_comment(editor: ProfileEditor, profiles: Path) -> None:
    before = resident_file(profiles).read_text(encoding="utf-8")
    outcome = edit(editor, {"preferred_name": "Maggie"})
    after = resident_file(profiles).read_text(encoding="utf-8")
    assert outcome.saved and outcome.errors == {} and outcome.changed_by == "sam"
    assert [(c.field, c.before, c.after) for c in outcome.changes] == [("preferred_name", "Margaret", "Maggie")]
    assert after == before.replace("preferred_name: Margaret\n", "preferred_name: Maggie\n")
    assert outcome.version == editor.form(MARGARET).version != editor.form(MARGARET).version.upper()
    assert loaded(profiles).preferred_name == "Maggie"


def test_saving_the_form_unchanged_writes_nothing(editor: ProfileEditor, profiles: Path) -> None:
    before = resident_file(profiles).read_bytes()
    outcome = edit(editor, {})
    assert (outcome.saved, outcome.changes, outcome.errors, outcome.conflict) == (False, (), {}, None)
    assert resident_file(profiles).read_bytes() == before


def test_every_kind_of_field_edits_what_the_robot_loads(editor: ProfileEditor, profiles: Path) -> None:
    form = editor.form(MARGARET)
    assert {view.kind for view in form.fields} == set(FieldKind)
    outcome = edit(editor, {
        "address_as": "Margaret",                                   # text
        "hearing.rate_wpm": "110",                                  # number
        "consent": "metrics",                                       # select
        "topics.liked": "gardening, crosswords, Royal Family",      # list (typed words become a topic id)
        "quiet_hours": "22:00-07:00, 13:00-14:00",                  # time windows
        "life_story": "Taught in Bristol.\n\n  Grows roses.  ",     # textarea, one fact per line
        "medication.0.with_food": CHECKED,                          # checkbox
        "medication.1.weekdays": "mon, Thu",
        "medication.0.times": "08:00, 30 min before dinner",
    })
    assert outcome.saved, outcome.errors
    profile = loaded(profiles)
    assert profile.address_as == "Margaret" and profile.speech.rate_wpm == 110 and profile.consent is Consent.METRICS
    assert profile.provenance["topics.royal_family"] is Source.STAFF_ENTRY and profile.interest("royal_family") == 1.0
    assert profile.quiet_hours == (TimeWindow(dt.time(22), dt.time(7)), TimeWindow(dt.time(13), dt.time(14)))
    assert profile.life_story == ("Taught in Bristol.", "Grows roses.")
    amlodipine, alendronic = profile.medications
    assert amlodipine.with_food and amlodipine.times == (dt.time(8), dt.time(17))
    assert alendronic.weekdays == frozenset({0, 3})
    assert editor.form(MARGARET).field("medication.0.times").value == "08:00, 30 min before dinner"


def test_clearing_a_hearing_value_falls_back_to_the_culture_and_setting_the_default_stays_explicit(
        editor: ProfileEditor, profiles: Path) -> None:
    rate = editor.form(MARGARET).field("hearing.rate_wpm")
    assert (rate.value, rate.source, rate.default) == ("120", Source.STAFF_ENTRY, "130")
    assert edit(editor, {"hearing.rate_wpm": ""}).saved
    rate = editor.form(MARGARET).field("hearing.rate_wpm")
    assert (rate.value, rate.source) == ("130", Source.CULTURE_DEFAULT)
    assert "rate_wpm" not in resident_file(profiles).read_text(encoding="utf-8")
    assert "# seconds of silence before the robot answers" in resident_file(profiles).read_text(encoding="utf-8")

    assert edit(editor, {"hearing.volume": "0.8"}).saved          # the culture's 0.8, typed over her 0.9
    volume = editor.form(MARGARET).field("hearing.volume")
    assert (volume.value, volume.source) == ("0.8", Source.STAFF_ENTRY)
    assert loaded(profiles).provenance["speech.volume"] is Source.STAFF_ENTRY


def test_a_culture_default_is_shown_as_such_and_an_edit_makes_it_a_staff_entry(editor: ProfileEditor,
                                                                               profiles: Path) -> None:
    formality = editor.form(MARGARET).field("formality")
    assert (formality.value, formality.source) == ("V", Source.CULTURE_DEFAULT)
    assert [option.value for option in formality.options] == ["", "T", "V"]
    assert edit(editor, {"formality": "T"}).saved
    assert editor.form(MARGARET).field("formality").source is Source.STAFF_ENTRY
    assert loaded(profiles).formality.value == "T"


def test_provenance_shows_the_residents_own_answers_from_the_file_and_from_conversation(profiles: Path) -> None:
    facts_file = profiles.parent / "facts.sqlite"
    store = PersonFactStore(facts_file)
    store.add(topic_fact(MARGARET, "cricket", Interest.LIKED, dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone.utc)))
    store.close()
    liked = ProfileEditor(profiles, profiles / "residents", facts_file).form(MARGARET).field("topics.liked")
    assert dict(liked.item_sources) == {"cricket": Source.PERSON_ANSWER, "gardening": Source.PERSON_ANSWER,
                                        "crosswords": Source.STAFF_ENTRY}
    assert liked.source is Source.PERSON_ANSWER and "cricket" in liked.value.split(", ")
    without_facts = ProfileEditor(profiles, profiles / "residents").form(MARGARET).field("topics.liked")
    assert "cricket" not in without_facts.value


def test_what_the_resident_said_cannot_be_removed_from_the_form(profiles: Path) -> None:
    facts_file = profiles.parent / "facts.sqlite"
    store = PersonFactStore(facts_file)
    store.add(topic_fact(MARGARET, "cricket", Interest.LIKED, dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone.utc)))
    store.close()
    editor = ProfileEditor(profiles, profiles / "residents", facts_file)
    before = resident_file(profiles).read_bytes()
    outcome = edit(editor, {"topics.liked": "gardening, crosswords"})
    assert not outcome.saved and "told the robot" in outcome.errors["topics.liked"]
    assert resident_file(profiles).read_bytes() == before


def test_a_topic_moved_from_liked_to_avoided_leaves_the_liked_list(editor: ProfileEditor, profiles: Path) -> None:
    assert edit(editor, {"topics.liked": "gardening", "topics.avoided": "football, crosswords"}).saved
    profile = loaded(profiles)
    assert profile.interest("crosswords") == 0.0 and "crosswords" in profile.avoided_topics
    assert profile.provenance["avoided_topics.crosswords"] is Source.STAFF_ENTRY
    both = edit(editor, {"topics.liked": "gardening, tea", "topics.avoided": "football, crosswords, tea"})
    assert not both.saved and "tea" in both.errors["topics.avoided"]


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"hearing.rate_wpm": "500"}, "hearing.rate_wpm", "60 to 250"),
    ({"hearing.volume": "loud"}, "hearing.volume", "'loud'"),
    ({"contacts.1.call_hours": "9-5"}, "contacts.1.call_hours", "'9-5'"),
    ({"medication.1.times": "08:00, 8am"}, "medication.1.times", "'8am'"),
    ({"locale": "de-DE"}, "locale", "phrase bank"),
    ({"preferred_name": ""}, "preferred_name", "required"),
    ({"topics.liked": "gardening, origami"}, "topics.liked", "origami"),
    ({"checkins.0.at": "23:00"}, "checkins.0.at", "quiet_hours"),
    ({"checkins.0.weekdays": "mon"}, "checkins.0.instrument", "not both"),
    ({"contacts.2.name": "Sam", "contacts.2.relation": "son"}, "contacts.2.address", "required"),
    ({"medication.0.every_days": "2"}, "medication.0.start", "required"),
])
def test_an_invalid_value_is_named_by_its_field_and_nothing_is_written(
        editor: ProfileEditor, profiles: Path, changes: dict[str, str], field: str, words: str) -> None:
    before = resident_file(profiles).read_bytes()
    outcome = edit(editor, changes)
    assert not outcome.saved and field in outcome.errors, outcome.errors
    assert words in outcome.errors[field]
    assert resident_file(profiles).read_bytes() == before
    assert sorted(path.name for path in (profiles / "residents").iterdir()) == \
        sorted(path.name for path in (PROFILES_DIR / "residents").glob("*.yaml"))    # no temp file left


def test_removing_a_medication_a_timing_rule_needs_is_refused_for_the_whole_form(editor: ProfileEditor,
                                                                                 profiles: Path) -> None:
    before = resident_file(profiles, HARPREET).read_bytes()
    outcome = edit(editor, {"medication.0.remove": CHECKED}, HARPREET)
    assert not outcome.saved and outcome.errors["_form"].startswith("timing_rules[0].medication[0]: expected")
    assert "levothyroxine" in outcome.errors["_form"]
    assert resident_file(profiles, HARPREET).read_bytes() == before


def test_removing_one_contact_and_adding_another(editor: ProfileEditor, profiles: Path) -> None:
    form = editor.form(MARGARET)
    new = [group for group in form.groups if group.section == "contacts" and group.new]
    assert [group.name for group in new] == ["contacts.2"] and form.field("contacts.2.name").value == ""
    outcome = edit(editor, {"contacts.1.remove": CHECKED, "contacts.2.name": "Sam Hughes", "contacts.2.relation": "son",
                            "contacts.2.address": "tel:+441179460000", "contacts.2.timezone": "Europe/London",
                            "contacts.2.call_hours": "10:00-18:00"})
    assert outcome.saved, outcome.errors
    removed = next(change for change in outcome.changes if change.field == "contacts.1")
    assert "Oliver" in removed.before and removed.after == ""
    contacts = loaded(profiles).contacts
    assert [(c.contact_id, c.name, c.relation) for c in contacts] == [("claire", "Claire", "daughter"),
                                                                       ("sam-hughes", "Sam Hughes", "son")]
    assert contacts[1].call_hours == TimeWindow(dt.time(10), dt.time(18))
    text = resident_file(profiles).read_text(encoding="utf-8")
    assert "# people the robot may call for her" in text and "sip:oliver" not in text
    assert "    call_hours: \"10:00-18:00\"\n\nmedication:" in text     # the blank line still ends the list
    assert editor.form(MARGARET).field("contacts.1.name").value == "Sam Hughes"


def test_a_contact_other_entries_refer_to_cannot_be_removed(editor: ProfileEditor, profiles: Path) -> None:
    """Margaret's Sunday call goes to Claire: removing Claire alone would leave it calling nobody."""
    before = resident_file(profiles).read_bytes()
    outcome = edit(editor, {"contacts.0.remove": CHECKED})
    assert not outcome.saved
    assert outcome.errors["_form"].startswith("scheduled_calls[0].contact: expected") and "'claire'" in \
        outcome.errors["_form"]
    assert resident_file(profiles).read_bytes() == before


def test_adding_a_medication_and_a_checkin(editor: ProfileEditor, profiles: Path) -> None:
    outcome = edit(editor, {"medication.2.name": "Paracetamol", "medication.2.dose": "two 500 mg tablets",
                            "medication.2.times": "bedtime", "checkins.0.instrument": "who5",
                            "checkins.0.at": "11:00", "checkins.0.weekdays": "sun"}, "r-1d6e58")
    assert outcome.saved, outcome.errors
    profile = loaded(profiles, "r-1d6e58")
    paracetamol = profile.medications[-1]
    assert (paracetamol.medication_id, paracetamol.times) == ("paracetamol", (dt.time(21),))
    assert [(c.instrument, c.at, c.weekdays) for c in profile.checkins] == [("who5", dt.time(11), frozenset({6}))]


def test_the_second_of_two_editors_from_the_same_version_is_told_which_fields_changed(profiles: Path) -> None:
    sam, jo = (ProfileEditor(profiles, profiles / "residents") for _ in range(2))
    sams_form, jos_form = sam.form(MARGARET), jo.form(MARGARET)
    assert sams_form.version == jos_form.version
    first = sam.save(MARGARET, {**sams_form.values(), "preferred_name": "Maggie", "hearing.rate_wpm": "110"},
                     sams_form.version, "sam")
    assert first.saved
    after_sam = resident_file(profiles).read_bytes()
    second = jo.save(MARGARET, {**jos_form.values(), "hearing.rate_wpm": "100"}, jos_form.version, "jo")
    assert not second.saved and second.conflict is not None and second.version == first.version
    assert resident_file(profiles).read_bytes() == after_sam             # Sam's save is not lost
    conflicts = {c.field: (c.before, c.saved, c.typed) for c in second.conflict.fields}
    assert conflicts == {"preferred_name": ("Margaret", "Maggie", "Margaret"),
                         "hearing.rate_wpm": ("120", "110", "100")}
    assert next(c for c in second.conflict.fields if c.field == "hearing.rate_wpm").label.startswith("Speaking speed")
    retry = jo.form(MARGARET)
    assert jo.save(MARGARET, {**retry.values(), "hearing.rate_wpm": "100"}, retry.version, "jo").saved
    assert loaded(profiles).preferred_name == "Maggie" and loaded(profiles).speech.rate_wpm == 100


def test_a_conflict_without_the_base_version_lists_what_differs_from_the_saved_file(profiles: Path,
                                                                                     editor: ProfileEditor) -> None:
    old = editor.form(MARGARET)
    assert edit(editor, {"address_as": "Margaret"}).saved
    restarted = ProfileEditor(profiles, profiles / "residents")           # knows no earlier version
    outcome = restarted.save(MARGARET, {**old.values(), "preferred_name": "Peggy"}, old.version, "jo")
    assert outcome.conflict is not None
    assert {(c.field, c.before, c.saved, c.typed) for c in outcome.conflict.fields} == {
        ("address_as", None, "Margaret", "Mrs Hughes"), ("preferred_name", None, "Margaret", "Peggy")}


def test_fhir_import_through_the_editor(editor: ProfileEditor, profiles: Path) -> None:
    bundle = (DATA / "good_bundle.json").read_bytes()
    form = editor.form(MARGARET)
    outcome = editor.import_fhir(MARGARET, bundle, form.version, "sam")
    assert outcome.saved, outcome.errors
    assert [c.field for c in outcome.changes] == ["medication"] and "metformin" in outcome.changes[0].after
    medications = {m.medication_id: m for m in loaded(profiles).medications}
    assert medications["metformin"].source == "fhir:MedicationRequest/mr-metformin"
    assert {"amlodipine", "alendronic-acid"} <= set(medications)             # staff's own entries stay
    imported = editor.form(MARGARET)
    assert "fhir:MedicationRequest" in next(f for f in imported.fields if f.value == "metformin").help
    again = editor.import_fhir(MARGARET, bundle, imported.version, "sam")
    assert not again.saved and again.changes == () and again.errors == {}     # the same orders: nothing to do
    stale = editor.import_fhir(MARGARET, bundle, form.version, "jo")
    assert not stale.saved and stale.conflict is not None


@pytest.mark.parametrize(("person_id", "bundle", "words"), [
    (HARPREET, "good_bundle.json", "expected every MedicationRequest's subject to be r-a07b3d"),
    (MARGARET, "bad_time_format.json", "the uploaded bundle: MedicationRequest/mr-8am"),
])
def test_a_bad_fhir_bundle_is_explained_and_nothing_is_written(editor: ProfileEditor, profiles: Path,
                                                               person_id: str, bundle: str, words: str) -> None:
    before = resident_file(profiles, person_id).read_bytes()
    outcome = editor.import_fhir(person_id, (DATA / bundle).read_bytes(), editor.form(person_id).version, "sam")
    assert not outcome.saved and words in outcome.errors["fhir"]
    assert resident_file(profiles, person_id).read_bytes() == before


def test_residents_are_listed_by_name_and_an_unknown_id_is_refused(editor: ProfileEditor) -> None:
    residents = editor.residents()
    names = [summary.preferred_name for summary in residents]
    assert names == sorted(names, key=str.casefold) and len(residents) == 7
    margaret = next(summary for summary in residents if summary.person_id == MARGARET)
    assert (margaret.preferred_name, margaret.locale, margaret.culture_id) == ("Margaret", "en-GB", "british_english")
    with pytest.raises(NoSuchResident):
        editor.form("../cultures/korean")
    with pytest.raises(ValueError, match="staff member"):
        editor.save(MARGARET, {}, editor.form(MARGARET).version, " ")


def test_form_options_offer_only_what_the_files_accept(editor: ProfileEditor) -> None:
    form: ResidentForm = editor.form("r-7e2c15")
    assert {"british_english", "korean"} <= {option.value for option in form.field("culture").options}
    assert {"en-GB", "ko-KR"} <= {option.value for option in form.field("locale").options}
    assert "daughter" in {option.value for option in form.field("contacts.0.relation").options}
    assert [option.value for option in form.field("consent").options] == ["none", "metrics", "full"]
    assert form.field("contacts.0.name").group == "contacts.0"
