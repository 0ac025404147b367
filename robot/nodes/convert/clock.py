"""Time: ROS stamps and node-clock times <-> timezone-aware datetimes (UTC)."""

from __future__ import annotations

import datetime as dt

from builtin_interfaces.msg import Time as TimeMsg
from rclpy.time import Time


def to_datetime(stamp: TimeMsg | Time) -> dt.datetime:
    """A ROS time (message or rclpy Time) as an aware UTC datetime."""
    nanoseconds = stamp.nanoseconds if isinstance(stamp, Time) else stamp.sec * 1_000_000_000 + stamp.nanosec
    return dt.datetime.fromtimestamp(nanoseconds / 1e9, tz=dt.timezone.utc)


def to_stamp(moment: dt.datetime) -> TimeMsg:
    """An aware datetime as a builtin_interfaces/Time message."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: a time zone is required")
    nanoseconds = round(moment.timestamp() * 1e9)
    return TimeMsg(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def is_zero(stamp: TimeMsg) -> bool:
    return stamp.sec == 0 and stamp.nanosec == 0
