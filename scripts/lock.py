"""Print the frozen versions of the venv's distributions for constraints.txt (run by `make lock`).

The ROS wheels install metadata twice (`ros-rclpy` and `rclpy`); only the `ros-*` names exist on the
registry, so the unprefixed aliases are left out. The project, its locally built interface package and
the venv's own pip/setuptools are left out too.
"""

from __future__ import annotations

import importlib.metadata


NOT_FROM_THE_REGISTRY = {"carebot", "carebot-interfaces", "pip", "setuptools"}


def frozen_requirements() -> list[str]:
    versions = {
        dist.metadata["Name"].lower().replace("_", "-"): dist.version
        for dist in importlib.metadata.distributions()
    }
    return sorted(
        f"{name}=={version}"
        for name, version in versions.items()
        if name not in NOT_FROM_THE_REGISTRY and not (not name.startswith("ros-") and f"ros-{name}" in versions)
    )


def main() -> None:
    print("# Frozen versions of every Python distribution the project installs (pip -c).")
    print("# Regenerate with: make lock   (then review the diff)")
    print("\n".join(frozen_requirements()))


if __name__ == "__main__":
    main()
