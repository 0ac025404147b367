"""Fixtures for tier-2 node tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sim_harness import MONDAY_0800, SimTimeGraph


@pytest.fixture
def graph(ros_context: Any) -> Iterator[SimTimeGraph]:
    """Nodes under test on simulated time, starting Monday 2 March 2026 08:00 UTC."""
    rig = SimTimeGraph(ros_context, MONDAY_0800)
    try:
        yield rig
    finally:
        rig.close()
