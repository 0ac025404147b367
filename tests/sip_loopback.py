"""A real SIP world on loopback for tests: kamailio as registrar/proxy and baresip peers with chosen habits.

kamailio keeps registrations in memory on 127.0.0.1:<free port>; the robot's account ("robot") must
authenticate (digest), peers register without a password. A peer answers (sending a tone), is busy
(baresip rejects the call: 486), never answers (kamailio's INVITE timer ends the call: 408) or declines
(baresip 1.0 cannot send 603, so its server-side setting does: kamailio answers calls to users named
declines-* with 603 Decline). Every peer records both directions of each call. Teardown stops only the
process groups started here, peers before kamailio.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from robot.adapters.baresip_phone import LINE_RATE, MODULE_PATH, encode_command, free_port, netstrings, stop_group
from robot.adapters.pcm import array_to_pcm
from robot.adapters.sip_account import SipAccount

ROBOT_USER, ROBOT_PASSWORD = "robot", "s3cret-robot"
NO_ANSWER_AFTER_S = 3          # kamailio's fr_inv_timer: ringing this long ends the call with 408
WAIT_S = 5.0
DECLINING = "declines-"        # kamailio refuses calls to users named so with 603 Decline (a "reject calls" setting)
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
KAMAILIO_CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias="127.0.0.1:{port}"
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("tm", "fr_inv_timer", {no_answer_ms})

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (has_totag()) {{ loose_route(); t_relay(); exit; }}
    t_check_trans();
    if (is_method("REGISTER")) {{
        if ($fU == "{robot}" && !pv_www_authenticate("$td", "{password}", "0")) {{ www_challenge("$td", "0"); exit; }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if ($rU =~ "^{declining}") {{ sl_send_reply("603", "Decline"); exit; }}
    record_route();
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
}}
"""


class Behaviour(str, Enum):
    ANSWERS = "answers"
    BUSY = "busy"
    NEVER_ANSWERS = "never_answers"
    DECLINES = "declines"


def tone_wav(path: Path, frequency_hz: float, seconds: float, rate: int = LINE_RATE) -> Path:
    """A mono 16-bit WAV holding a sine tone at -10 dBFS."""
    t = np.arange(int(rate * seconds)) / rate
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(array_to_pcm(0.3 * np.sin(2 * np.pi * frequency_hz * t)))
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as clip:
        samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        return samples, clip.getframerate()


def recording(directory: Path, direction: str) -> np.ndarray:
    """The last call recorded by baresip's sndfile in `directory` ('dec': received, 'enc': sent), at 8 kHz.
    sndfile completes the WAV header only when the call's audio stops, a moment after CALL_CLOSED."""
    def complete() -> bool:
        files = sorted(directory.glob(f"dump-*-{direction}.wav"))
        try:
            return bool(files) and read_wav(files[-1])[1] == LINE_RATE
        except (EOFError, wave.Error):
            return False

    assert wait_until(complete), f"no complete {direction} recording in {directory}"
    return read_wav(sorted(directory.glob(f"dump-*-{direction}.wav"))[-1])[0]


def tone_share(samples: np.ndarray, rate: int, frequency_hz: float) -> float:
    """Fraction of the signal's energy within 40 Hz of `frequency_hz` (0 for silence)."""
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    total = float(spectrum.sum())
    if total <= 0.0:
        return 0.0
    bins = np.fft.rfftfreq(samples.size, 1.0 / rate)
    return float(spectrum[np.abs(bins - frequency_hz) < 40.0].sum()) / total


def wait_until(done: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Poll `done()` every 10 ms for at most `timeout_s` (tests only)."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@dataclass
class Peer:
    """A baresip far end with one habit; `events` holds every ctrl_tcp event with its monotonic time."""

    user: str
    behaviour: Behaviour
    registrar: str
    directory: Path
    process: subprocess.Popen[bytes]
    sock: socket.socket
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"sip:{self.user}@{self.registrar}"

    @property
    def record_dir(self) -> Path:
        return self.directory / "recordings"

    def first(self, kind: str) -> float | None:
        """Monotonic time of the first event of `kind` (e.g. CALL_INCOMING), if any."""
        return next((at for at, event in list(self.events) if event.get("type") == kind), None)

    def invited(self) -> float | None:
        """Monotonic time the first call reached this peer (its phone rings; an auto-answering peer
        reports no CALL_INCOMING, so the first event of any incoming call counts)."""
        return next((at for at, event in list(self.events) if event.get("direction") == "incoming"), None)

    def recording(self, direction: str) -> np.ndarray:
        """The last call's audio as heard ('dec': received from the robot) or sent ('enc'), at 8 kHz."""
        return recording(self.record_dir, direction)

    def read(self) -> None:
        try:
            for event in netstrings(self.sock):
                self.events.append((time.monotonic(), event))
                if self.behaviour is Behaviour.BUSY and event.get("type") == "CALL_INCOMING":
                    self.sock.sendall(encode_command("hangup"))
        except OSError:
            pass                      # closed at teardown

    def close(self) -> None:
        stop_group(self.process)
        self.sock.close()
        if self.reader is not None:
            self.reader.join(timeout=WAIT_S)


class SipLoopback:
    """kamailio on 127.0.0.1:<free port> plus the peers a test asks for."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port("127.0.0.1")
        config = directory / "kamailio.cfg"
        config.write_text(KAMAILIO_CONFIG.format(port=self.port, modules=KAMAILIO_MODULES, robot=ROBOT_USER,
                                                 password=ROBOT_PASSWORD, declining=DECLINING,
                                                 no_answer_ms=NO_ANSWER_AFTER_S * 1000))
        with (directory / "kamailio.log").open("wb") as log:
            self.kamailio = subprocess.Popen(["/usr/sbin/kamailio", "-DD", "-E", "-f", str(config)],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
        self.peers: list[Peer] = []
        if not wait_until(lambda: not _udp_free(self.port) or self.kamailio.poll() is not None):
            raise RuntimeError("kamailio did not bind its port")
        if self.kamailio.poll() is not None:
            raise RuntimeError(f"kamailio exited: {(directory / 'kamailio.log').read_text()[-800:]}")

    @property
    def registrar(self) -> str:
        return f"127.0.0.1:{self.port}"

    def robot_account(self, password: str = ROBOT_PASSWORD) -> SipAccount:
        return SipAccount(ROBOT_USER, password, self.registrar, "Carebot")

    def peer(self, behaviour: Behaviour, tone_hz: float = 1000.0, user: str = "") -> Peer:
        """Start a registered baresip far end that behaves as told and sends a `tone_hz` tone when answered."""
        prefix = DECLINING if behaviour is Behaviour.DECLINES else ""
        name = prefix + (user or f"{behaviour.value}{len(self.peers)}")
        directory = self.directory / name
        (directory / "recordings").mkdir(parents=True)
        sip_port = free_port(spacing=2)
        ctrl_port = free_port(avoid=frozenset({sip_port, sip_port + 1}))
        answer_mode = "auto" if behaviour is Behaviour.ANSWERS else "manual"
        tone = tone_wav(directory / "tone.wav", tone_hz, 30.0)
        (directory / "config").write_text("\n".join([
            f"sip_listen 127.0.0.1:{sip_port}", "net_interface 127.0.0.1", "poll_method epoll",
            f"audio_source aufile,{tone}", "audio_player alsa,null", "audio_alert alsa,null",
            f"module_path {MODULE_PATH}", "module g711.so", "module aufile.so", "module alsa.so",
            "module sndfile.so", f"snd_path {directory / 'recordings'}", "module_app menu.so",
            "module_app ctrl_tcp.so", f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}"]) + "\n")
        with (directory / "baresip.log").open("wb") as log:
            process = subprocess.Popen(["baresip", "-f", str(directory)], stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        sock = _connect(ctrl_port, process)
        peer = Peer(name, behaviour, self.registrar, directory, process, sock)
        self.peers.append(peer)
        peer.reader = threading.Thread(target=peer.read, name=f"peer-{name}", daemon=True)
        peer.reader.start()
        sock.sendall(encode_command("uanew", f"<{peer.address}>;regint=300;answermode={answer_mode}"))
        if not wait_until(lambda: peer.first("REGISTER_OK") is not None):
            raise RuntimeError(f"peer {name} did not register: {peer.events}; its log: "
                               f"{(directory / 'baresip.log').read_text(errors='replace')[-600:]}")
        return peer

    def close(self) -> None:
        for peer in self.peers:
            peer.close()
        stop_group(self.kamailio)


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _connect(port: int, process: subprocess.Popen[bytes]) -> socket.socket:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
            sock.settimeout(None)
            return sock
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_group(process)
                raise
            time.sleep(0.01)


@pytest.fixture
def sip_loopback(tmp_path: Path) -> Iterator[SipLoopback]:
    (tmp_path / "sip").mkdir()
    world = SipLoopback(tmp_path / "sip")
    try:
        yield world
    finally:
        world.close()
