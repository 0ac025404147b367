"""Where the project's data folders are (the repository checkout, for the editable install)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = PROJECT_ROOT / "profiles"
SCENARIOS_DIR = PROJECT_ROOT / "simulation" / "scenarios"
LAUNCH_DIR = PROJECT_ROOT / "launch"
RUNS_DIR = PROJECT_ROOT / "runs"
