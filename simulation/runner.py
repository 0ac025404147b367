"""`carebot sim`: check the input, run a simulated care-home day as separate node processes, judge it.

1. the scenario and every profile are loaded and checked before any node starts (bad input: exit 2);
2. a run folder `runs/<scenario>-<YYYYmmdd-HHMMSS>/` gets the residents' profiles (or scaled copies);
3. the graph (robot + simulation nodes) runs until sim_clock reaches the end of the day;
4. the scenario's expectations are checked against the run's wellbeing database and summarised.
Exit code 0 only if every expectation held.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import yaml

from robot.adapters.site_secret import write_simulation_secret
from robot.adapters.sqlite_store import WellbeingReader, WellbeingSummary
from robot.adapters.yaml_profiles import load_home, validate_tree, write_resident_copy
from robot.console.settings import DEFAULT_CONSOLE_PORT
from robot.core.profile import Home, ProfileError
from robot.graph import GraphError, NodeCommand, graph_commands, load_graph, node_environment, run_context
from robot.launcher import Launcher, Outcome, RunResult
from robot.paths import PROFILES_DIR, RUNS_DIR, SCENARIOS_DIR
from simulation import expectations
from simulation.scenario import Scenario, ScenarioError, dump_scenario, load_scenario, scale, shorten

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
CLOCK_NODE = "sim_clock"
CONSOLE_NODE = "console"
AUDIO_ACTIVE_SPEED = 1.0
"""Audio mode: sim seconds per wall second while anyone speaks, so sound is heard and answered in real time."""
AUDIO_TICK_HZ = 50.0
"""Audio mode: /clock ticks per wall second, one per 20 ms audio frame. Every node handles every tick, and
at the text mode's 200 Hz the clock alone kept both cores busy while the speech nodes worked against it."""
SPEECH_TIMING_LOGS = {"speech_recognition": "speech_recognition.timing.jsonl",
                      "speech_synthesis": "speech_synthesis.timing.jsonl"}


class RunInputError(ValueError):
    """Something the run was asked for cannot be done (unknown scenario, a used run folder, ...)."""


@dataclasses.dataclass(frozen=True)
class PreparedRun:
    """Everything checked and in place before the first node starts."""

    scenario: Scenario
    scenario_file: Path      # what the simulation nodes read (the original file, or the scaled copy)
    home: Home               # the run's residents
    run_dir: Path
    console_port: int = DEFAULT_CONSOLE_PORT   # where this run's staff console listens



def console_port(preferred: int = DEFAULT_CONSOLE_PORT) -> int:
    """`preferred` when nothing listens there (the usual address for staff), else a free port (tests, a second
    run); the node binds it a moment later, so in a rare race the console reports the port as taken."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free TCP port on 127.0.0.1 for the staff console")


def scenario_path(name_or_path: str) -> Path:
    """A scenario given as a file path, or as a name in simulation/scenarios (`care_home_day`)."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate.resolve()
    named = SCENARIOS_DIR / f"{name_or_path}.yaml"
    if named.is_file():
        return named
    known = ", ".join(sorted(path.stem for path in SCENARIOS_DIR.glob("*.yaml"))) or "none"
    raise RunInputError(f"no scenario {name_or_path!r}: not a file, and not a name in {SCENARIOS_DIR} ({known})")


def run(scenario_path: Path, residents: int | None = None, hours: float | None = None, speed: float | None = None,
        run_dir: Path | None = None, quiet: bool = False, out: TextIO = sys.stdout, audio: bool = False,
        console_db: Path | None = None) -> int:
    """Run one simulated day; returns the process exit code (0 only if every expectation held).

    `audio`: residents are heard through the simulated room's sound, VAD and recognisers, and the robot
    speaks through espeak-ng into the simulated speaker (text mode otherwise).
    `console_db`: the staff console's accounts file (None: the console node's own default).
    """
    try:
        prepared = prepare(scenario_path, residents, hours, run_dir)
        commands = simulation_commands(prepared, speed, quiet, audio, console_db)
    except (ScenarioError, ProfileError, GraphError, RunInputError) as error:
        print(f"carebot sim: {error}", file=out, flush=True)
        return EXIT_BAD_INPUT
    print_header(prepared, out)
    environment = node_environment(os.environ, prepared.run_dir, domain_id())
    started = time.monotonic()
    result = Launcher(commands, prepared.run_dir, environment, report=out).run()
    wall_s = time.monotonic() - started
    return judge(prepared, result, wall_s, out)


def prepare(source: Path, residents: int | None, hours: float | None, run_dir: Path | None) -> PreparedRun:
    """Check the profiles and the scenario, then create the run folder with the run's resident profiles."""
    problems = validate_tree(PROFILES_DIR)
    if problems:
        raise RunInputError("the profiles have problems:\n" + "\n".join(f"  {problem}" for problem in problems))
    scenario = load_scenario(source, PROFILES_DIR)
    if hours is not None:
        scenario = _shortened(scenario, hours)
    copies = {person_id: person_id for person_id in scenario.person_ids}
    if residents is not None:
        scenario, copies = scale(scenario, residents)
    target = new_run_dir(run_dir, source)
    residents_dir = target / "residents"
    residents_dir.mkdir(parents=True)
    (target / "logs").mkdir()
    write_simulation_secret(target)      # pseudonyms for `carebot export` of this run's fictional residents
    for new_id, source_id in copies.items():
        write_resident_copy(_resident_file(source_id), residents_dir, new_id)
    scenario_file = source if (residents, hours) == (None, None) else _write_scenario(scenario, target)
    scenario = load_scenario(scenario_file, PROFILES_DIR, residents_dir)  # exactly what the nodes will read
    home = load_home(PROFILES_DIR, residents_dir)
    return PreparedRun(scenario, scenario_file, home, target, console_port())


def simulation_commands(prepared: PreparedRun, speed: float | None, quiet: bool,
                        audio: bool = False, console_db: Path | None = None) -> list[NodeCommand]:
    """The graph's robot and simulation nodes for this run; `speed` caps the clock's idle pace."""
    graph = load_graph()
    context = run_context(prepared.run_dir, PROFILES_DIR, prepared.run_dir / "residents", prepared.scenario_file,
                          graph.clock_subscribers(), prepared.console_port)
    tick_hz = AUDIO_TICK_HZ if audio else _clock_tick_hz(graph.node(CLOCK_NODE).params_file) if speed else 0.0
    extra: dict[str, dict[str, object]] = {CLOCK_NODE: {}}
    if speed:
        extra[CLOCK_NODE]["idle_step_s"] = speed / tick_hz
    if audio:
        extra[CLOCK_NODE].update(tick_hz=tick_hz, active_step_s=AUDIO_ACTIVE_SPEED / tick_hz)
        extra.update(audio_params(prepared.run_dir))
    if console_db is not None:
        extra[CONSOLE_NODE] = {"console_db": str(_accounts_file(console_db))}
    commands = graph_commands(graph, context, simulation=True, extra_params=extra)
    return [dataclasses.replace(command, console=False) for command in commands] if quiet else commands


def audio_params(run_dir: Path) -> dict[str, dict[str, object]]:
    """Speech nodes in audio mode with the simulated room and speaker, logging timings for the benchmark."""
    timing = {node: {"timing_log": str(run_dir / name)} for node, name in SPEECH_TIMING_LOGS.items()}
    return {
        "speech_recognition": {"mode": "audio", "source": "simulated", **timing["speech_recognition"]},
        "speech_synthesis": {"mode": "audio", "output": "simulated", "record_path": str(run_dir / "robot_speech.jsonl"),
                             **timing["speech_synthesis"]},
    }


def domain_id() -> int:
    """The run's ROS_DOMAIN_ID: the caller's, or one derived from our pid so parallel runs do not meet."""
    given = os.environ.get("ROS_DOMAIN_ID", "")
    return int(given) if given.isdigit() else 1 + os.getpid() % 200


def print_header(prepared: PreparedRun, out: TextIO) -> None:
    scenario, home = prepared.scenario, prepared.home
    start = scenario.local(scenario.start)
    print(f"carebot sim: {scenario.name} — {scenario.description}", file=out)
    print(f"  period:    {start:%Y-%m-%d %H:%M} to {scenario.local(scenario.end):%Y-%m-%d %H:%M} "
          f"{scenario.timezone} ({_hours(scenario.duration)})", file=out)
    print(f"  residents: {len(scenario.residents)}", file=out)
    for person_id in scenario.person_ids:
        profile = home.resident(person_id)
        culture = home.cultures.get(profile.culture_id)
        print(f"    {profile.preferred_name} ({person_id}): {culture.name if culture else profile.culture_id}, "
              f"speaks {profile.locale}, consent {profile.consent.value}", file=out)
    print(f"  run dir:   {prepared.run_dir}", file=out)
    print(f"  console:   http://127.0.0.1:{prepared.console_port}/ (accounts: carebot users add NAME --role staff)",
          file=out, flush=True)


def judge(prepared: PreparedRun, result: RunResult, wall_s: float, out: TextIO) -> int:
    """Print how the run ended and, after a complete day, the summary and every expectation."""
    if result.outcome is Outcome.INTERRUPTED:
        print(f"carebot sim: interrupted; partial results in {prepared.run_dir}", file=out, flush=True)
        return EXIT_INTERRUPTED
    if result.outcome is Outcome.FAILED:
        print(f"carebot sim: the run failed: {result.describe()}\n"
              f"  all node logs: {prepared.run_dir / 'logs'}", file=out, flush=True)
        return EXIT_FAILED
    database = prepared.run_dir / "wellbeing.db"
    try:
        reader = WellbeingReader(database)
    except FileNotFoundError as error:
        print(f"carebot sim: {error} (did wellbeing_logger run? see {prepared.run_dir / 'logs'})", file=out)
        return EXIT_FAILED
    with reader:
        summary = reader.summary()
        names = {pid: profile.preferred_name for pid, profile in prepared.home.residents.items()}
        results = expectations.check(prepared.scenario, reader, names)
    print_summary(summary, results, prepared, wall_s, out)
    return EXIT_PASSED if all(item.passed for item in results) else EXIT_FAILED


def print_summary(summary: WellbeingSummary, results: Sequence[expectations.ExpectationResult],
                  prepared: PreparedRun, wall_s: float, out: TextIO) -> None:
    sim_s = prepared.scenario.duration.total_seconds()
    alerts = ", ".join(f"{category} {count}" for category, count in sorted(summary.alerts_by_category.items()))
    passed = sum(item.passed for item in results)
    lines = [
        "",
        "summary",
        f"  conversations: {summary.sessions} (robot turns {summary.robot_turns}, "
        f"resident turns {summary.resident_turns})",
        f"  reminders:     {summary.reminders_due} delivered, {summary.reminders_taken} taken, "
        f"{summary.reminders_declined} declined, {summary.reminders_escalated} escalated",
        f"  calls:         {summary.calls_placed} placed, {summary.calls_answered} answered",
        f"  alerts:        {alerts or 'none'}",
        f"expectations: {passed}/{len(results)} met",
        *(f"  {'✓' if item.passed else '✗'} {item.description} — {item.found}" for item in results),
        f"wall time {wall_s:.1f} s, sim time {_hours(prepared.scenario.duration)}, "
        f"speed-up {sim_s / wall_s if wall_s > 0 else float('inf'):.0f}×",
        f"wellbeing database: {prepared.run_dir / 'wellbeing.db'}",
    ]
    print("\n".join(lines), file=out, flush=True)


def _hours(duration: dt.timedelta) -> str:
    return f"{duration.total_seconds() / 3600:g} h"


def new_run_dir(requested: Path | None, source: Path, suffix: str = "") -> Path:
    """The run folder: `requested`, or runs/<scenario>[-<suffix>]-<time>; it must be new or empty."""
    stem = f"{source.stem}-{suffix}" if suffix else source.stem
    target = requested or RUNS_DIR / f"{stem}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    if target.exists() and any(target.iterdir()):
        raise RunInputError(f"run folder {target} is not empty; give a new --run-dir")
    target.mkdir(parents=True, exist_ok=True)
    return target.resolve()


def _resident_file(person_id: str) -> Path:
    path = PROFILES_DIR / "residents" / f"{person_id}.yaml"
    if not path.is_file():
        raise RunInputError(f"no profile file {path} for resident {person_id!r}")
    return path


def _accounts_file(console_db: Path) -> Path:
    """--console-db must name an existing accounts file: a new empty one would let nobody sign in."""
    if not console_db.is_file():
        raise RunInputError(f"--console-db {console_db}: no such file; make it with "
                            f"`carebot users add NAME --role staff --db {console_db}`")
    return console_db.resolve()


def _clock_tick_hz(params_file: Path) -> float:
    """sim_clock's tick rate from its params file: --speed X becomes idle_step_s = X / tick_hz."""
    try:
        document = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
        tick_hz = document[f"/{CLOCK_NODE}"]["ros__parameters"]["tick_hz"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise RunInputError(f"{params_file}: field /{CLOCK_NODE}.ros__parameters.tick_hz is needed for --speed "
                            f"({error})") from error
    if isinstance(tick_hz, bool) or not isinstance(tick_hz, (int, float)) or tick_hz <= 0:
        raise RunInputError(f"{params_file}: /{CLOCK_NODE}.ros__parameters.tick_hz: expected a positive number")
    return float(tick_hz)


def _shortened(scenario: Scenario, hours: float) -> Scenario:
    try:
        return shorten(scenario, dt.timedelta(hours=hours))
    except ValueError as error:
        raise RunInputError(f"--hours {hours:g}: {error}") from None


def _write_scenario(scenario: Scenario, run_dir: Path) -> Path:
    path = run_dir / "scenario.yaml"
    path.write_text(dump_scenario(scenario), encoding="utf-8")
    return path
