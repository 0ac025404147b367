"""graph.yaml: loading, validation, placeholders, and the command lines every launcher builds from it."""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from robot.graph import (
    GRAPH_FILE,
    GraphError,
    graph_commands,
    load_graph,
    node_command,
    node_environment,
    render_param,
    resolve_params,
    run_context,
)
from robot.paths import LAUNCH_DIR

ROBOT_NODES = ["wellbeing_logger", "session_recorder", "alert_desk", "speech_recognition", "speech_synthesis", "dialogue", "medication_reminder",
               "family_call", "console"]
SIMULATION_NODES = ["sim_phone_line", "sim_residents", "sim_monitor", "sim_clock"]


def write_graph(tmp_path: Path, nodes: str) -> Path:
    """A graph file in tmp_path whose nodes all use one (existing) params file."""
    (tmp_path / "params").mkdir(exist_ok=True)
    (tmp_path / "params" / "node.yaml").write_text("/node:\n  ros__parameters: {}\n")
    path = tmp_path / "graph.yaml"
    path.write_text("nodes:\n" + textwrap.indent(textwrap.dedent(nodes), "  "))
    return path


TALKER = """
talker:
  module: robot.nodes.talker
  mode: robot
  params_file: params/node.yaml
  sim_time: true
  params:
    database: ${run_dir}/wellbeing.db
    expected: ${clock_subscribers}
    label: "123"
  simulation_params:
    backend: simulated
clock:
  module: simulation.nodes.clock
  mode: simulation
  params_file: params/node.yaml
  sim_time: false
  finishes_run: true
"""


def test_the_project_graph_has_the_robot_and_simulation_nodes_in_start_order() -> None:
    graph = load_graph()

    assert [spec.name for spec in graph.for_mode(simulation=False)] == ROBOT_NODES
    assert [spec.name for spec in graph.for_mode(simulation=True)] == ROBOT_NODES + SIMULATION_NODES
    for spec in graph.nodes:
        assert spec.module == f"{'robot' if spec.mode == 'robot' else 'simulation'}.nodes.{spec.name}"
        assert spec.params_file == LAUNCH_DIR / "params" / f"{spec.name}.yaml"
    assert [spec.name for spec in graph.nodes if not spec.sim_time] == ["sim_clock"]
    assert graph.clock_subscribers() == len(ROBOT_NODES) + len(SIMULATION_NODES) - 1
    assert [spec.name for spec in graph.nodes if spec.finishes_run] == ["sim_clock"]
    assert [spec.name for spec in graph.nodes if spec.console] == ["sim_monitor"]


def test_the_project_graph_fills_in_the_run_in_simulation_and_a_simulated_phone_only_there(tmp_path: Path) -> None:
    graph = load_graph()
    context = run_context(tmp_path, profiles_dir=tmp_path / "profiles", residents_dir=tmp_path / "residents",
                          scenario=tmp_path / "day.yaml", clock_subscribers=graph.clock_subscribers())

    logger = resolve_params(graph.node("wellbeing_logger"), context, simulation=True)
    assert logger["database"] == f"{tmp_path}/wellbeing.db"
    assert logger["residents_dir"] == str(tmp_path / "residents")
    assert resolve_params(graph.node("sim_clock"), context, simulation=True)["expected_subscribers"] == 12
    assert resolve_params(graph.node("sim_monitor"), context, True)["transcript"] == f"{tmp_path}/transcript.txt"
    assert resolve_params(graph.node("family_call"), context, simulation=True)["phone_backend"] == "simulated"
    assert "phone_backend" not in resolve_params(graph.node("family_call"), context, simulation=False)


def test_a_whole_placeholder_keeps_its_type_and_an_embedded_one_becomes_text(tmp_path: Path) -> None:
    graph = load_graph(write_graph(tmp_path, TALKER))
    context = run_context(Path("/runs/day 1"), clock_subscribers=7)

    params = resolve_params(graph.node("talker"), context, simulation=True)

    assert params == {"database": "/runs/day 1/wellbeing.db", "expected": 7, "label": "123", "backend": "simulated"}


def test_the_command_line_names_the_node_and_passes_params_file_overrides_and_sim_time(tmp_path: Path) -> None:
    graph = load_graph(write_graph(tmp_path, TALKER))
    context = run_context(Path("/runs/day"), clock_subscribers=1)

    in_sim = node_command(graph.node("talker"), context, simulation=True, python="/venv/bin/python",
                          extra_params={"rate": 2.5})
    on_robot = node_command(graph.node("talker"), context, simulation=False, python="/venv/bin/python")

    assert in_sim.argv == (
        "/venv/bin/python", "-m", "robot.nodes.talker", "--ros-args", "-r", "__node:=talker",
        "--params-file", str(tmp_path / "params" / "node.yaml"),
        "-p", "database:='/runs/day/wellbeing.db'", "-p", "expected:=1", "-p", "label:='123'",
        "-p", "backend:='simulated'", "-p", "rate:=2.5", "-p", "use_sim_time:=true")
    assert "use_sim_time:=true" not in on_robot.argv and "backend:='simulated'" not in on_robot.argv
    assert (in_sim.console, in_sim.finishes_run) == (False, False)
    clock = node_command(graph.node("clock"), context, simulation=True)
    assert clock.finishes_run and "use_sim_time:=true" not in clock.argv


def test_graph_commands_leave_out_simulation_nodes_on_a_robot_and_reject_overrides_for_absent_nodes(
        tmp_path: Path) -> None:
    graph = load_graph(write_graph(tmp_path, TALKER))
    context = run_context(tmp_path, clock_subscribers=1)

    assert [c.name for c in graph_commands(graph, context, simulation=False)] == ["talker"]
    assert [c.name for c in graph_commands(graph, context, simulation=True)] == ["talker", "clock"]
    with pytest.raises(GraphError, match=r"not in this graph: \['clock'\]"):
        graph_commands(graph, context, simulation=False, extra_params={"clock": {"idle_step_s": 1.0}})


@pytest.mark.parametrize(("value", "rendered"), [
    ("plain", "'plain'"), ("123", "'123'"), ("it's", "'it''s'"), ("true", "'true'"),
    (7, "7"), (2.5, "2.5"), (1e-05, "1e-05"), (3.0, "3.0"), (True, "true"), (False, "false"),
    (["en", "pl"], "['en', 'pl']"), ([1, 2], "[1, 2]"),
])
def test_values_are_rendered_in_ros_parameter_syntax(value: object, rendered: str) -> None:
    assert render_param(value) == rendered  # type: ignore[arg-type]


@pytest.mark.parametrize(("nodes", "message"), [
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n"
     "  params:\n    db: ${rundir}/w.db\n", r"node 'x': params\.db: unknown placeholder \$\{rundir\}; known: \$\{profiles_dir\}"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/missing.yaml\n  sim_time: true\n",
     r"node 'x': field 'params_file': .*missing\.yaml does not exist"),
    ("x:\n  module: robot.nodes.x\n  mode: robots\n  params_file: params/node.yaml\n  sim_time: true\n",
     r"node 'x': field 'mode' must be one of \['robot', 'simulation'\], got 'robots'"),
    ("x:\n  module: os.system\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n",
     r"node 'x': field 'module' must be robot\.nodes\.<name> or simulation\.nodes\.<name>"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n",
     r"node 'x': field 'sim_time' must be true or false, got None"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n"
     "  console: yes please\n", r"field 'console' must be true or false"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n"
     "  parms: {}\n", r"node 'x': unknown field\(s\) \['parms'\]"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n"
     "  params:\n    ids: []\n", r"params\.ids: an empty list has no type on the command line"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n"
     "  params:\n    ids: [a, 1]\n", r"params\.ids: a list must hold values of one type"),
    ("x:\n  module: robot.nodes.x\n  mode: robot\n  params_file: params/node.yaml\n  sim_time: true\n"
     "  params:\n    where: {a: 1}\n", r"params\.where: expected a string, number, boolean or list"),
])
def test_a_bad_graph_is_reported_with_file_node_and_field(tmp_path: Path, nodes: str, message: str) -> None:
    path = write_graph(tmp_path, nodes)
    with pytest.raises(GraphError, match=message) as raised:
        load_graph(path)
    assert str(raised.value).startswith(str(path))


def test_a_placeholder_the_run_does_not_provide_is_a_clear_error(tmp_path: Path) -> None:
    graph = load_graph(write_graph(tmp_path, TALKER))
    with pytest.raises(GraphError, match=r"node 'talker', parameter 'expected': placeholder "
                                         r"\$\{clock_subscribers\} has no value in this run"):
        resolve_params(graph.node("talker"), run_context(tmp_path), simulation=False)


def test_an_unknown_node_name_lists_the_known_ones(tmp_path: Path) -> None:
    graph = load_graph(write_graph(tmp_path, TALKER))
    with pytest.raises(GraphError, match=r"no node named 'talkr' \(known: talker, clock\)"):
        graph.node("talkr")


def test_a_graph_file_that_is_not_a_node_mapping_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "graph.yaml"
    path.write_text("- just a list\n")
    with pytest.raises(GraphError, match="expected a mapping with a non-empty 'nodes:' mapping"):
        load_graph(path)


def test_every_node_process_gets_loopback_dds_its_domain_and_logs_under_the_run() -> None:
    off_loopback = {"ROS_EXTRA_PEERS": "10.0.0.5"}   # any ROS_*_PEERS list names hosts on the LAN
    base = {"PATH": "/usr/bin", **off_loopback, "ROS_LOCALHOST_ONLY": "1", "ROS_DOMAIN_ID": "3"}

    environment = node_environment(base, Path("/runs/day"), domain_id=42)

    assert environment["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert not set(off_loopback) & set(environment) and "ROS_LOCALHOST_ONLY" not in environment
    assert (environment["ROS_DOMAIN_ID"], environment["ROS_LOG_DIR"]) == ("42", "/runs/day/ros_logs")
    assert environment["PYTHONUNBUFFERED"] == "1" and environment["PATH"] == "/usr/bin"
    assert all(base[name] == "10.0.0.5" for name in off_loopback)  # the caller's mapping is left alone
    assert node_environment(base, Path("/r"), domain_id=None)["ROS_DOMAIN_ID"] == "3"


ECHO_NODE = """
    import json, sys
    from robot.rosenv import ensure_loopback_only
    ensure_loopback_only()
    import rclpy
    from rclpy.node import Node
    from rclpy.parameter import Parameter
    rclpy.init(args=sys.argv)
    node = Node("placeholder_name")
    defaults = {"label": "", "path": "", "count": 0, "ratio": 0.0, "small": 0.0, "flag": False,
                "locales": Parameter.Type.STRING_ARRAY, "weights": Parameter.Type.DOUBLE_ARRAY}
    values = {name: node.declare_parameter(name, default).value for name, default in defaults.items()}
    values["weights"] = list(values["weights"])
    print(json.dumps({"node": node.get_name(), "use_sim_time": node.get_parameter("use_sim_time").value, **values}))
    node.destroy_node()
    rclpy.shutdown()
"""


@pytest.mark.ros
def test_rclpy_reads_the_rendered_parameters_with_the_declared_types(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "echo.yaml").write_text("/echo:\n  ros__parameters:\n    count: 1\n    label: x\n")
    graph = load_graph(write_graph(tmp_path, """
        echo:
          module: robot.nodes.echo
          mode: robot
          params_file: params/node.yaml
          sim_time: true
          params:
            label: "123"
            path: ${run_dir}/it's here/wellbeing.db
            count: 3
            ratio: 2.0
            small: 1.0e-05
            flag: true
            locales: [en-GB, "true", ja]
            weights: [0.5, 1.5]
        """.replace("/node.yaml", "/echo.yaml")))
    script = tmp_path / "echo.py"
    script.write_text(textwrap.dedent(ECHO_NODE))
    command = node_command(graph.node("echo"), run_context(tmp_path / "run"), simulation=True)
    argv = [sys.executable, str(script), *command.argv[3:]]  # the node's own arguments, run from a script

    environment = node_environment(os.environ, tmp_path / "run", domain_id=None)
    environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=environment)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "node": "echo", "use_sim_time": True, "label": "123", "path": f"{tmp_path}/run/it's here/wellbeing.db",
        "count": 3, "ratio": 2.0, "small": 1e-05, "flag": True, "locales": ["en-GB", "true", "ja"],
        "weights": [0.5, 1.5]}


def load_launch_file() -> object:
    spec = importlib.util.spec_from_file_location("carebot_launch", LAUNCH_DIR / "carebot.launch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ros2_launch_file_compiles_and_builds_the_same_commands_as_the_launcher(tmp_path: Path) -> None:
    py_compile.compile(str(LAUNCH_DIR / "carebot.launch.py"), cfile=str(tmp_path / "launch.pyc"), doraise=True)
    launch_file = load_launch_file()
    graph = load_graph(GRAPH_FILE)
    (tmp_path / "day.yaml").write_text("name: day\n")  # only its path matters here
    arguments = {"simulation": "true", "run_dir": str(tmp_path), "profiles_dir": str(tmp_path / "profiles"),
                 "residents_dir": str(tmp_path / "residents"), "scenario": str(tmp_path / "day.yaml")}
    context = run_context(tmp_path, tmp_path / "profiles", tmp_path / "residents", tmp_path / "day.yaml",
                          graph.clock_subscribers())

    assert launch_file.commands_for(arguments) == graph_commands(graph, context, simulation=True)
    robot_arguments = {**arguments, "simulation": "false", "residents_dir": "", "scenario": ""}
    assert launch_file.commands_for(robot_arguments) == graph_commands(
        graph, run_context(tmp_path, tmp_path / "profiles"), simulation=False)
