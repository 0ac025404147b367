"""The `carebot` command: run a simulated day, run one node, check and show profiles.

    carebot sim [SCENARIO] [--residents N] [--hours H] [--speed X] [--audio] [--run-dir DIR] [--quiet]
                [--console-db FILE]
    carebot node [--simulation] [--scenario S] [--run-dir DIR] NAME [ros args...]   (options before NAME)
    carebot profiles validate [PATH...]
    carebot profiles show ID [--profiles-dir DIR]
    carebot bench speech [SCENARIO] [--json] [--run-dir DIR]
    carebot bench grammar [--json]
    carebot bench nlu [--json] [--testset TSV] [--profiles-dir DIR] [--models-dir DIR]
    carebot bench urgency [--json] [--testset DIR] [--lang CODE] [--no-model] [--profiles-dir DIR] [--models-dir DIR]
    carebot nlu [--lang CODE] [--profiles-dir DIR] [--models-dir DIR]   (stdin lines -> JSON lines)
    carebot models list|install PATH_OR_URL [--language LANG] [--sha256 HEX]|remove NAME [--models-dir DIR]
    carebot export --out DIR [--db PATH] [--from DATE] [--to DATE] [--arm ARM] [--study FILE]
    carebot report --out FILE.html [--db PATH] [--from DATE] [--to DATE] [--arm ARM] [--study FILE]
    carebot research secret create|withdraw|retention ...   (robot/research_cli.py)
    carebot bench research [--residents 10] [--days 30] [--json] [--run-dir DIR]
    carebot console [--host 127.0.0.1] [--port 8080] [...]   (the staff console; robot/console_cli.py)
    carebot users add NAME --role staff|researcher|admin | list   (password from the terminal or stdin)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from robot.alerts_cli import add_alerts_parser
from robot.console_cli import add_console_parsers
from robot.graph import GraphError, load_graph, node_command, node_environment, run_context
from robot.meds_cli import add_meds_parser
from robot.models_cli import add_models_parser
from robot.nlu_cli import add_bench_nlu_parser, add_nlu_parser
from robot.urgency_cli import add_bench_urgency_parser
from robot.research_cli import add_research_parsers
from robot.core.profile import ProfileError
from robot.paths import PROFILES_DIR, RUNS_DIR
from robot.rosenv import ensure_loopback_only
from simulation.meds_bench import add_bench_meds_parser
from simulation.research_bench import add_bench_research_parser

if TYPE_CHECKING:   # the profile checks import jsonschema only when run
    from referencing import Registry

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    return int(arguments.command(arguments) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carebot", description="Controller software for a care-home companion robot.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    sim = commands.add_parser("sim", help="run a simulated care-home day and check its expectations")
    sim.add_argument("scenario", nargs="?", default="care_home_day",
                     help="scenario name in simulation/scenarios, or a scenario file (default: care_home_day)")
    sim.add_argument("--residents", type=_positive(int), metavar="N", help="scale the scenario to N residents")
    sim.add_argument("--hours", type=_positive(float), metavar="H", help="simulate only the first H hours")
    sim.add_argument("--speed", type=_positive(float), metavar="X",
                     help="at most X sim seconds per wall second while nothing happens")
    sim.add_argument("--run-dir", type=Path, metavar="DIR", help="run folder (default: runs/<scenario>-<time>)")
    sim.add_argument("--quiet", action="store_true", help="no live transcript (it is still in the run folder)")
    sim.add_argument("--audio", action="store_true",
                     help="residents heard through real VAD and recognisers, the robot speaks with espeak-ng")
    sim.add_argument("--console-db", type=Path, metavar="FILE",
                     help="the staff console's accounts file (default: the console's own, runs/console.sqlite)")
    sim.set_defaults(command=_sim)

    bench = commands.add_parser("bench", help="measure the robot (figures on stdout)")
    bench_commands = bench.add_subparsers(required=True, metavar="WHAT")
    speech = bench_commands.add_parser("speech", help="audio-mode scenario: latency, WER, ASR RTF, peak RSS")
    speech.add_argument("scenario", nargs="?", default="speech_bench",
                        help="scenario name or file (default: speech_bench)")
    speech.add_argument("--json", action="store_true", help="print one JSON object (else one figure per line)")
    speech.add_argument("--run-dir", type=Path, metavar="DIR", help="run folder (default: runs/<scenario>-bench-speech-<time>)")
    speech.set_defaults(command=_bench_speech)
    grammar = bench_commands.add_parser("grammar", help="the English grammar recogniser on synthesised residents: "
                                        "commands, calls for help, false alarms, WHO-5 answers, RTF")
    grammar.add_argument("--json", action="store_true", help="print one JSON object (else one figure per line)")
    grammar.set_defaults(command=_bench_grammar)
    add_bench_nlu_parser(bench_commands)
    add_bench_urgency_parser(bench_commands)
    add_bench_meds_parser(bench_commands)
    add_bench_research_parser(bench_commands)

    node = commands.add_parser("node", help="run one node of the graph (on a robot, or for debugging)")
    node.add_argument("name", help="node name in launch/graph.yaml")
    node.add_argument("--simulation", action="store_true", help="as in simulation: sim time, simulated backends")
    node.add_argument("--scenario", help="scenario name or file (simulation nodes need one)")
    node.add_argument("--run-dir", type=Path, default=RUNS_DIR / "robot", metavar="DIR",
                      help="folder for the database, transcript and ROS logs (default: runs/robot)")
    node.add_argument("ros_args", nargs=argparse.REMAINDER, help="everything after NAME goes to the node (--ros-args ...)")
    node.set_defaults(command=_node)

    profiles = commands.add_parser("profiles", help="check or show resident profiles")
    profile_commands = profiles.add_subparsers(required=True, metavar="ACTION")
    validate = profile_commands.add_parser(
        "validate", help="check profile folders or files against profiles/schema/ and each other; exit 1 on any problem")
    validate.add_argument("paths", nargs="*", type=Path, default=[PROFILES_DIR], metavar="PATH",
                          help="profiles folders or single profile files (default: the project's profiles/)")
    validate.set_defaults(command=_profiles_validate)
    show = profile_commands.add_parser("show", help="print a resident's effective profile and where each value came from")
    show.add_argument("person_id", metavar="ID")
    show.add_argument("--profiles-dir", type=Path, default=PROFILES_DIR, metavar="DIR")
    show.add_argument("--facts", type=Path, default=RUNS_DIR / "person_facts.sqlite", metavar="FILE",
                      help="what residents told the robot (the dialogue node's facts_file; default: %(default)s)")
    show.set_defaults(command=_profiles_show)

    add_models_parser(commands)
    add_nlu_parser(commands)
    add_meds_parser(commands)
    add_alerts_parser(commands)
    add_research_parsers(commands)
    add_console_parsers(commands)
    return parser


def _positive(kind: type[int] | type[float]):  # type: ignore[no-untyped-def]
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value
    return parse


def _scenario(name_or_path: str, command: str) -> Path | None:
    """The scenario file, or None after telling the user why there is none."""
    from simulation import runner

    try:
        return runner.scenario_path(name_or_path)
    except runner.RunInputError as error:
        print(f"carebot {command}: {error}", file=sys.stderr)
        return None


def _sim(arguments: argparse.Namespace) -> int:
    ensure_loopback_only()
    from simulation import runner

    scenario = _scenario(arguments.scenario, "sim")
    if scenario is None:
        return EXIT_BAD_INPUT
    return runner.run(scenario, residents=arguments.residents, hours=arguments.hours, speed=arguments.speed,
                      run_dir=arguments.run_dir, quiet=arguments.quiet, audio=arguments.audio,
                      console_db=arguments.console_db)


def _bench_speech(arguments: argparse.Namespace) -> int:
    """Transcript to stderr, figures to stdout; exit 1 if the scenario's expectations failed."""
    ensure_loopback_only()
    from simulation import runner, speech_bench

    scenario = _scenario(arguments.scenario, "bench speech")
    if scenario is None:
        return EXIT_BAD_INPUT
    code, figures = speech_bench.run_benchmark(scenario, arguments.run_dir)
    _print_figures(figures, arguments.json)
    return 0 if code == runner.EXIT_PASSED else 1


def _bench_grammar(arguments: argparse.Namespace) -> int:
    from simulation import grammar_bench

    _print_figures(grammar_bench.run_benchmark(), arguments.json)
    return 0


def _print_figures(figures: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print("\n".join(f"{name}: {value}" for name, value in figures.items()))


def _node(arguments: argparse.Namespace) -> int:
    """Replace this process with the node's own (signals then reach the node directly)."""
    ensure_loopback_only()
    try:
        graph = load_graph()
        spec = graph.node(arguments.name)
        scenario = _scenario_for_node(arguments.scenario)
        context = run_context(arguments.run_dir.resolve(), scenario=scenario,
                              clock_subscribers=graph.clock_subscribers() if arguments.simulation else None)
        command = node_command(spec, context, simulation=arguments.simulation)
    except (GraphError, ValueError) as error:
        print(f"carebot node: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    environment = node_environment(os.environ, arguments.run_dir.resolve(), domain_id=None)
    os.execve(sys.executable, [*command.argv, *arguments.ros_args], environment)


def _scenario_for_node(name_or_path: str | None) -> Path | None:
    if name_or_path is None:
        return None
    from simulation.runner import scenario_path

    return scenario_path(name_or_path)


def _profiles_validate(arguments: argparse.Namespace) -> int:
    """Each PATH (a profiles folder or one file) against the published schemas and the loader's own checks."""
    from robot.adapters.profile_schema import load_schemas

    registry = load_schemas()
    problems = 0
    for path in arguments.paths:
        errors = _profile_problems(path, registry)
        problems += len(errors)
        for error in errors:
            print(error)
        print(f"{path}: {len(errors)} problem{'s' if len(errors) != 1 else ''}" if errors else f"{path}: valid")
    return 1 if problems else 0


def _profile_problems(path: Path, registry: Registry) -> list[ProfileError]:
    """Schema errors first; then what only the loader can see (ids, references between files), skipping a
    place the schema already reported."""
    from robot.adapters.profile_schema import KINDS, kind_of, schema_errors
    from robot.adapters.yaml_profiles import validate_tree
    from robot.adapters.yaml_urgency import KIND as URGENCY_KIND, read_urgency_file

    if path.is_file() and kind_of(path) == URGENCY_KIND:
        return read_urgency_file(path, registry)[1]     # the schema, then every pattern
    if path.is_file():
        return schema_errors(path, registry)
    if not path.is_dir():
        return [ProfileError(str(path), "(path)", "a profiles folder or a profile file", got="nothing there")]
    files = sorted(file for folder in KINDS for file in (path / folder).glob("*.yaml"))
    found = [error for file in files for error in schema_errors(file, registry)]
    reported = {(error.file, error.line) for error in found}
    return found + [error for error in validate_tree(path) if (error.file, error.line) not in reported]


def _profiles_show(arguments: argparse.Namespace) -> int:
    from robot.adapters.person_facts_store import PersonFactStore
    from robot.adapters.yaml_profiles import load_home
    from robot.core.person_facts import apply_facts

    try:
        profile = load_home(arguments.profiles_dir).resident(arguments.person_id)
        facts = PersonFactStore(arguments.facts).load() if arguments.facts.is_file() else []
    except (ProfileError, KeyError, ValueError) as error:
        print(f"carebot profiles show: {error.args[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print("\n".join(describe_profile(apply_facts(profile, facts))))
    return 0


def describe_profile(profile: object, provenance: dict[str, object] | None = None, prefix: str = "") -> list[str]:
    """One line per field of a (nested) profile dataclass, each tagged with where its value came from."""
    provenance = getattr(profile, "provenance", {}) if provenance is None else provenance
    lines: list[str] = []
    for field in dataclasses.fields(profile):  # type: ignore[arg-type]
        if field.name == "provenance":
            continue
        key = f"{prefix}{field.name}"
        value = getattr(profile, field.name)
        source = provenance.get(key)
        tag = f"   [{_text(source)}]" if source is not None else ""
        if dataclasses.is_dataclass(value):
            lines.append(f"{field.name}:{tag}")
            lines += ["  " + line for line in describe_profile(value, provenance, f"{key}.")]
        elif isinstance(value, (tuple, list, frozenset)) and value and dataclasses.is_dataclass(next(iter(value))):
            lines.append(f"{field.name}:{tag}")
            lines += [f"  - {_text(item)}" for item in value]
        elif isinstance(value, tuple) and any(f"{key}.{item}" in provenance for item in value):
            lines.append(f"{field.name}:{tag}")
            lines += [f"  - {item}   [{_text(provenance.get(f'{key}.{item}', ''))}]" for item in value]
        else:
            lines.append(f"{field.name}: {_text(value)}{tag}")
    return lines


def _text(value: object) -> str:
    """A profile value as a person reads it (enums by value, dataclasses as field=value, times as HH:MM)."""
    if isinstance(value, Enum):
        return str(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ", ".join(f"{field.name}={_text(getattr(value, field.name))}" for field in dataclasses.fields(value))
    if isinstance(value, frozenset):
        value = sorted(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
