"""The process supervisor with real child processes (small scripts written per test).

Each child writes its pid to a file as soon as it runs, so the tests can check by pid that nothing
outlives a stop. Nothing here uses ROS: the launcher only starts, watches and stops processes.
"""

from __future__ import annotations

import fcntl
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from robot.graph import NodeCommand
from robot.launcher import Launcher, Outcome

BOUND = 400  # iterations of 0.05 s: the most any wait in these tests may take (20 s)

SLEEPER = """
    import os, pathlib, signal, sys
    pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
    print("sleeper ready", flush=True)
    while True:
        signal.pause()
"""
STUBBORN = """
    import os, pathlib, signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
    while True:
        signal.pause()
"""
CRASHER = """
    import sys
    for number in range(1, 31):
        print(f"crasher line {number}", flush=True)
    print("Traceback: something broke", file=sys.stderr, flush=True)
    sys.exit(3)
"""
FINISHER = """
    import pathlib, sys, threading
    waiting = [pathlib.Path(name) for name in sys.argv[1:]]
    for _ in range(400):
        if all(path.exists() for path in waiting):
            sys.exit(0)
        threading.Event().wait(0.05)
    sys.exit(9)
"""
SPAWNER = """
    import os, pathlib, signal, subprocess, sys
    grandchild = subprocess.Popen([sys.executable, sys.argv[2], sys.argv[3]])
    pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
    while True:
        signal.pause()
"""
CONSOLE = """
    import os, pathlib, signal, sys
    print("hello from the console node", flush=True)
    print("a warning on stderr", file=sys.stderr, flush=True)
    pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
    while True:
        signal.pause()
"""
SHM_HOLDER = """
    import fcntl, mmap, os, pathlib, signal, sys
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # so the launcher has to SIGKILL it, as after a hang
    segment = pathlib.Path(sys.argv[2])
    segment.write_bytes(bytes(4096))
    with segment.open("r+b") as handle:
        mapped = mmap.mmap(handle.fileno(), 4096)
    lock = os.open(str(segment) + "_el", os.O_CREAT | os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_SH)  # Fast DDS takes LOCK_EX; shared lets the test join in
    pathlib.Path(segment.parent, "sem." + segment.name + "_mutex").write_bytes(b"0")
    pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
    while True:
        signal.pause()
"""


def script(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def command(name: str, path: Path, *args: object, console: bool = False, finishes_run: bool = False) -> NodeCommand:
    return NodeCommand(name, (sys.executable, str(path), *map(str, args)), console, finishes_run)


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie nobody has reaped yet counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(BOUND):
        if condition():
            return
        threading.Event().wait(0.05)
    pytest.fail(f"timed out waiting for {what}")


def read_pid(path: Path) -> int:
    wait_for(lambda: path.exists() and path.read_text().strip() != "", f"{path.name} to be written")
    return int(path.read_text())


def launcher(tmp_path: Path, commands: list[NodeCommand], report: io.StringIO | None = None) -> Launcher:
    return Launcher(commands, tmp_path / "run", dict(os.environ), report=report or io.StringIO(),
                    stop_timeout_s=1.0, poll_s=0.05)


def test_a_crash_names_the_node_its_exit_code_and_the_end_of_its_log_and_stops_the_rest(tmp_path: Path) -> None:
    sleeper = script(tmp_path, "sleeper", SLEEPER)
    commands = [command("first", sleeper, tmp_path / "first.pid"),
                command("crasher", script(tmp_path, "crasher", CRASHER)),
                command("last", sleeper, tmp_path / "last.pid")]
    run = launcher(tmp_path, commands)

    result = run.run()

    assert result.outcome is Outcome.FAILED
    assert (result.node, result.exit_code) == ("crasher", 3)
    assert len(result.log_tail) == 20
    assert result.log_tail[0] == "crasher line 12"
    assert result.log_tail[-1] == "Traceback: something broke"
    assert "'crasher' exited unexpectedly with code 3" in result.describe()
    assert "crasher line 30" in result.describe()
    assert not any(alive(pid) for pid in run.pids.values())


def test_a_finishing_node_exiting_zero_ends_the_run_and_every_other_node_is_stopped(tmp_path: Path) -> None:
    sleeper = script(tmp_path, "sleeper", SLEEPER)
    pid_files = [tmp_path / "a.pid", tmp_path / "b.pid"]
    commands = [command("a", sleeper, pid_files[0]), command("b", sleeper, pid_files[1]),
                command("clock", script(tmp_path, "finisher", FINISHER), *pid_files, finishes_run=True)]
    run = launcher(tmp_path, commands)

    result = run.run()

    assert (result.outcome, result.node, result.exit_code) == (Outcome.FINISHED, "clock", 0)
    assert not any(alive(read_pid(path)) for path in pid_files)
    assert "sleeper ready" in (tmp_path / "run" / "logs" / "a.log").read_text()


def test_a_finishing_node_exiting_non_zero_is_a_failure(tmp_path: Path) -> None:
    finisher = script(tmp_path, "finisher", FINISHER.replace("sys.exit(0)", "sys.exit(4)"))
    result = launcher(tmp_path, [command("clock", finisher, finishes_run=True)]).run()
    assert (result.outcome, result.node, result.exit_code) == (Outcome.FAILED, "clock", 4)


def test_stop_kills_a_node_that_ignores_sigterm_and_its_grandchildren_with_a_warning(tmp_path: Path) -> None:
    sleeper = script(tmp_path, "sleeper", SLEEPER)
    commands = [command("stubborn", script(tmp_path, "stubborn", STUBBORN), tmp_path / "stubborn.pid"),
                command("parent", script(tmp_path, "spawner", SPAWNER), tmp_path / "parent.pid", sleeper,
                        tmp_path / "grandchild.pid")]
    report = io.StringIO()
    run = launcher(tmp_path, commands, report)
    run.start()
    pids = [read_pid(tmp_path / name) for name in ("stubborn.pid", "parent.pid", "grandchild.pid")]

    run.stop()

    assert not any(alive(pid) for pid in pids)
    assert "'stubborn'" in report.getvalue() and "ignored SIGTERM" in report.getvalue()
    assert "'parent'" not in report.getvalue()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_the_launcher_stops_every_node_and_relays_the_console_node(tmp_path: Path, signum: int) -> None:
    sleeper = script(tmp_path, "sleeper", SLEEPER)
    console = script(tmp_path, "console", CONSOLE)
    driver = script(tmp_path, "driver", f"""
        import os, sys
        from pathlib import Path
        from robot.graph import NodeCommand
        from robot.launcher import Launcher
        py = sys.executable
        commands = [NodeCommand("worker", (py, {str(sleeper)!r}, {str(tmp_path / "worker.pid")!r}), False, False),
                    NodeCommand("monitor", (py, {str(console)!r}, {str(tmp_path / "monitor.pid")!r}), True, False)]
        result = Launcher(commands, Path({str(tmp_path / "run")!r}), dict(os.environ), poll_s=0.05).run()
        print("outcome:", result.outcome.value, flush=True)
    """)
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen([sys.executable, str(driver)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=environment, start_new_session=True)
    try:
        pids = [read_pid(tmp_path / "worker.pid"), read_pid(tmp_path / "monitor.pid")]
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert process.returncode == 0, stderr
    assert "outcome: interrupted" in stdout
    assert "hello from the console node" in stdout
    monitor_log = (tmp_path / "run" / "logs" / "monitor.log").read_text()
    assert "a warning on stderr" in monitor_log and "hello from the console node" not in monitor_log
    assert not any(alive(pid) for pid in pids)


@pytest.fixture
def shm_segments() -> Iterator[list[Path]]:
    """Names for fake Fast DDS segments in /dev/shm, with everything removed after the test."""
    segments = [Path("/dev/shm") / f"fastdds_carebottest{uuid.uuid4().hex[:12]}" for _ in range(3)]
    yield segments
    for segment in segments:
        for path in (segment, Path(f"{segment}_el"), segment.with_name(f"sem.{segment.name}_mutex")):
            path.unlink(missing_ok=True)


def test_shared_memory_left_by_killed_nodes_is_removed_unless_someone_else_still_uses_it(
        tmp_path: Path, shm_segments: list[Path]) -> None:
    mine, shared, not_ours = shm_segments
    not_ours.write_bytes(bytes(4096))  # a segment no child of the launcher ever mapped
    holder = script(tmp_path, "holder", SHM_HOLDER)
    report = io.StringIO()
    run = launcher(tmp_path, [command("mine", holder, tmp_path / "mine.pid", mine),
                              command("shared", holder, tmp_path / "shared.pid", shared)], report)
    run.start()
    pids = [read_pid(tmp_path / "mine.pid"), read_pid(tmp_path / "shared.pid")]
    other_user = os.open(f"{shared}_el", os.O_RDONLY)  # a live process outside the run still uses `shared`
    try:
        fcntl.flock(other_user, fcntl.LOCK_SH)
        run.stop()
    finally:
        os.close(other_user)

    assert not any(alive(pid) for pid in pids)
    assert "ignored SIGTERM" in report.getvalue()
    leftovers = [path for path in (mine, Path(f"{mine}_el"), mine.with_name(f"sem.{mine.name}_mutex"))
                 if path.exists()]
    assert leftovers == []
    assert shared.exists() and Path(f"{shared}_el").exists()
    assert not_ours.exists()


def test_a_bad_command_fails_to_start_and_stops_what_already_runs(tmp_path: Path) -> None:
    sleeper = script(tmp_path, "sleeper", SLEEPER)
    commands = [command("ok", sleeper, tmp_path / "ok.pid"),
                NodeCommand("missing", (str(tmp_path / "no-such-program"),), False, False)]
    run = launcher(tmp_path, commands)
    with pytest.raises(FileNotFoundError):
        run.run()
    assert list(run.pids) == ["ok"]
    assert not alive(run.pids["ok"])

