"""Staff-set timing rules (e.g. a fast): a dose due outside the allowed windows is first prompted when the
next window opens, with the reason in the note; never dropped, never doubled, DST-safe. Also the rule as
staff write it in a resident file and as `carebot meds due` shows it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from robot.adapters.yaml_profiles import load_home
from robot.cli import main
from robot.core.medication import (
    Answer, FirstPrompt, ReminderPolicy, ReminderState, ReminderTracker, ReminderUpdate, doses_due,
    plan_first_prompt,
)
from robot.core.profile import (
    Greeting, Medication, ProfileError, ResidentProfile, SpeechStyle, TimeWindow, TimingRule, parse_time_window,
)
from robot.paths import PROFILES_DIR

UTC = dt.timezone.utc
FIRST, LAST = dt.date(2026, 2, 18), dt.date(2026, 3, 19)   # Ramadan 2026; 2026-03-19 is a Thursday
QUIET = (parse_time_window("22:00-07:00"),)


def at(day: dt.date, clock: str, zone: str = "UTC") -> dt.datetime:
    """A local wall time as a UTC instant (only for times that exist exactly once)."""
    local = dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def medication(medication_id: str, *times: str) -> Medication:
    return Medication(medication_id=medication_id, name=medication_id.capitalize(), dose="one tablet",
                      times=tuple(dt.time.fromisoformat(t) for t in times))


def fast(*windows: str, first: dt.date = FIRST, last: dt.date = LAST, only: tuple[str, ...] = ()) -> TimingRule:
    return TimingRule(name="Ramadan fast", first_day=first, last_day=last,
                      prompt_only=tuple(parse_time_window(w) for w in windows), medication_ids=frozenset(only))


def resident(*medications: Medication, rules: tuple[TimingRule, ...] = (), timezone: str = "Europe/London",
             quiet_hours: tuple[TimeWindow, ...] = ()) -> ResidentProfile:
    return ResidentProfile(
        person_id="r01", preferred_name="Yusuf", address_as="Mr Khan", culture_id="british",
        locale="en-GB", timezone=timezone, greeting=Greeting("wave", True), speech=SpeechStyle(130.0, 0.8, 1.5),
        topics=(), avoided_topics=(), medications=medications, quiet_hours=quiet_hours, timing_rules=rules)


def plans(profile: ResidentProfile, day: dt.date) -> dict[str, FirstPrompt]:
    return {dose.reminder_id: plan_first_prompt(profile, dose, ReminderPolicy()) for dose in doses_due(profile, day)}


def first_prompts(profile: ResidentProfile, days: list[dt.date]) -> dict[str, tuple[dt.datetime, str]]:
    """Run a tracker through `days` (each prompt answered "taken" at once): reminder id -> (first prompt, note)."""
    tracker = ReminderTracker(ReminderPolicy())
    for day in days:
        tracker.schedule(profile, day)
    prompted: dict[str, tuple[dt.datetime, str]] = {}
    for _ in range(10_000):   # a bound far above the number of doses: one deadline each
        deadline = tracker.next_deadline()
        if deadline is None:
            break
        for effect in tracker.tick(deadline).effects:
            if isinstance(effect, ReminderUpdate) and effect.state is ReminderState.DUE:
                assert effect.dose.reminder_id not in prompted, f"{effect.dose.reminder_id} prompted twice"
                prompted[effect.dose.reminder_id] = (effect.at, effect.note)
                tracker.record_answer(effect.dose.reminder_id, Answer.TAKEN, effect.at)
    assert tracker.next_deadline() is None, "the tracker kept finding deadlines"
    return prompted


# -- when the first prompt comes ------------------------------------------------------------------------

def test_a_dose_due_in_the_fast_is_moved_to_the_window_start_and_its_note_says_why() -> None:
    profile = resident(medication("metformin", "08:00", "20:00"), rules=(fast("18:30-04:30"),))
    day = dt.date(2026, 3, 2)   # GMT: local time is UTC
    prompted = first_prompts(profile, [day])
    assert prompted == {
        "r01/metformin/2026-03-02T08:00": (at(day, "18:30"), "prompt 1 of 3, moved for Ramadan fast"),
        "r01/metformin/2026-03-02T20:00": (at(day, "20:00"), "prompt 1 of 3"),
    }


def test_a_moved_dose_is_not_late_and_not_prompted_before_the_window() -> None:
    profile = resident(medication("metformin", "08:00"), rules=(fast("18:30-04:30"),))
    day = dt.date(2026, 3, 2)
    tracker = ReminderTracker(ReminderPolicy())
    tracker.schedule(profile, day)
    assert tracker.tick(at(day, "08:00")).effects == () and tracker.tick(at(day, "18:29")).effects == ()
    [update] = tracker.tick(at(day, "18:40")).effects
    assert isinstance(update, ReminderUpdate) and update.state is ReminderState.DUE
    assert update.note == "prompt 1 of 3, moved for Ramadan fast, 10 min late"   # late only from 18:30


def test_a_window_crossing_midnight_allows_both_sides_of_it() -> None:
    profile = resident(medication("metformin", "03:00", "05:00", "23:00"), rules=(fast("18:30-04:30"),))
    day = dt.date(2026, 3, 2)
    assert {rid[-5:]: plan.at for rid, plan in plans(profile, day).items()} == {
        "03:00": at(day, "03:00"), "05:00": at(day, "18:30"), "23:00": at(day, "23:00")}


def test_only_the_named_medications_and_the_rule_dates_are_affected() -> None:
    profile = resident(medication("metformin", "08:00"), medication("vitamin-d", "09:00"),
                       rules=(fast("18:30-04:30", first=dt.date(2026, 3, 2), last=dt.date(2026, 3, 4),
                                   only=("metformin",)),))
    moved = {rid for day in (dt.date(2026, 3, 1) + dt.timedelta(days=n) for n in range(6))
             for rid, plan in plans(profile, day).items() if plan.moved_for}
    assert moved == {"r01/metformin/2026-03-02T08:00", "r01/metformin/2026-03-03T08:00",
                     "r01/metformin/2026-03-04T08:00"}


def test_a_rule_ending_mid_week_moves_doses_up_to_its_last_day_only() -> None:
    profile = resident(medication("metformin", "08:00"), rules=(fast("18:30-04:30"),))
    wednesday, thursday, friday = LAST - dt.timedelta(days=1), LAST, LAST + dt.timedelta(days=1)
    prompted = first_prompts(profile, [wednesday, thursday, friday])
    assert [prompted[f"r01/metformin/{day}T08:00"][0] for day in (wednesday, thursday, friday)] == [
        at(wednesday, "18:30"), at(thursday, "18:30"), at(friday, "08:00")]


def test_the_last_day_of_a_short_window_gives_way_to_the_day_after_the_rule() -> None:
    profile = resident(medication("metformin", "07:00"), rules=(fast("05:00-06:00", last=LAST),))
    [plan] = plans(profile, LAST).values()
    assert plan == FirstPrompt(at(LAST + dt.timedelta(days=1), "00:00"), ("Ramadan fast",))   # the rule is over


def test_with_quiet_hours_the_prompt_waits_for_the_first_moment_both_allow() -> None:
    profile = resident(medication("metformin", "02:00", "23:00"), quiet_hours=QUIET,
                       rules=(fast("05:00-09:00", "18:30-04:30"),))
    day = dt.date(2026, 3, 2)
    early, late = (plans(profile, day)[f"r01/metformin/2026-03-02T{t}"] for t in ("02:00", "23:00"))
    assert early == FirstPrompt(at(day, "07:00"), ("quiet hours",))           # the later of 05:00 and 07:00
    next_day = day + dt.timedelta(days=1)
    assert late == FirstPrompt(at(next_day, "07:00"), ("quiet hours",))       # 07:00 is inside 05:00-09:00
    evening_only = resident(medication("metformin", "23:00"), quiet_hours=QUIET, rules=(fast("18:30-04:30"),))
    [plan] = plans(evening_only, day).values()
    assert plan == FirstPrompt(at(next_day, "18:30"), ("quiet hours", "Ramadan fast"))   # 07:00 is in the fast
    eve = FIRST - dt.timedelta(days=1)   # the fast holds from its first day's 00:00, whatever day the dose is of
    [plan] = plans(evening_only, eve).values()
    assert plan == FirstPrompt(at(FIRST, "18:30"), ("quiet hours", "Ramadan fast"))


SPRING = dt.date(2026, 3, 29)   # London: GMT until 01:00 UTC, then BST


def test_across_the_spring_switch_the_window_is_local_time() -> None:
    saturday, sunday = SPRING - dt.timedelta(days=1), SPRING
    profile = resident(medication("metformin", "08:00"), rules=(fast("18:30-04:30", first=saturday, last=sunday),))
    assert [plan.at for day in (saturday, sunday) for plan in plans(profile, day).values()] == [
        dt.datetime(2026, 3, 28, 18, 30, tzinfo=UTC), dt.datetime(2026, 3, 29, 17, 30, tzinfo=UTC)]


def test_a_window_opening_in_the_spring_gap_opens_when_the_clocks_have_gone_forward() -> None:
    profile = resident(medication("metformin", "00:30"), rules=(fast("01:30-04:30", first=SPRING, last=SPRING),))
    [plan] = plans(profile, SPRING).values()
    assert plan.at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)   # 02:00 BST, the first instant after 01:30


def test_a_window_opening_in_the_repeated_autumn_hour_opens_at_its_first_occurrence() -> None:
    profile = resident(medication("metformin", "00:30"),
                       rules=(fast("01:30-04:30", first=dt.date(2026, 10, 25), last=dt.date(2026, 10, 25)),))
    [plan] = plans(profile, dt.date(2026, 10, 25)).values()
    assert plan.at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)   # 01:30 BST, before the clocks go back


def test_over_the_whole_fast_every_dose_is_prompted_once_with_the_same_ids_as_without_the_rule() -> None:
    days = [FIRST - dt.timedelta(days=2) + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 5)]
    meds = (medication("metformin", "08:00", "12:00", "20:00"), medication("vitamin-d", "09:00"))
    with_rule = first_prompts(resident(*meds, quiet_hours=QUIET, rules=(fast("18:30-04:30"),)), days)
    without = first_prompts(resident(*meds, quiet_hours=QUIET), days)
    assert with_rule.keys() == without.keys() and len(with_rule) == 4 * len(days)
    moved = {rid for rid, (_, note) in with_rule.items() if "moved for Ramadan fast" in note}
    assert len(moved) == 3 * (LAST - FIRST).days + 3                            # 08:00, 12:00, 09:00 each fast day
    assert all(dt.timedelta(0) <= with_rule[rid][0] - without[rid][0] < dt.timedelta(hours=11) for rid in with_rule)


def test_a_restart_before_the_moved_prompt_keeps_the_moved_time_and_the_reason() -> None:
    profile = resident(medication("metformin", "08:00"), rules=(fast("18:30-04:30"),))
    day = dt.date(2026, 3, 2)
    before, after = ReminderTracker(ReminderPolicy()), ReminderTracker(ReminderPolicy())
    before.schedule(profile, day)
    after.schedule(profile, day)   # not yet prompted: the record is recomputed from the profile
    assert after.records() == before.records() and after.next_deadline() == at(day, "18:30")
    assert [record.moved_for for record in after.records()] == [("Ramadan fast",)]


def test_a_rule_must_end_on_or_after_its_start_and_allow_some_time() -> None:
    with pytest.raises(ValueError, match="ends 2026-02-17 before it starts 2026-02-18"):
        fast("18:30-04:30", last=FIRST - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="needs a window"):
        fast()


# -- the rule in a resident file and in `carebot meds due` ------------------------------------------------

RULE = """
timing_rules:
  - name: Ramadan fast
    from: 2026-02-18
    to: 2026-03-19
    prompt_only: ["18:30-04:30"]
    medication: [metformin]
"""


@pytest.fixture
def residents(tmp_path: Path) -> Path:
    folder = tmp_path / "residents"
    folder.mkdir()
    return folder


def write_jan(folder: Path, rule: str) -> Path:
    """Jan's file (metformin 08:00 and 18:00, quiet hours 22:00-07:00) with `rule` added."""
    path = folder / "r-5e9f22.yaml"
    path.write_text((PROFILES_DIR / "residents" / "r-5e9f22.yaml").read_text(encoding="utf-8") + rule, encoding="utf-8")
    return path


def test_a_resident_file_rule_is_loaded(residents: Path) -> None:
    write_jan(residents, RULE)
    profile = load_home(PROFILES_DIR, residents).resident("r-5e9f22")
    assert profile.timing_rules == (fast("18:30-04:30", only=("metformin",)),)
    write_jan(residents, RULE.replace("    medication: [metformin]\n", ""))
    assert load_home(PROFILES_DIR, residents).resident("r-5e9f22").timing_rules == (fast("18:30-04:30"),)


@pytest.mark.parametrize("old, new, field, expected, line_has", [
    ("to: 2026-03-19", "to: 2026-02-17", "timing_rules[0].to", "a date on or after from (2026-02-18), got '2026-02-17'",
     "to: 2026-02-17"),
    ("[metformin]", "[metformine]", "timing_rules[0].medication[0]",
     "the id of a medication in this file (metformin, vitamin-d), got 'metformine'", "medication: [metformine]"),
    ('["18:30-04:30"]', '["23:00-06:00"]', "timing_rules[0].prompt_only",
     "windows with some time outside quiet_hours (else the reminders could never be given), got 23:00-06:00",
     "prompt_only"),
    ('["18:30-04:30"]', '["6pm-4am"]', "timing_rules[0].prompt_only[0]", "a time window HH:MM-HH:MM", "6pm-4am"),
    ("from: 2026-02-18", "from: 18/02/2026", "timing_rules[0].from", "a date YYYY-MM-DD", "from: 18/02/2026"),
    ("  - name: Ramadan fast\n", "  - name: Ramadan fast\n    until: 2026-03-19\n", "timing_rules[0].until",
     "one of the keys name, from, to, prompt_only, medication", "until"),
    ("    from: 2026-02-18\n", "", "timing_rules[0].from", "a value (this key is required)", "name: Ramadan fast"),
])
def test_a_bad_rule_is_named_by_file_line_field_and_expectation(
        residents: Path, old: str, new: str, field: str, expected: str, line_has: str) -> None:
    assert old in RULE
    path = write_jan(residents, RULE.replace(old, new))
    with pytest.raises(ProfileError) as caught:
        load_home(PROFILES_DIR, residents)
    error = caught.value
    assert (error.field, error.file, error.line is not None) == (field, str(path), True)
    assert line_has in path.read_text(encoding="utf-8").splitlines()[(error.line or 0) - 1]
    assert f"{field}: expected {expected}" in str(error)


def test_meds_due_shows_the_moved_time_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["meds", "due", "--resident", "r-a07b3d", "--date", "2026-10-29", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert code == 0 and rows == [
        {"medication": "levothyroxine", "medication_id": "levothyroxine", "dose": "one 50 microgram tablet",
         "due": "2026-10-29T08:00:00+00:00", "prompt": "2026-10-29T19:30:00+00:00", "moved_for": "Karva Chauth fast"},
        {"medication": "atorvastatin", "medication_id": "atorvastatin", "dose": "one 20 mg tablet",
         "due": "2026-10-29T20:00:00+00:00"},
    ]
    main(["meds", "due", "--resident", "r-a07b3d", "--date", "2026-10-30", "--json"])
    assert all("prompt" not in row for row in json.loads(capsys.readouterr().out))
