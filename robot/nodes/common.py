"""Parameters and loading shared by the nodes that serve the residents of one home."""

from __future__ import annotations

from pathlib import Path

from rclpy.node import Node

from robot.adapters.yaml_profiles import load_home
from robot.core.profile import Home
from robot.nodes.params import declare
from robot.paths import PROFILES_DIR


def declare_profiles_dir(node: Node) -> Path:
    return Path(declare(node, "profiles_dir", str(PROFILES_DIR),
                        "folder with cultures/, phrases/, understanding/ and (by default) residents/",
                        read_only=True))


def load_home_from_parameters(node: Node) -> Home:
    """Declare profiles_dir, residents_dir and residents, and load the home they describe."""
    profiles_dir = declare_profiles_dir(node)
    residents_dir = declare(node, "residents_dir", "", "resident profiles folder; empty = <profiles_dir>/residents",
                            read_only=True)
    residents = declare(node, "residents", [""], "person ids served by this robot; [''] = every resident",
                        read_only=True)
    only = [person_id for person_id in residents if person_id]
    return load_home(profiles_dir, Path(residents_dir) if residents_dir else None, only=only)
