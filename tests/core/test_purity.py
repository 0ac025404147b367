"""robot/core stays pure: it imports only the standard library and robot.core itself."""

from __future__ import annotations

import ast
import sys

from robot.paths import PROJECT_ROOT

CORE = PROJECT_ROOT / "robot" / "core"


def foreign_imports(source: str) -> list[str]:
    """Imported modules that are neither standard library nor robot.core."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue   # relative imports stay inside the package
        found += [m for m in modules
                  if m.split(".")[0] not in sys.stdlib_module_names and not (m + ".").startswith("robot.core.")]
    return found


def test_the_checker_catches_third_party_and_outer_layer_imports() -> None:
    source = "import yaml\nfrom rclpy.node import Node\nfrom robot.adapters import x\nimport json\n" \
             "from robot.core.profile import Home\nimport robot.core\n"
    assert foreign_imports(source) == ["yaml", "rclpy.node", "robot.adapters"]


def test_core_modules_import_only_the_standard_library() -> None:
    modules = sorted(CORE.glob("*.py"))
    assert len(modules) >= 3
    offenders = {path.name: bad for path in modules if (bad := foreign_imports(path.read_text(encoding="utf-8")))}
    assert offenders == {}
