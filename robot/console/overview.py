"""Residents at a glance: today's doses and how they went, open alerts, the last conversation, the mood trend.

Read from the wellbeing database (read-only, while the logger writes) and the alert desk's open list. "Today"
is the resident's own calendar day on the robot's clock; the mood trend is the daily mean of the valence the
robot estimated from the resident's turns over the last week.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from robot.adapters.sqlite_store import WellbeingReader
from robot.core.alert_desk import TrackedAlert

MOOD_DAYS = 7
DOSE_WORDS = {"due": "reminded, no answer yet", "taken": "taken", "declined": "declined", "snoozed": "later",
              "escalated": "staff told", "missed": "missed"}
"""reminder_events states in plain words."""


@dataclass(frozen=True)
class Resident:
    """What staff pages need to name a resident and place their day."""

    person_id: str
    name: str
    timezone: str


@dataclass(frozen=True)
class DoseToday:
    reminder_id: str
    medication: str
    dose: str
    due: str          # HH:MM in the resident's time zone
    outcome: str      # plain words
    state: str        # the reminder_events state (for styling)


@dataclass(frozen=True)
class MoodDay:
    day: dt.date
    valence: float | None   # None: no mood that day


@dataclass(frozen=True)
class Glance:
    resident: Resident
    doses: tuple[DoseToday, ...]
    open_alerts: tuple[TrackedAlert, ...]
    last_conversation: str   # "" if never, else "Mon 2 Mar 14:05" in their time zone
    mood: tuple[MoodDay, ...]
    mood_words: str


def parse_at(text: str) -> dt.datetime:
    """A stored time (ISO 8601 UTC with Z) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_text(moment: dt.datetime, zone: str) -> str:
    """A time as staff read it: 'Mon 2 Mar 14:05' in `zone`."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _rows(reader: WellbeingReader | None, table: str, person_id: str) -> list[dict[str, Any]]:
    if reader is None or table not in reader.tables():
        return []
    return reader.rows(table, person_id=person_id)


def doses_today(rows: Iterable[dict[str, Any]], today: dt.date, zone: str) -> tuple[DoseToday, ...]:
    """Each dose due on the resident's `today`, with its latest state, in order of due time."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        due = parse_at(row["due"]).astimezone(ZoneInfo(zone))
        if due.date() == today:
            latest[row["reminder_id"]] = {**row, "local_due": due}
    return tuple(DoseToday(row["reminder_id"], row["medication"], row["dose"], f"{row['local_due']:%H:%M}",
                           DOSE_WORDS.get(row["state"], row["state"]), row["state"])
                 for row in sorted(latest.values(), key=lambda row: row["local_due"]))


def mood_days(rows: Iterable[dict[str, Any]], today: dt.date, zone: str) -> tuple[MoodDay, ...]:
    """Daily mean valence of the resident's own turns over the last MOOD_DAYS days (today last)."""
    first = today - dt.timedelta(days=MOOD_DAYS - 1)
    values: dict[dt.date, list[float]] = defaultdict(list)
    for row in rows:
        if row["speaker"] != "resident" or row.get("mood_valence") is None or not row.get("mood"):
            continue
        day = parse_at(row["at"]).astimezone(ZoneInfo(zone)).date()
        if first <= day <= today:
            values[day].append(float(row["mood_valence"]))
    days = (first + dt.timedelta(days=offset) for offset in range(MOOD_DAYS))
    return tuple(MoodDay(day, round(sum(values[day]) / len(values[day]), 2) if values[day] else None)
                 for day in days)


def mood_words(days: Sequence[MoodDay]) -> str:
    """The trend in plain words: the week's level, and whether the last three days are better or worse."""
    known = [day.valence for day in days if day.valence is not None]
    if not known:
        return "No mood noted this week"
    mean = sum(known) / len(known)
    level = "mostly cheerful" if mean > 0.2 else "mostly low" if mean < -0.2 else "mixed"
    recent = [day.valence for day in days[-3:] if day.valence is not None]
    earlier = [day.valence for day in days[:-3] if day.valence is not None]
    if not recent or not earlier:
        return f"Mood this week: {level}"
    change = sum(recent) / len(recent) - sum(earlier) / len(earlier)
    trend = "better lately" if change > 0.15 else "lower lately" if change < -0.15 else "steady"
    return f"Mood this week: {level}, {trend}"


def last_conversation(rows: Iterable[dict[str, Any]], zone: str) -> str:
    times = [parse_at(row["at"]) for row in rows]
    return local_text(max(times), zone) if times else ""


def glance(resident: Resident, reader: WellbeingReader | None, alerts: Sequence[TrackedAlert],
           now: dt.datetime) -> Glance:
    today = now.astimezone(ZoneInfo(resident.timezone)).date()
    days = mood_days(_rows(reader, "turns", resident.person_id), today, resident.timezone)
    return Glance(resident=resident,
                  doses=doses_today(_rows(reader, "reminder_events", resident.person_id), today, resident.timezone),
                  open_alerts=tuple(a for a in alerts if a.alert.person_id == resident.person_id),
                  last_conversation=last_conversation(_rows(reader, "session_events", resident.person_id),
                                                      resident.timezone),
                  mood=days, mood_words=mood_words(days))


@dataclass(frozen=True)
class AckLine:
    """One acknowledged alert for the history list."""

    alert_id: str
    person_id: str
    summary: str
    acknowledged_by: str
    at: dt.datetime
    note: str


def acknowledged(reader: WellbeingReader | None, limit: int = 30) -> list[AckLine]:
    """The newest acknowledgements first (the first acknowledgement of each alert, as the desk counts them)."""
    if reader is None or not {"alerts", "alert_acks"} <= reader.tables():
        return []
    alerts = {row["alert_id"]: row for row in reader.rows("alerts")}
    first: dict[str, dict[str, Any]] = {}
    for row in reader.rows("alert_acks"):
        first.setdefault(row["alert_id"], row)
    lines = [AckLine(alert_id, alerts.get(alert_id, {}).get("person_id", ""),
                     alerts.get(alert_id, {}).get("summary", "(alert not in the database)"),
                     row["acknowledged_by"], parse_at(row["at"]), row["note"] or "")
             for alert_id, row in first.items()]
    return sorted(lines, key=lambda line: line.at, reverse=True)[:limit]


def open_reader(path: Path | None) -> WellbeingReader | None:
    """A reader on the database, or None when there is none yet (the robot has not logged anything)."""
    if path is None or not path.is_file():
        return None
    return WellbeingReader(path)


def roster(profiles_dir: Path, residents_dir: Path) -> tuple[list[Resident], str]:
    """The residents (name, time zone) in the profiles, or none and the first problem in them."""
    from robot.adapters.yaml_profiles import load_home
    from robot.core.profile import ProfileError

    try:
        home = load_home(profiles_dir, residents_dir)
    except ProfileError as error:
        return [], str(error)
    residents = [Resident(p.person_id, p.preferred_name, p.timezone) for p in home.residents.values()]
    return sorted(residents, key=lambda resident: resident.name.casefold()), ""
