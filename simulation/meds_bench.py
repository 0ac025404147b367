"""`carebot bench meds`: medication reminders for a simulated week, counted from what was published.

    carebot bench meds [--residents 10] [--days 7] [--doses 4] [--restarts N] [--seed S] [--json] [--run-dir DIR]

1. Fictional residents (pseudonymous ids, mixed time zones, the first in Europe/London, whose clocks go
   forward inside the default week) with `doses` doses a day are written into the run folder.
2. medication_reminder runs as its own process, and sim_clock once per simulated day (a scenario lasts
   at most 24 h), both started from launch/graph.yaml by the project's launcher, on loopback DDS in the
   run's own domain.
3. An answering driver in this process (an rclpy node) answers each prompt as a resident would (seeded:
   mostly taken, some "later", some refusals, some silence), records every /medication/reminders and
   /care/alerts message, and announces its answer times on /schedule/deadlines so the fast clock lands
   on them.
4. With `--restarts N` it SIGKILLs the reminder process (by the pid it started) at N seeded sim moments,
   half of them exactly when a dose falls due, holds the clock at its active pace (/robot_speaking) while
   the process restarts, and lets it go once the new process announces its deadlines.
5. The figures compare the published messages with the doses the generated schedules call for (computed
   here, independently of the reminder code). Exit 1 if any of FAILING_FIGURES is above 0: a dose lost
   (never prompted, never marked missed with a staff alert), a prompt doubled, a staff alert doubled, a
   dose left unsettled (neither taken nor escalated/missed with an alert), or a prompt for a dose or
   time the schedules do not have. `skipped_prompts` (a prompt whose message nobody received, so the
   next attempt came first) is reported, not judged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import yaml

from robot.adapters.yaml_profiles import load_home
from robot.core.alerts import StaffAlert
from robot.core.medication import Answer, ReminderState, ReminderUpdate
from robot.core.profile import ProfileError
from robot.graph import NodeCommand, load_graph, node_command, node_environment, run_context
from robot.launcher import Launcher, Outcome, RunResult
from robot.paths import PROFILES_DIR
from robot.rosenv import ensure_loopback_only
from simulation.scenario import MAX_DURATION_HOURS, Behaviour, Scenario, ScenarioResident, dump_scenario, epoch_ns

UTC = dt.timezone.utc
START = dt.datetime(2026, 3, 25, 1, 30, tzinfo=UTC)
"""Wednesday: Europe's clocks go forward on Sunday 29 March 2026 at 01:00 UTC, inside a week from here."""
ZONES = ("Europe/London", "Asia/Kolkata", "Europe/Berlin", "Atlantic/Azores", "Europe/Istanbul",
         "Europe/Helsinki", "Asia/Dubai", "Europe/Lisbon")
"""Residents' zones in turn. At START every one of them is between local midnight and FIRST_DOSE, so no
dose of the first local day falls before the run starts."""
FIRST_DOSE = dt.time(7, 30)
LAST_DOSE = dt.time(21, 30)
DOSE_JITTER_MIN = (0, 5, 10, 15, 20)
QUIET_HOURS = "22:00-07:00"
MAX_DOSES = 8
MEDICATIONS = (("metformin", "one 500 mg tablet"), ("amlodipine", "one 5 mg tablet"),
               ("paracetamol", "two 500 mg tablets"), ("levothyroxine", "one 50 microgram tablet"),
               ("atorvastatin", "one 20 mg tablet"), ("omeprazole", "one 20 mg capsule"),
               ("donepezil", "one 5 mg tablet"), ("furosemide", "one 40 mg tablet"))
TEMPLATE_CULTURES = (("british_english", "en-GB"), ("polish", "pl-PL"), ("spanish_andalusian", "es-ES"),
                     ("korean", "ko-KR"), ("punjabi_uk", "en-GB"), ("japanese", "ja-JP"), ("jamaican_uk", "en-GB"))

ANSWERS: tuple[Answer | None, ...] = (Answer.TAKEN, Answer.LATER, Answer.DECLINED, None)   # None: silence
USUAL_WEIGHTS = (0.72, 0.10, 0.06, 0.12)
DROWSY_WEIGHTS = (0.35, 0.10, 0.10, 0.45)
DROWSY_EVERY = 5            # every fifth resident is often silent, so some doses end with staff alerted
ANSWER_DELAY_S = (3.0, 40.0)
ANSWER_CONFIDENCE = 0.9

ON_TIME = dt.timedelta(seconds=1)
DUE_TOLERANCE = dt.timedelta(milliseconds=1)      # ROS stamps round to the nanosecond, datetimes to the µs
FINISH_WITHIN = dt.timedelta(hours=2)             # a dose due this long before the end must be settled
CHUNK = dt.timedelta(hours=MAX_DURATION_HOURS)    # one sim_clock run (the longest scenario: a week)
KILL_AFTER_CHUNK_START = dt.timedelta(minutes=10)
KILL_BEFORE_CHUNK_END = dt.timedelta(minutes=30)  # a restart (held clock) is over long before the day ends
KILL_SPACING = dt.timedelta(hours=1)
KILL_DRAWS = 1000

REMINDER_NODE = "medication_reminder"
CLOCK_NODE = "sim_clock"
DRIVER_NODE = "meds_bench_driver"
CLOCK_SUBSCRIBERS = 2                             # medication_reminder and the driver follow /clock
EXTRA_PARAMS: dict[str, dict[str, Any]] = {CLOCK_NODE: {"expected_sources": [REMINDER_NODE]}}
"""Each day's clock starts once medication_reminder has announced its deadlines (there is no dialogue here)."""
DRIVER_TICK_S = 0.05
SPIN_S = 0.02
DAY_TIMEOUT_S = 900.0                             # wall seconds per simulated day
CLOCK_START_TIMEOUT_S = 30.0
CLOCK_START_ATTEMPTS = 3
RESTART_TIMEOUT_S = 60.0
DRAIN_ROUNDS = 100                                # spins after the last tick, for messages still in flight
EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class BenchError(RuntimeError):
    """The benchmark could not run to the end (a node failed, a restart never came up, ...)."""


class BenchInputError(ValueError):
    """The arguments cannot describe a run (e.g. more restarts than the simulated days leave room for)."""


@dataclass(frozen=True)
class BenchConfig:
    residents: int = 10
    days: int = 7
    doses: int = 4
    restarts: int = 0
    seed: int = 1

    def __post_init__(self) -> None:
        for name, low, high in (("residents", 1, 200), ("days", 1, 60), ("doses", 1, MAX_DOSES),
                                ("restarts", 0, 1000)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise BenchInputError(f"--{name}: expected {low}..{high}, got {value}")

    @property
    def end(self) -> dt.datetime:
        return START + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class ScheduledMedication:
    medication_id: str
    name: str
    dose: str
    time: dt.time    # local


@dataclass(frozen=True)
class GeneratedResident:
    person_id: str
    timezone: str
    culture: str
    locale: str
    drowsy: bool
    medications: tuple[ScheduledMedication, ...]


@dataclass(frozen=True)
class ExpectedDose:
    reminder_id: str
    person_id: str
    due: dt.datetime   # UTC


# ---------------------------------------------------------------------------------------- the residents

def dose_times(doses: int, rng: random.Random) -> list[dt.time]:
    """`doses` local times spread from FIRST_DOSE to LAST_DOSE, each a few minutes later at random."""
    first = FIRST_DOSE.hour * 60 + FIRST_DOSE.minute
    span = LAST_DOSE.hour * 60 + LAST_DOSE.minute - first
    bases = [first + span * slot // (doses - 1) for slot in range(doses)] if doses > 1 else [first + 90]
    return [dt.time(*divmod(base + rng.choice(DOSE_JITTER_MIN), 60)) for base in bases]


def generate_residents(config: BenchConfig) -> list[GeneratedResident]:
    """Fictional residents, reproducible from the seed: ids, zones, cultures and dose times."""
    rng = random.Random(config.seed)
    ids: list[str] = []
    while len(ids) < config.residents:
        candidate = f"r-{rng.getrandbits(24):06x}"
        if candidate not in ids:
            ids.append(candidate)
    residents = []
    for index, person_id in enumerate(ids):
        culture, locale = TEMPLATE_CULTURES[index % len(TEMPLATE_CULTURES)]
        medications = tuple(
            ScheduledMedication(name, name, dose, time)
            for slot, time in enumerate(dose_times(config.doses, rng))
            for name, dose in [MEDICATIONS[(slot + index) % len(MEDICATIONS)]])
        residents.append(GeneratedResident(person_id, ZONES[index % len(ZONES)], culture, locale,
                                           drowsy=index % DROWSY_EVERY == DROWSY_EVERY - 1, medications=medications))
    return residents


def profile_document(resident: GeneratedResident, number: int) -> dict[str, Any]:
    """A resident profile file's content (profiles/residents format)."""
    return {
        "id": resident.person_id,
        "preferred_name": f"Resident {number}",
        "address_as": f"Resident {number}",
        "culture": resident.culture,
        "locale": resident.locale,
        "timezone": resident.timezone,
        "consent": "metrics",
        "medication": [{"id": m.medication_id, "name": m.name, "dose": m.dose,
                        "times": [f"{m.time:%H:%M}"], "with_food": False} for m in resident.medications],
        "quiet_hours": [QUIET_HOURS],
    }


def write_profiles(residents: Sequence[GeneratedResident], run_dir: Path) -> None:
    """Write the residents into `run_dir`/residents and snapshot the project's cultures and phrase banks
    into `run_dir`/profiles (a restarted node reads what the first one read, whatever is edited meanwhile);
    then load them as the nodes will (ProfileError if anything is wrong)."""
    shutil.copytree(PROFILES_DIR, run_dir / "profiles", ignore=shutil.ignore_patterns("residents"))
    residents_dir = run_dir / "residents"
    residents_dir.mkdir(parents=True, exist_ok=True)
    for number, resident in enumerate(residents, start=1):
        text = "# FICTIONAL resident generated by `carebot bench meds`\n" + yaml.safe_dump(
            profile_document(resident, number), sort_keys=False, allow_unicode=True)
        (residents_dir / f"{resident.person_id}.yaml").write_text(text, encoding="utf-8")
    load_home(run_dir / "profiles", residents_dir)


def expected_doses(residents: Sequence[GeneratedResident], start: dt.datetime,
                   end: dt.datetime) -> list[ExpectedDose]:
    """Every dose due in [start, end), from the generated schedules (not from the reminder code).

    Dose times lie between 07:30 and 22:00, never in a daylight-saving gap or overlap, so each local
    time is exactly one instant.
    """
    doses = []
    for resident in residents:
        zone = ZoneInfo(resident.timezone)
        day = start.astimezone(zone).date()
        while day <= end.astimezone(zone).date():
            for medication in resident.medications:
                due = dt.datetime.combine(day, medication.time, tzinfo=zone).astimezone(UTC)
                if start <= due < end:
                    doses.append(ExpectedDose(f"{resident.person_id}/{medication.medication_id}/"
                                              f"{day.isoformat()}T{medication.time:%H:%M}", resident.person_id, due))
            day += dt.timedelta(days=1)
    return sorted(doses, key=lambda dose: (dose.due, dose.reminder_id))


def kill_moments(config: BenchConfig, doses: Sequence[ExpectedDose]) -> list[dt.datetime]:
    """`config.restarts` sim moments, at least KILL_SPACING apart: even ones exactly at a dose's due time."""
    rng = random.Random(config.seed + 1)
    total_s = int((config.end - START).total_seconds())
    allowed_doses = [dose.due for dose in doses if _may_kill_at(dose.due, config)]
    chosen: list[dt.datetime] = []
    for _ in range(KILL_DRAWS):
        if len(chosen) == config.restarts:
            return sorted(chosen)
        at_dose = len(chosen) % 2 == 0 and bool(allowed_doses)
        moment = rng.choice(allowed_doses) if at_dose else START + dt.timedelta(seconds=rng.randrange(total_s))
        if _may_kill_at(moment, config) and all(abs(moment - other) >= KILL_SPACING for other in chosen):
            chosen.append(moment)
    if len(chosen) < config.restarts:
        raise BenchInputError(f"--restarts {config.restarts}: {config.days} simulated day(s) leave room for about "
                              f"{len(chosen)} restarts at least {KILL_SPACING} apart")
    return sorted(chosen)


def _may_kill_at(moment: dt.datetime, config: BenchConfig) -> bool:
    into_chunk = (moment - START) % CHUNK
    return (KILL_AFTER_CHUNK_START <= into_chunk <= CHUNK - KILL_BEFORE_CHUNK_END
            and moment <= config.end - FINISH_WITHIN)


def day_scenarios(config: BenchConfig, residents: Sequence[GeneratedResident]) -> list[Scenario]:
    """The simulated period in as few scenarios as possible (each one sim_clock run of at most CHUNK):
    starting a fresh clock process per day was the fragile part of long runs."""
    people = tuple(ScenarioResident(resident.person_id, Behaviour()) for resident in residents)
    scenarios, start = [], START
    while start < config.end:
        duration = min(CHUNK, config.end - start)
        scenarios.append(Scenario(name=f"meds-bench-part-{len(scenarios) + 1}",
                                  description="carebot bench meds: simulated days of reminders",
                                  timezone="UTC", start=start, duration=duration, residents=people))
        start += duration
    return scenarios


# ---------------------------------------------------------------------------------- the answering driver

@dataclass(frozen=True)
class PlannedAnswer:
    at: dt.datetime
    reminder_id: str
    person_id: str
    answer: Answer


@dataclass
class Recording:
    """Everything the driver heard from the reminder node."""

    updates: list[ReminderUpdate] = field(default_factory=list)
    alerts: list[StaffAlert] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)


class AnsweringDriver:
    """Answers prompts as residents would, records what is published, and says when to kill the node.

    Pure (no ROS): the wiring in `_start_ros` feeds it messages and the sim time.
    """

    def __init__(self, residents: Sequence[GeneratedResident], seed: int, kills: Sequence[dt.datetime]) -> None:
        self.recording = Recording()
        self.kill_requested = False
        self.reminder_announcements = 0
        self._drowsy = {resident.person_id for resident in residents if resident.drowsy}
        self._seed = seed
        self._kills = sorted(kills)
        self._answered: set[tuple[str, int]] = set()
        self._pending: list[PlannedAnswer] = []

    def on_reminder(self, update: ReminderUpdate) -> None:
        self.recording.updates.append(update)
        key = (update.dose.reminder_id, update.attempt)
        if update.state is not ReminderState.DUE or key in self._answered:
            return
        self._answered.add(key)
        answer, delay_s = self._choose(update)
        self.recording.answers[answer.value if answer else "silent"] += 1
        if answer is not None:
            self._pending.append(PlannedAnswer(update.at + dt.timedelta(seconds=delay_s), update.dose.reminder_id,
                                               update.dose.person_id, answer))
            self._pending.sort(key=lambda planned: planned.at)

    def _choose(self, update: ReminderUpdate) -> tuple[Answer | None, float]:
        """The same prompt always gets the same answer, whatever order messages arrive in."""
        rng = random.Random(f"{self._seed}/{update.dose.reminder_id}/{update.attempt}")
        weights = DROWSY_WEIGHTS if update.dose.person_id in self._drowsy else USUAL_WEIGHTS
        return rng.choices(ANSWERS, weights)[0], rng.uniform(*ANSWER_DELAY_S)

    def on_alert(self, alert: StaffAlert) -> None:
        self.recording.alerts.append(alert)

    def on_deadlines(self, source: str) -> None:
        if source == REMINDER_NODE:
            self.reminder_announcements += 1

    def answers_due(self, now: dt.datetime) -> list[PlannedAnswer]:
        due = [planned for planned in self._pending if planned.at <= now]
        self._pending = self._pending[len(due):]
        return due

    def deadlines(self) -> list[dt.datetime]:
        return [planned.at for planned in self._pending]

    def check_kill(self, now: dt.datetime) -> None:
        if self._kills and self._kills[0] <= now:
            self._kills.pop(0)
            self.kill_requested = True


# ------------------------------------------------------------------------------------------- the figures

def figures(expected: Sequence[ExpectedDose], recording: Recording, end: dt.datetime) -> dict[str, Any]:
    """The benchmark's figures from what was published (see the module docstring)."""
    due_by_id = {dose.reminder_id: dose.due for dose in expected}
    prompts = Counter((u.dose.reminder_id, u.attempt) for u in recording.updates if u.state is ReminderState.DUE)
    first_prompt: dict[str, dt.datetime] = {}
    states: dict[str, set[ReminderState]] = defaultdict(set)
    for update in recording.updates:
        states[update.dose.reminder_id].add(update.state)
        if update.state is ReminderState.DUE and update.attempt == 1:
            first_prompt.setdefault(update.dose.reminder_id, update.at)
    alerted = {alert.details.get("reminder_id") for alert in recording.alerts}
    prompted = {reminder_id for reminder_id, _ in prompts}

    def settled(reminder_id: str) -> bool:
        ended = states[reminder_id]
        return ReminderState.TAKEN in ended or (bool(ended & {ReminderState.ESCALATED, ReminderState.MISSED})
                                                and reminder_id in alerted)

    on_time = [dose for dose in expected if dose.reminder_id in first_prompt
               and dt.timedelta(0) <= first_prompt[dose.reminder_id] - dose.due <= ON_TIME]
    return {
        "doses_due": len(expected),
        "reminders_delivered": sum(1 for dose in expected if dose.reminder_id in first_prompt),
        "on_time_ratio": round(len(on_time) / len(expected), 4) if expected else None,
        "lost": sum(1 for dose in expected if dose.reminder_id not in prompted
                    and not (ReminderState.MISSED in states[dose.reminder_id] and dose.reminder_id in alerted)),
        "duplicated": sum(count - 1 for count in prompts.values()),
        "escalations": sum(1 for ended in states.values() if ReminderState.ESCALATED in ended),
        "missed": sum(1 for ended in states.values() if ReminderState.MISSED in ended),
        "alerts": len(recording.alerts),
        "duplicate_alerts": sum(count - 1 for count in Counter(a.alert_id for a in recording.alerts).values()),
        "skipped_prompts": sum(1 for reminder_id, attempt in prompts
                               if attempt > 1 and (reminder_id, attempt - 1) not in prompts),
        "unsettled": sum(1 for dose in expected if dose.due <= end - FINISH_WITHIN and not settled(dose.reminder_id)),
        "unexpected_prompts": sum(1 for (reminder_id, _), update in _first_of_each(recording.updates).items()
                                  if reminder_id not in due_by_id
                                  or abs(update.dose.due - due_by_id[reminder_id]) > DUE_TOLERANCE),
        "answers": dict(sorted(recording.answers.items())),
    }


def _first_of_each(updates: Sequence[ReminderUpdate]) -> dict[tuple[str, int], ReminderUpdate]:
    """The first DUE message of each (reminder, attempt)."""
    first: dict[tuple[str, int], ReminderUpdate] = {}
    for update in updates:
        if update.state is ReminderState.DUE:
            first.setdefault((update.dose.reminder_id, update.attempt), update)
    return first


FAILING_FIGURES = ("lost", "duplicated", "duplicate_alerts", "unsettled", "unexpected_prompts")
"""Any of these above 0 fails the benchmark (exit 1)."""


def passed(results: Mapping[str, Any]) -> bool:
    return all(results[name] == 0 for name in FAILING_FIGURES)


# ------------------------------------------------------------------------------------------ the processes

class Supervised:
    """One node process under the project's Launcher, watched from a thread so the benchmark can spin."""

    def __init__(self, command: NodeCommand, run_dir: Path, environment: Mapping[str, str], log: TextIO) -> None:
        self.name = command.name
        self._launcher = Launcher([command], run_dir, environment, report=log)
        self._result: RunResult | None = None
        self._thread = threading.Thread(target=self._watch, name=f"supervise-{command.name}")

    def _watch(self) -> None:
        self._result = self._launcher.supervise()

    def start(self) -> Supervised:
        self._launcher.start()
        self._thread.start()
        return self

    @property
    def result(self) -> RunResult | None:
        """How the process ended (None while it runs)."""
        return self._result

    @property
    def pid(self) -> int:
        return self._launcher.pids[self.name]

    def kill(self) -> None:
        """SIGKILL exactly the process this object started."""
        os.kill(self.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop watching, SIGTERM what still runs, and remove the shared-memory files a killed process left."""
        self._launcher.request_stop()
        self._thread.join()
        self._launcher.stop()


@dataclass
class RosSide:
    """The benchmark's own ROS node, its executor and the clock hold."""

    context: Any
    node: Any
    executor: Any
    hold_clock: Callable[[bool], None]

    def now_ns(self) -> int:
        """The driver's node clock (sim time once /clock runs, else 0)."""
        return int(self.node.get_clock().now().nanoseconds)

    def spin(self) -> None:
        self.executor.spin_once(timeout_sec=SPIN_S)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        self.context.try_shutdown()


def _start_ros(driver: AnsweringDriver, domain_id: int) -> RosSide:
    """The driver's node on the node clock (sim time). rclpy is imported here, not at module level:
    `carebot` builds this module's parser for every sub-command."""
    import rclpy
    from carebot_interfaces.msg import Alert, Deadlines, Reminder, ReminderResponse
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    from std_msgs.msg import Bool

    from robot.nodes.convert.alerts import alert_from_msg
    from robot.nodes.convert.clock import to_datetime
    from robot.nodes.convert.reminders import reminder_from_msg, response_to_msg
    from robot.nodes.medication_reminder import EVENTS_QOS
    from simulation.nodes.sim_clock import DEADLINES_QOS, DeadlineAnnouncer

    context = Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = Node(DRIVER_NODE, context=context, parameter_overrides=[Parameter("use_sim_time", value=True)])
    responses = node.create_publisher(ReminderResponse, "/medication/responses", EVENTS_QOS)
    speaking = node.create_publisher(Bool, "/robot_speaking", 10)
    announcer = DeadlineAnnouncer(node)
    node.create_subscription(Reminder, "/medication/reminders",
                             lambda msg: driver.on_reminder(reminder_from_msg(msg)), EVENTS_QOS)
    node.create_subscription(Alert, "/care/alerts", lambda msg: driver.on_alert(alert_from_msg(msg)), EVENTS_QOS)
    node.create_subscription(Deadlines, "/schedule/deadlines", lambda msg: driver.on_deadlines(msg.source),
                             DEADLINES_QOS)

    def on_tick() -> None:
        now = node.get_clock().now()
        if not now.nanoseconds:
            return
        moment = to_datetime(now)
        for planned in driver.answers_due(moment):
            responses.publish(response_to_msg(planned.reminder_id, planned.person_id, planned.answer,
                                              ANSWER_CONFIDENCE, moment))
        driver.check_kill(moment)
        announcer.announce([epoch_ns(at) for at in driver.deadlines()])

    node.create_timer(DRIVER_TICK_S, on_tick)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    return RosSide(context, node, executor, lambda on: speaking.publish(Bool(data=on)))


class BenchRun:
    """The processes of one benchmark run and the loop that drives them."""

    def __init__(self, config: BenchConfig, run_dir: Path, ros: RosSide, driver: AnsweringDriver,
                 environment: Mapping[str, str], log: TextIO) -> None:
        self._config = config
        self._run_dir = run_dir
        self._ros = ros
        self._driver = driver
        self._environment = environment
        self._log = log
        self._graph = load_graph()
        self._context = run_context(run_dir, run_dir / "profiles", run_dir / "residents",
                                    clock_subscribers=CLOCK_SUBSCRIBERS)
        self._reminder: Supervised | None = None
        self._clock: Supervised | None = None
        self.restarts = 0

    def run(self, scenarios: Sequence[Scenario]) -> None:
        try:
            self._reminder = self._start(REMINDER_NODE, self._context)
            for number, scenario in enumerate(scenarios, start=1):
                self._run_part(number, scenario)
            for _ in range(DRAIN_ROUNDS):
                self._ros.spin()
        finally:
            for process in (self._clock, self._reminder):
                if process is not None:
                    process.stop()

    def _start(self, name: str, context: Mapping[str, Any]) -> Supervised:
        command = node_command(self._graph.node(name), context, simulation=True, extra_params=EXTRA_PARAMS.get(name))
        return Supervised(command, self._run_dir, self._environment, self._log).start()

    def _run_part(self, number: int, scenario: Scenario) -> None:
        path = self._run_dir / "clock" / f"part-{number}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(dump_scenario(scenario), encoding="utf-8")
        started = time.monotonic()
        self._start_clock(number, path, epoch_ns(scenario.start))
        days = scenario.duration / dt.timedelta(days=1)
        self._spin_until(lambda: self._clock_result() is not None, DAY_TIMEOUT_S * max(1.0, days),
                         f"simulated part {number}")
        result = self._clock_result()
        if result is None or result.outcome is not Outcome.FINISHED:
            raise BenchError(f"sim_clock, part {number}: {result.describe() if result else 'did not finish'}")
        self._clock.stop()
        self._clock = None
        print(f"[bench meds] part {number} ({scenario.duration}) done in "
              f"{time.monotonic() - started:.1f} s wall", file=self._log, flush=True)

    def _start_clock(self, number: int, scenario_file: Path, start_ns: int) -> None:
        """Start the day's sim_clock; start it again if time has not moved after CLOCK_START_TIMEOUT_S.

        Seen under heavy load: a new sim_clock kept waiting for its /clock subscribers although both had
        matched (and the reminder's latched deadlines were there), until a fresh process was started.
        """
        for attempt in range(1, CLOCK_START_ATTEMPTS + 1):
            self._clock = self._start(CLOCK_NODE, {**self._context, "scenario": scenario_file})
            deadline = time.monotonic() + CLOCK_START_TIMEOUT_S
            while time.monotonic() < deadline and self._clock.result is None and self._ros.now_ns() <= start_ns:
                self._ros.spin()
                self._check_reminder()
            if self._clock.result is not None or self._ros.now_ns() > start_ns:
                return
            print(f"[bench meds] warning: part {number}: sim_clock (pid {self._clock.pid}) did not start time within "
                  f"{CLOCK_START_TIMEOUT_S:g} s (attempt {attempt}); starting it again", file=self._log, flush=True)
            self._clock.stop()
        raise BenchError(f"part {number}: sim_clock did not start time in {CLOCK_START_ATTEMPTS} attempts "
                         f"(log: {self._run_dir / 'logs' / 'sim_clock.log'})")

    def _clock_result(self) -> RunResult | None:
        return self._clock.result if self._clock is not None else None

    def _spin_until(self, done: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Spin the driver (restarting the reminder node when asked) until `done()`; bounded by `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise BenchError(f"{what}: not done after {timeout_s:g} s of wall time (logs: {self._run_dir / 'logs'})")
            self._ros.spin()
            self._check_reminder()
            if self._driver.kill_requested:
                self._driver.kill_requested = False
                self._restart()

    def _check_reminder(self) -> None:
        assert self._reminder is not None
        if self._reminder.result is not None:
            raise BenchError(f"medication_reminder stopped by itself: {self._reminder.result.describe()}")

    def _restart(self) -> None:
        """SIGKILL the reminder process, start a new one with the clock held at its active pace."""
        assert self._reminder is not None
        old_pid = self._reminder.pid
        self._ros.hold_clock(True)
        self._reminder.kill()
        self._reminder.stop()
        announced = self._driver.reminder_announcements
        self._reminder = self._start(REMINDER_NODE, self._context)
        deadline = time.monotonic() + RESTART_TIMEOUT_S
        while self._driver.reminder_announcements == announced:
            if time.monotonic() > deadline:
                raise BenchError(f"the restarted medication_reminder (pid {self._reminder.pid}) announced no deadlines "
                                 f"within {RESTART_TIMEOUT_S:g} s (log: {self._run_dir / 'logs'})")
            self._ros.spin()
            self._check_reminder()
        self._ros.hold_clock(False)
        self.restarts += 1
        print(f"[bench meds] restart {self.restarts}: killed medication_reminder pid {old_pid}, "
              f"now pid {self._reminder.pid}", file=self._log, flush=True)


# ------------------------------------------------------------------------------------------ the benchmark

def run_benchmark(config: BenchConfig, run_dir: Path, log: TextIO = sys.stderr) -> dict[str, Any]:
    """Generate the residents into `run_dir`, run the simulated days, and return the figures."""
    from simulation.runner import domain_id

    ensure_loopback_only()
    residents = generate_residents(config)
    write_profiles(residents, run_dir)
    expected = expected_doses(residents, START, config.end)
    driver = AnsweringDriver(residents, config.seed, kill_moments(config, expected))
    domain = domain_id()
    os.environ.setdefault("ROS_LOG_DIR", str(run_dir / "ros_logs"))
    environment = node_environment(os.environ, run_dir, domain)
    started = time.monotonic()
    ros = _start_ros(driver, domain)
    try:
        bench = BenchRun(config, run_dir, ros, driver, environment, log)
        bench.run(day_scenarios(config, residents))
    finally:
        ros.close()
    wall_s = time.monotonic() - started
    results = {
        "residents": config.residents, "days": config.days, "doses_per_day": config.doses, "seed": config.seed,
        **figures(expected, driver.recording, config.end),
        "restarts": bench.restarts,
        "wall_s": round(wall_s, 1),
        "sim_days_per_wall_minute": round(config.days / (wall_s / 60), 2),
        "run_dir": str(run_dir),
    }
    return results


def add_bench_meds_parser(bench_subparsers: Any) -> None:
    """Adds `meds` to the `carebot bench` parsers."""
    bench = bench_subparsers.add_parser("meds", help="medication reminders over simulated days, with kill -9 restarts: "
                                                     "doses due, on time, lost, duplicated, escalations")
    defaults = BenchConfig()
    bench.add_argument("--residents", type=int, default=defaults.residents, metavar="N",
                       help=f"fictional residents (default {defaults.residents})")
    bench.add_argument("--days", type=int, default=defaults.days, metavar="D",
                       help=f"simulated days from {START:%Y-%m-%d %H:%M} UTC (default {defaults.days})")
    bench.add_argument("--doses", type=int, default=defaults.doses, metavar="K",
                       help=f"doses per resident per day, 1..{MAX_DOSES} (default {defaults.doses})")
    bench.add_argument("--restarts", type=int, default=defaults.restarts, metavar="N",
                       help="SIGKILL and restart medication_reminder at N random sim moments (default 0)")
    bench.add_argument("--seed", type=int, default=defaults.seed, metavar="S", help="random seed (default 1)")
    bench.add_argument("--json", action="store_true", help="print one JSON object (else one figure per line)")
    bench.add_argument("--run-dir", type=Path, metavar="DIR", help="run folder (default: runs/meds-bench-<time>)")
    bench.set_defaults(command=_bench_meds)


def _bench_meds(arguments: argparse.Namespace) -> int:
    """Progress to stderr, figures to stdout; exit 1 if a dose was lost or a prompt doubled."""
    from simulation.runner import RunInputError, new_run_dir

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        config = BenchConfig(residents=arguments.residents, days=arguments.days, doses=arguments.doses,
                             restarts=arguments.restarts, seed=arguments.seed)
        run_dir = new_run_dir(arguments.run_dir, Path("meds"), suffix="bench")
        results = run_benchmark(config, run_dir)
    except (BenchInputError, RunInputError, ProfileError) as error:
        print(f"carebot bench meds: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BenchError as error:
        print(f"carebot bench meds: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("carebot bench meds: interrupted; the node processes were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    if arguments.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        print("\n".join(f"{name}: {value}" for name, value in results.items()))
    return EXIT_PASSED if passed(results) else EXIT_FAILED


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C does: the node processes are stopped on the way out."""
    raise KeyboardInterrupt
