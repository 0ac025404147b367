"""`carebot bench research`: the wellbeing store and research outputs on a synthetic study.

    carebot bench research [--residents 10] [--days 30] [--seed S] [--json] [--run-dir DIR]

A study of `residents` fictional residents (half in arm robot, half in control) over `days` days is written
through the store's own API: per resident-day three conversations (turns, intents, robot speech), two
medication doses, a family call every other day, an alert now and then, and weekly UCLA-3 and WHO-5
check-ins. The first day is appended one event at a time as the wellbeing_logger does (each a durable
transaction: that gives the write throughput), the rest one resident-day per transaction. Then the export
and the report are made from the database, pseudonymised with a throw-away secret.
Figures: store_events_per_s, events, db_bytes_per_resident_day, export_s, report_s, report_bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from robot.adapters.research_export import export
from robot.adapters.research_report import render
from robot.adapters.research_tables import build_tables, load_study
from robot.adapters.sqlite_store import SqliteWellbeingStore
from robot.core.records import (
    AlertRecord,
    CallRecord,
    CheckinAnswerRecord,
    CheckinResultRecord,
    ConsentChangeRecord,
    IntentRecord,
    Record,
    ReminderRecord,
    ReminderResponseRecord,
    SessionRecord,
    TurnRecord,
    UtteranceRecord,
)
from robot.paths import RUNS_DIR

UTC = dt.timezone.utc
START = dt.datetime(2026, 3, 2, tzinfo=UTC)
MOODS = (("joy", 0.8), ("calm", 0.4), ("neutral", 0.0), ("sad", -0.6), ("lonely", -0.7))
ITEMS = {"ucla3": 3, "who5": 5}
MODE = "robot-interviewer"


def person_id(index: int) -> str:
    return f"r-bench{index:03d}"


def _conversation(rng: random.Random, pid: str, start: dt.datetime, lift: float) -> list[Record]:
    session = f"{pid}/{start:%Y%m%dT%H%M%S}"
    records: list[Record] = [SessionRecord(start, session, pid, "started", "engaged")]
    at = start
    for _ in range(rng.randint(3, 8)):
        mood, valence = rng.choice(MOODS)
        valence = max(-1.0, min(1.0, valence + lift))
        at += dt.timedelta(seconds=rng.uniform(4, 20))
        records += [TurnRecord(at, session, pid, "resident", "chat", "", rng.uniform(0.5, 1.0), mood, 0.0, "en-GB",
                               round(valence, 3)),
                    IntentRecord(at, pid, "chat", rng.uniform(0.5, 1.0), "en-GB", ())]
        at += dt.timedelta(seconds=rng.uniform(0.6, 1.5))
        records += [TurnRecord(at, session, pid, "robot", "small_talk", "", 1.0, "", rng.uniform(0.4, 1.2), "en-GB"),
                    UtteranceRecord(at, pid, "small_talk", "", "en-GB", rng.uniform(1.0, 4.0))]
    return [*records, SessionRecord(at + dt.timedelta(seconds=30), session, pid, "ended", "disengaged")]


def _doses(rng: random.Random, pid: str, day: dt.datetime) -> list[Record]:
    records: list[Record] = []
    for hour, medication in ((9, "ramipril"), (18, "metformin")):
        due = day + dt.timedelta(hours=hour)
        reminder = f"{pid}/{medication}/{due:%Y-%m-%dT%H:%M}"
        outcome = "taken" if rng.random() < 0.85 else "missed"
        records += [ReminderRecord(due, reminder, pid, medication, medication, "one tablet", due, 1, "due", ""),
                    ReminderResponseRecord(due + dt.timedelta(minutes=1), reminder, pid,
                                           "taken" if outcome == "taken" else "no_answer", 0.9),
                    ReminderRecord(due + dt.timedelta(minutes=1), reminder, pid, medication, medication, "one tablet",
                                   due, 1, outcome, "")]
    return records


def _call(rng: random.Random, pid: str, at: dt.datetime) -> list[Record]:
    call = f"{pid}/call/{at:%Y%m%dT%H%M}"
    answered = rng.random() < 0.7
    states = ("dialling", "ringing", "connected", "ended") if answered else ("dialling", "ringing", "ended")
    duration = rng.uniform(60, 900) if answered else 0.0
    return [CallRecord(at + dt.timedelta(seconds=n), call, pid, "k1", "daughter", state,
                       ("answered" if answered else "no_answer") if state == "ended" else "",
                       duration if state == "ended" else 0.0) for n, state in enumerate(states)]


def _checkin(rng: random.Random, pid: str, at: dt.datetime, instrument: str, lift: float) -> list[Record]:
    checkin = f"{pid}/{instrument}/{at:%Y%m%d}"
    if instrument == "ucla3":
        values = [max(1, min(3, round(rng.gauss(2.0 - 2 * lift, 0.6)))) for _ in range(ITEMS[instrument])]
        score = float(sum(values))
    else:
        values = [max(0, min(5, round(rng.gauss(2.5 + 4 * lift, 1.0)))) for _ in range(ITEMS[instrument])]
        score = 4.0 * sum(values)
    answers: list[Record] = [
        CheckinAnswerRecord(at + dt.timedelta(seconds=20 * n), checkin, pid, f"{pid}/{at:%Y%m%dT%H%M%S}", instrument,
                            n + 1, "en-GB", value, 0.9, "", 1, MODE) for n, value in enumerate(values)]
    return [*answers, CheckinResultRecord(at + dt.timedelta(minutes=3), checkin, pid, instrument, True, score,
                                          len(values), MODE)]


def resident_day(rng: random.Random, index: int, day_number: int, arm: str) -> list[Record]:
    """One synthetic resident-day; the robot arm's mood and scores improve a little over the study."""
    pid = person_id(index)
    day = START + dt.timedelta(days=day_number)
    lift = 0.01 * day_number if arm == "robot" else 0.0
    records: list[Record] = []
    if day_number == 0:
        records.append(ConsentChangeRecord(day, pid, "", "metrics" if index % 3 else "full", "file", ""))
    for hour in (10, 14, 19):
        records += _conversation(rng, pid, day + dt.timedelta(hours=hour, minutes=rng.randint(0, 50)), lift)
    records += _doses(rng, pid, day)
    if day_number % 2 == index % 2:
        records += _call(rng, pid, day + dt.timedelta(hours=16))
    if rng.random() < 0.1:
        records.append(AlertRecord(day + dt.timedelta(hours=11), f"{pid}/alert/{day_number}", pid, "warning",
                                   "medication", "", ()))
    if day_number % 7 == index % 7:
        for instrument in ITEMS:
            records += _checkin(rng, pid, day + dt.timedelta(hours=15), instrument, lift)
    return sorted(records, key=lambda record: record.at)


def arms(residents: int) -> dict[str, list[str]]:
    return {"robot": [person_id(i) for i in range(residents) if i % 2 == 0],
            "control": [person_id(i) for i in range(residents) if i % 2 == 1]}


def _days(residents: int, days: int, seed: int) -> Iterator[tuple[int, list[Record]]]:
    rng = random.Random(seed)
    arm_of = {pid: arm for arm, people in arms(residents).items() for pid in people}
    for day_number in range(days):
        for index in range(residents):
            yield day_number, resident_day(rng, index, day_number, arm_of[person_id(index)])


def write_study(run_dir: Path, residents: int, days: int, seed: int) -> dict[str, float]:
    """The synthetic database and study file in `run_dir`; the store's figures."""
    database = run_dir / "wellbeing.db"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "study.yaml").write_text(yaml.safe_dump({"study": "synthetic bench study", "arms": arms(residents)}),
                                        encoding="utf-8")
    store = SqliteWellbeingStore(database)
    one_by_one = batched = 0
    elapsed = 0.0
    try:
        for day_number, records in _days(residents, days, seed):
            if day_number == 0:
                started = time.perf_counter()
                for record in records:
                    store.append(record)
                elapsed += time.perf_counter() - started
                one_by_one += len(records)
            else:
                store.append_many(records)
                batched += len(records)
    finally:
        store.close()
    size = sum(path.stat().st_size for path in run_dir.glob("wellbeing.db*"))
    return {"store_events_per_s": round(one_by_one / elapsed, 1), "events": one_by_one + batched,
            "db_bytes_per_resident_day": round(size / (residents * days))}


def run_benchmark(run_dir: Path, residents: int = 10, days: int = 30, seed: int = 1) -> dict[str, Any]:
    """Write the study, then time the export and the report of all of it."""
    figures: dict[str, Any] = {"residents": residents, "days": days, **write_study(run_dir, residents, days, seed)}
    started = time.perf_counter()
    tables = build_tables(run_dir / "wellbeing.db", secrets.token_bytes(32), load_study(run_dir / "study.yaml"))
    export(tables, run_dir / "export")
    figures["export_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    report = run_dir / "report.html"
    report.write_text(render(tables), encoding="utf-8")
    figures["report_s"] = round(time.perf_counter() - started, 2)
    figures["report_bytes"] = report.stat().st_size
    figures["run_dir"] = str(run_dir)
    return figures


def add_bench_research_parser(bench_commands: Any) -> None:
    bench = bench_commands.add_parser("research", help="store throughput, DB size, export + report time "
                                      "on a synthetic study")
    bench.add_argument("--residents", type=int, default=10, metavar="N")
    bench.add_argument("--days", type=int, default=30, metavar="D")
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--json", action="store_true", help="print one JSON object (else one figure per line)")
    bench.add_argument("--run-dir", type=Path, metavar="DIR",
                       help="where to write (default: runs/research-bench-<time>; must not hold a wellbeing.db)")
    bench.set_defaults(command=_bench)


def _bench(arguments: argparse.Namespace) -> int:
    if arguments.residents < 2 or arguments.days < 1:
        print("carebot bench research: expected --residents >= 2 (two arms) and --days >= 1", file=sys.stderr)
        return 2
    run_dir = arguments.run_dir or RUNS_DIR / f"research-bench-{dt.datetime.now():%Y%m%d-%H%M%S}"
    if (run_dir / "wellbeing.db").exists():
        print(f"carebot bench research: {run_dir} holds a wellbeing.db already; give a new --run-dir",
              file=sys.stderr)
        return 2
    figures = run_benchmark(run_dir, arguments.residents, arguments.days, arguments.seed)
    print(json.dumps(figures) if arguments.json else "\n".join(f"{key}: {value}" for key, value in figures.items()))
    return 0
