"""Declaring node parameters once, with a descriptor (description, units, range)."""

from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node


def declare(node: Node, name: str, default: Any, description: str,
            minimum: float | None = None, maximum: float | None = None, read_only: bool = False) -> Any:
    """Declare `name` with a descriptor and return its current value."""
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if minimum is not None and maximum is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f"parameter {name}: a range needs a numeric default")
        if isinstance(default, int):
            descriptor.integer_range = [IntegerRange(from_value=int(minimum), to_value=int(maximum), step=0)]
        else:
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(minimum), to_value=float(maximum), step=0.0)]
    return node.declare_parameter(name, default, descriptor).value
