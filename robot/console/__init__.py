"""The staff console: a web app where care staff see residents and alerts, edit profiles and confirm what the
robot learned, researchers download pseudonymised data, and admins manage accounts and read the change log.

`create_app(ConsoleSettings(...))` builds it (Starlette, server-rendered forms that work without
JavaScript); `carebot console` serves it with uvicorn next to a ROS 2 node (robot/nodes/console.py).
"""

from robot.console.app import create_app
from robot.console.settings import ConsoleSettings, RobotLink

__all__ = ["ConsoleSettings", "RobotLink", "create_app"]
