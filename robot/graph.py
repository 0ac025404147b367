"""The node graph (`launch/graph.yaml`) as frozen dataclasses, and the command line that starts each node.

The project's launcher (`robot.launcher`), `carebot node` and `launch/carebot.launch.py` all build their
command lines and child environments here, so the three ways of starting the graph cannot drift apart.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Union

import yaml

from robot.console.settings import DEFAULT_CONSOLE_PORT
from robot.paths import LAUNCH_DIR, PROFILES_DIR
from robot.rosenv import ensure_loopback_only

GRAPH_FILE = LAUNCH_DIR / "graph.yaml"
MODES = ("robot", "simulation")
PLACEHOLDERS = ("profiles_dir", "residents_dir", "run_dir", "scenario", "clock_subscribers", "console_port")
"""Names a `${...}` placeholder in graph.yaml may use; their values come from the run context."""

Scalar = Union[str, int, float, bool]
ParamValue = Union[Scalar, list[str], list[int], list[float], list[bool]]
RunContext = Mapping[str, Union[str, int, Path]]

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_MODULE = re.compile(r"^(robot|simulation)\.nodes\.[a-z_][a-z0-9_]*$")
_NODE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_NODE_KEYS = {"module", "mode", "params_file", "sim_time", "params", "simulation_params", "console", "finishes_run"}


class GraphError(ValueError):
    """graph.yaml is malformed, or a placeholder cannot be filled in; the message names file, node and field."""


@dataclass(frozen=True)
class NodeSpec:
    """One node of the graph as graph.yaml declares it (parameter values may still hold placeholders)."""

    name: str
    module: str                              # run as `python -m <module>`
    mode: str                                # "robot" (also on a real robot) or "simulation" (sim only)
    params_file: Path                        # launch/params/<name>.yaml
    sim_time: bool                           # follows /clock when the graph runs in simulation
    params: Mapping[str, ParamValue]         # overrides in every mode
    simulation_params: Mapping[str, ParamValue]  # further overrides in simulation
    console: bool = False                    # stdout goes to the terminal instead of the node's log
    finishes_run: bool = False               # exiting 0 ends the run (sim_clock at the end of the day)


@dataclass(frozen=True)
class Graph:
    """All nodes in start order."""

    source: Path
    nodes: tuple[NodeSpec, ...]

    def node(self, name: str) -> NodeSpec:
        for spec in self.nodes:
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in self.nodes)
        raise GraphError(f"{self.source}: no node named {name!r} (known: {known})")

    def for_mode(self, simulation: bool) -> tuple[NodeSpec, ...]:
        """The robot nodes, plus the simulation nodes when `simulation`."""
        return tuple(spec for spec in self.nodes if simulation or spec.mode == "robot")

    def clock_subscribers(self) -> int:
        """How many simulation-mode processes follow /clock (sim_clock waits for all of them)."""
        return sum(1 for spec in self.for_mode(simulation=True) if spec.sim_time)


@dataclass(frozen=True)
class NodeCommand:
    """What a process supervisor needs to start and judge one node."""

    name: str
    argv: tuple[str, ...]
    console: bool
    finishes_run: bool


def load_graph(path: Path = GRAPH_FILE) -> Graph:
    """Read and validate graph.yaml; every problem is a GraphError naming the file, node and field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GraphError(f"{path}: cannot read the graph: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), dict) or not document["nodes"]:
        raise GraphError(f"{path}: expected a mapping with a non-empty 'nodes:' mapping (node name -> settings)")
    nodes = tuple(_node_spec(path, name, entry) for name, entry in document["nodes"].items())
    return Graph(source=path, nodes=nodes)


def _node_spec(path: Path, name: object, entry: object) -> NodeSpec:
    where = f"{path}: node {name!r}"
    if not isinstance(name, str) or not _NODE_NAME.match(name):
        raise GraphError(f"{where}: a node name must be lower_snake_case")
    if not isinstance(entry, dict):
        raise GraphError(f"{where}: expected a mapping of settings, got {type(entry).__name__}")
    unknown = set(entry) - _NODE_KEYS
    if unknown:
        raise GraphError(f"{where}: unknown field(s) {sorted(unknown)}; expected some of {sorted(_NODE_KEYS)}")
    module = entry.get("module")
    if not isinstance(module, str) or not _MODULE.match(module):
        raise GraphError(f"{where}: field 'module' must be robot.nodes.<name> or simulation.nodes.<name>, got {module!r}")
    mode = entry.get("mode")
    if mode not in MODES:
        raise GraphError(f"{where}: field 'mode' must be one of {list(MODES)}, got {mode!r}")
    params_file = entry.get("params_file")
    if not isinstance(params_file, str):
        raise GraphError(f"{where}: field 'params_file' must be a path relative to {path.parent}")
    resolved_params_file = (path.parent / params_file).resolve()
    if not resolved_params_file.is_file():
        raise GraphError(f"{where}: field 'params_file': {resolved_params_file} does not exist")
    return NodeSpec(
        name=name,
        module=module,
        mode=mode,
        params_file=resolved_params_file,
        sim_time=_flag(where, entry, "sim_time", required=True),
        params=_params(where, entry, "params"),
        simulation_params=_params(where, entry, "simulation_params"),
        console=_flag(where, entry, "console", required=False),
        finishes_run=_flag(where, entry, "finishes_run", required=False),
    )


def _flag(where: str, entry: dict, key: str, required: bool) -> bool:
    if key not in entry and not required:
        return False
    value = entry.get(key)
    if not isinstance(value, bool):
        raise GraphError(f"{where}: field {key!r} must be true or false, got {value!r}")
    return value


def _params(where: str, entry: dict, key: str) -> Mapping[str, ParamValue]:
    raw = entry.get(key) or {}
    if not isinstance(raw, dict):
        raise GraphError(f"{where}: field {key!r} must be a mapping of parameter name -> value")
    for name, value in raw.items():
        _check_value(f"{where}: {key}.{name}", value)
    return MappingProxyType(dict(raw))


def _check_value(where: str, value: object) -> None:
    if isinstance(value, list):
        if not value:
            raise GraphError(f"{where}: an empty list has no type on the command line; set it in the params file")
        kinds = {type(item) for item in value}
        if len(kinds) != 1 or not kinds <= {str, int, float, bool}:
            raise GraphError(f"{where}: a list must hold values of one type (str, int, float or bool), got {value!r}")
        for item in value:
            _check_value(where, item)
        return
    if not isinstance(value, (str, int, float, bool)):
        raise GraphError(f"{where}: expected a string, number, boolean or list of one of those, got {value!r}")
    if isinstance(value, str):
        for placeholder in _PLACEHOLDER.findall(value):
            if placeholder not in PLACEHOLDERS:
                raise GraphError(f"{where}: unknown placeholder ${{{placeholder}}}; known: "
                                 + ", ".join(f"${{{name}}}" for name in PLACEHOLDERS))


def resolve_params(spec: NodeSpec, context: RunContext, simulation: bool) -> dict[str, ParamValue]:
    """The node's overrides for this mode with every placeholder filled in from `context`.

    A value that is exactly one placeholder takes the context value's own type (`${clock_subscribers}` stays
    an int); a placeholder inside a longer string is interpolated as text.
    """
    merged = dict(spec.params)
    if simulation:
        merged.update(spec.simulation_params)
    return {name: _fill(spec, name, value, context) for name, value in merged.items()}


def _fill(spec: NodeSpec, name: str, value: ParamValue, context: RunContext) -> ParamValue:
    if isinstance(value, list):
        return [_fill(spec, name, item, context) for item in value]  # type: ignore[misc]
    if not isinstance(value, str):
        return value

    def lookup(placeholder: str) -> str | int | Path:
        if placeholder not in context:
            raise GraphError(f"node {spec.name!r}, parameter {name!r}: placeholder ${{{placeholder}}} has no value "
                             f"in this run (given: {', '.join(sorted(context)) or 'nothing'})")
        return context[placeholder]

    whole = _PLACEHOLDER.fullmatch(value)
    if whole:
        filled = lookup(whole.group(1))
        return str(filled) if isinstance(filled, Path) else filled
    return _PLACEHOLDER.sub(lambda match: str(lookup(match.group(1))), value)


def render_param(value: ParamValue) -> str:
    """A value in ROS `-p name:=value` syntax: strings single-quoted so they never turn into numbers."""
    if isinstance(value, list):
        return "[" + ", ".join(render_param(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # always has a '.' or an exponent, so ROS reads a double
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def node_command(spec: NodeSpec, context: RunContext, simulation: bool, python: str = sys.executable,
                 extra_params: Mapping[str, ParamValue] | None = None) -> NodeCommand:
    """The command line that starts `spec` as its own process, node name and parameters set."""
    params = resolve_params(spec, context, simulation)
    params.update(extra_params or {})
    if simulation and spec.sim_time:
        params["use_sim_time"] = True
    argv = [python, "-m", spec.module, "--ros-args", "-r", f"__node:={spec.name}", "--params-file", str(spec.params_file)]
    for name, value in params.items():
        argv += ["-p", f"{name}:={render_param(value)}"]
    return NodeCommand(name=spec.name, argv=tuple(argv), console=spec.console, finishes_run=spec.finishes_run)


def graph_commands(graph: Graph, context: RunContext, simulation: bool, python: str = sys.executable,
                   extra_params: Mapping[str, Mapping[str, ParamValue]] | None = None) -> list[NodeCommand]:
    """Commands for every node of the mode, in start order; `extra_params` maps node name -> overrides."""
    extra_params = extra_params or {}
    unknown = set(extra_params) - {spec.name for spec in graph.for_mode(simulation)}
    if unknown:
        raise GraphError(f"{graph.source}: parameters given for node(s) not in this graph: {sorted(unknown)}")
    return [node_command(spec, context, simulation, python, extra_params.get(spec.name))
            for spec in graph.for_mode(simulation)]


def node_environment(base: Mapping[str, str], run_dir: Path, domain_id: int | None) -> dict[str, str]:
    """The environment of every node process: loopback-only DDS, the run's domain, logs under the run dir."""
    environment = dict(base)
    ensure_loopback_only(environment)
    if domain_id is not None:
        environment["ROS_DOMAIN_ID"] = str(domain_id)
    environment["ROS_LOG_DIR"] = str(run_dir / "ros_logs")
    environment["PYTHONUNBUFFERED"] = "1"
    environment["PYTHONFAULTHANDLER"] = "1"   # a crash in native code (DDS, torch) still leaves a stack in the log
    return environment


def run_context(run_dir: Path, profiles_dir: Path = PROFILES_DIR, residents_dir: Path | None = None,
                scenario: Path | None = None, clock_subscribers: int | None = None,
                console_port: int = DEFAULT_CONSOLE_PORT) -> dict[str, str | int | Path]:
    """The values placeholders are filled from; `scenario` and `clock_subscribers` exist only in simulation."""
    context: dict[str, str | int | Path] = {
        "profiles_dir": profiles_dir,
        "residents_dir": residents_dir or profiles_dir / "residents",
        "run_dir": run_dir,
        "console_port": console_port,
    }
    if scenario is not None:
        context["scenario"] = scenario
    if clock_subscribers is not None:
        context["clock_subscribers"] = clock_subscribers
    return context
