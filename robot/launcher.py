"""The project's own process supervisor: every node in its own process group, crashes reported, clean stops.

Used by `carebot sim` (and anything else that runs the graph without `ros2 launch`). It only ever signals
the process groups it started, and after a stop removes Fast DDS shared-memory files that its own dead
children left behind (a SIGKILLed participant cannot remove them itself).
"""

from __future__ import annotations

import enum
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from robot.graph import NodeCommand

LOG_TAIL_LINES = 20
SHM_DIR = Path("/dev/shm")
SHM_PREFIXES = ("fastdds_", "fastrtps_")


class Outcome(str, enum.Enum):
    FINISHED = "finished"        # a node marked finishes_run exited 0
    FAILED = "failed"            # some node exited when it should not have
    INTERRUPTED = "interrupted"  # the launcher got SIGINT/SIGTERM


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    node: str | None = None
    exit_code: int | None = None
    log_tail: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.outcome is not Outcome.FAILED:
            return self.outcome.value
        header = f"node {self.node!r} exited unexpectedly with code {self.exit_code}"
        if not self.log_tail:
            return header + " (its log is empty)"
        return header + f"; last {len(self.log_tail)} lines of its log:\n" + "\n".join(
            "    " + line for line in self.log_tail)


@dataclass
class _Child:
    command: NodeCommand
    process: subprocess.Popen[bytes]
    log_path: Path
    shm_files: set[Path] = field(default_factory=set)


class Launcher:
    """Start node commands, watch them, stop them. Use `run()`, or `start()`/`supervise()`/`stop()`."""

    def __init__(self, commands: Sequence[NodeCommand], run_dir: Path, environment: Mapping[str, str],
                 report: TextIO = sys.stderr, stop_timeout_s: float = 5.0, poll_s: float = 0.2) -> None:
        self._commands = tuple(commands)
        self._log_dir = run_dir / "logs"
        self._environment = dict(environment)
        self._report = report
        self._stop_timeout_s = stop_timeout_s
        self._poll_s = poll_s
        self._children: list[_Child] = []
        self._stop_requested = threading.Event()

    @property
    def pids(self) -> dict[str, int]:
        """Node name -> pid (also the process group id) of every started node."""
        return {child.command.name: child.process.pid for child in self._children}

    def log_path(self, name: str) -> Path:
        return self._log_dir / f"{name}.log"

    def request_stop(self) -> None:
        """Make `supervise()` return INTERRUPTED at its next check (safe from signal handlers and threads)."""
        self._stop_requested.set()

    def run(self) -> RunResult:
        """Start everything, supervise until the run ends, stop everything; SIGINT/SIGTERM stop cleanly too."""
        with self._stop_on_signals():
            try:
                self.start()
                return self.supervise()
            finally:
                self.stop()

    def start(self) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        for command in self._commands:
            if self._stop_requested.is_set():
                return
            self._children.append(self._spawn(command))

    def supervise(self) -> RunResult:
        """Wait until a finishing node exits 0, any other exit happens, or a stop is requested."""
        while not self._stop_requested.wait(self._poll_s):
            for child in self._children:
                self._record_shm_files(child)
                code = child.process.poll()
                if code is None:
                    continue
                if child.command.finishes_run and code == 0:
                    return RunResult(Outcome.FINISHED, child.command.name, code)
                return RunResult(Outcome.FAILED, child.command.name, code, self._log_tail(child))
        return RunResult(Outcome.INTERRUPTED)

    def stop(self) -> None:
        """SIGTERM every process group in reverse start order, SIGKILL what is left after the timeout."""
        for child in reversed(self._children):
            self._record_shm_files(child)
            self._signal_group(child, signal.SIGTERM)
        remaining = self._wait_for_groups(self._children, self._stop_timeout_s)
        for child in remaining:
            self._warn(f"node {child.command.name!r} (pid {child.process.pid}) ignored SIGTERM for "
                       f"{self._stop_timeout_s:g} s; killing its process group")
            self._signal_group(child, signal.SIGKILL)
        for child in self._wait_for_groups(remaining, self._stop_timeout_s):
            self._warn(f"process group {child.process.pid} of node {child.command.name!r} survived SIGKILL")
        self._remove_dead_shm_files()

    def _spawn(self, command: NodeCommand) -> _Child:
        log_path = self.log_path(command.name)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command.argv, stdin=subprocess.DEVNULL, stdout=None if command.console else log, stderr=log,
                env=self._environment, start_new_session=True)
        return _Child(command, process, log_path)

    @contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {signum: signal.signal(signum, lambda *_: self.request_stop()) for signum in handled}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @staticmethod
    def _signal_group(child: _Child, signum: signal.Signals) -> None:
        try:
            os.killpg(child.process.pid, signum)
        except ProcessLookupError:
            pass  # the whole group is gone already

    def _wait_for_groups(self, children: Sequence[_Child], timeout_s: float) -> list[_Child]:
        """Wait (bounded) until each child's process group is empty; return the children whose group is not."""
        deadline = time.monotonic() + timeout_s
        alive = list(children)
        while alive:
            alive = [child for child in alive if _group_alive(child.process)]
            if not alive or time.monotonic() >= deadline:
                break
            _pause(0.05)
        return alive

    def _log_tail(self, child: _Child) -> tuple[str, ...]:
        try:
            lines = child.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ()
        return tuple(lines[-LOG_TAIL_LINES:])

    def _warn(self, message: str) -> None:
        print(f"[launcher] warning: {message}", file=self._report, flush=True)

    @staticmethod
    def _record_shm_files(child: _Child) -> None:
        """Remember the Fast DDS shared-memory files this child has mapped (read while it is alive)."""
        if child.process.poll() is None:
            child.shm_files |= _mapped_shm_files(child.process.pid)

    def _remove_dead_shm_files(self) -> None:
        """Remove shared-memory files our children mapped, once nobody holds their lock any more."""
        for child in self._children:
            if child.process.poll() is None:
                continue
            for segment in child.shm_files:
                if segment.exists() and not _lock_held(segment.with_name(segment.name + "_el")):
                    for path in (segment, segment.with_name(segment.name + "_el"),
                                 segment.with_name(f"sem.{segment.name}_mutex")):
                        path.unlink(missing_ok=True)


def _group_alive(process: subprocess.Popen[bytes]) -> bool:
    """True while any process of the child's group runs; zombies (dead, not yet reaped by init) do not count."""
    if process.poll() is None:  # the leader itself (polling also reaps it)
        return True
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, group = stat_file.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if int(group) == process.pid and state != "Z":
            return True
    return False


def _pause(seconds: float) -> None:
    """Pacing for the bounded wait on OS processes (the launcher has no ROS clock; nothing is scheduled)."""
    threading.Event().wait(seconds)


def _mapped_shm_files(pid: int) -> set[Path]:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    found = set()
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)  # address perms offset device inode [path]
        candidate = Path(fields[5]) if len(fields) == 6 else None
        if candidate is not None and candidate.parent == SHM_DIR and candidate.name.startswith(SHM_PREFIXES):
            found.add(candidate)
    return found


def _lock_held(lock_file: Path) -> bool:
    """Fast DDS keeps an exclusive flock on `<segment>_el` while a live process uses the segment."""
    try:
        descriptor = os.open(lock_file, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False
