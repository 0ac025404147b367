"""`ros2 launch` entry for a robot with a full ROS 2 install: the same graph as `carebot sim`, from graph.yaml.

    ros2 launch launch/carebot.launch.py                                  # the robot's nodes
    ros2 launch launch/carebot.launch.py simulation:=true scenario:=smoke  # plus the simulated world

Every command line comes from robot.graph (shared with the project's own launcher and unit-tested there);
this file only turns them into ExecuteProcess actions. Any node exiting shuts the whole launch down, as the
project's launcher does. The `launch` imports sit inside the functions that need them so that tests, which
have no `launch` package (it is not on PyPI), can still check the commands this file builds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from robot.graph import NodeCommand, graph_commands, load_graph, node_environment, run_context
from robot.paths import PROFILES_DIR, RUNS_DIR

ARGUMENTS = {
    "simulation": ("false", "true: also start the simulated clock, residents, phone line and monitor"),
    "scenario": ("", "scenario name (simulation/scenarios) or file; required with simulation:=true"),
    "run_dir": (str(RUNS_DIR / "robot"), "folder for the wellbeing database, transcript and node logs"),
    "profiles_dir": (str(PROFILES_DIR), "profiles folder (cultures/, phrases/, understanding/, residents/)"),
    "residents_dir": ("", "folder of resident profiles; empty: <profiles_dir>/residents"),
}


def commands_for(arguments: Mapping[str, str]) -> list[NodeCommand]:
    """The node commands for these launch argument values (strings, as `ros2 launch` gives them)."""
    simulation = arguments["simulation"].strip().lower() in ("true", "1", "yes")
    scenario = None
    if simulation:
        if not arguments["scenario"]:
            raise ValueError("carebot.launch.py: simulation:=true needs scenario:=<name or file>")
        from simulation.runner import scenario_path

        scenario = scenario_path(arguments["scenario"])
    graph = load_graph()
    context = run_context(
        Path(arguments["run_dir"]), Path(arguments["profiles_dir"]),
        Path(arguments["residents_dir"]) if arguments["residents_dir"] else None, scenario,
        graph.clock_subscribers() if simulation else None)
    return graph_commands(graph, context, simulation)


def generate_launch_description():  # type: ignore[no-untyped-def]  (launch types exist only with ROS 2)
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction

    declared = [DeclareLaunchArgument(name, default_value=default, description=description)
                for name, (default, description) in ARGUMENTS.items()]
    return LaunchDescription([*declared, OpaqueFunction(function=_node_processes)])


def _node_processes(context):  # type: ignore[no-untyped-def]
    from launch.actions import ExecuteProcess, Shutdown
    from launch.substitutions import LaunchConfiguration

    arguments = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS}
    environment = node_environment(os.environ, Path(arguments["run_dir"]), domain_id=None)
    return [ExecuteProcess(cmd=list(command.argv), name=command.name, env=environment,
                           output="screen" if command.console else "log",
                           sigterm_timeout="5", sigkill_timeout="5",
                           on_exit=[Shutdown(reason=f"{command.name} exited")])
            for command in commands_for(arguments)]
