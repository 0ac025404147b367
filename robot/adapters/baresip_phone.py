"""A PhoneLine over SIP: a baresip user agent this adapter starts, configures and drives over ctrl_tcp.

baresip runs in its own session (process group) with a generated config directory: SIP and RTP bound to
`bind_address` (loopback by default), ctrl_tcp on 127.0.0.1, no terminal UI, G.711. The account is added
after start with the `uanew` command, so the password is never written to disk. Events arrive as JSON
netstrings on a reader thread; `on_signal` is called from that thread (the caller marshals them).
One call at a time: a robot has one line. A spoken message (a WAV) is played into an answered call by
switching the call's audio source to baresip's `aufile`; when the file ends baresip hangs up.
Every wait is bounded; `close()` stops the process group it started, by PID.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robot.adapters.pcm import array_to_pcm, pcm_to_array, resample
from robot.adapters.sip_account import SipAccount
from robot.core.audio import SAMPLE_WIDTH
from robot.core.telephony import LineSignal, SignalHandler

MODULE_PATH = Path("/usr/lib/baresip/modules")
LINE_RATE = 8000                  # Hz: G.711; baresip's aufile plays only files at the codec's rate
CLOSED_BY_CODE = {486: LineSignal.BUSY, 600: LineSignal.BUSY, 603: LineSignal.DECLINED,
                  408: LineSignal.NO_ANSWER, 480: LineSignal.NO_ANSWER, 487: LineSignal.NO_ANSWER}
UNKNOWN_ADDRESS = {404, 484, 604}
MESSAGE_END = "end of file"       # CALL_CLOSED param when aufile reached the end of the message


class BaresipError(RuntimeError):
    """baresip is missing, did not start, or the account did not register; the message says which."""


@dataclass(frozen=True)
class BaresipSettings:
    bind_address: str = "127.0.0.1"       # SIP and RTP; the robot's LAN address to reach a real server
    audio_source: str = "alsa,default"    # baresip driver,device: the robot's microphone
    audio_player: str = "alsa,default"    # baresip driver,device: the loudspeaker ("alsa,null" without one)
    record_dir: Path | None = None        # record every call (both directions) here; None: never record
    start_timeout_s: float = 5.0          # bounded waits: ctrl_tcp up, registration answered
    register_timeout_s: float = 5.0
    binary: str = "baresip"


@dataclass
class _Call:
    call_id: str
    address: str
    message: Path | None
    sip_id: str = ""
    answered: bool = False


def free_port(address: str = "127.0.0.1", spacing: int = 1, avoid: frozenset[int] = frozenset()) -> int:
    """A port free for UDP and TCP on `address`, and for TCP on the next `spacing - 1` ports too
    (baresip also takes TCP on its SIP port and TLS on port + 1); none of them in `avoid`."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((address, 0))
            port = int(probe.getsockname()[1])
        ports = range(port, port + spacing)
        if ports[-1] <= 65535 and not avoid.intersection(ports) and all(_tcp_free(address, k) for k in ports):
            return port
    raise BaresipError(f"no free port pair on {address}")


def _tcp_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def message_seconds(source: Path) -> float:
    """How long the spoken message in `source` lasts; ValueError (naming the file) if it is not usable."""
    samples, rate = _read_message(source)
    return samples.size / rate


def line_message(source: Path, target: Path) -> float:
    """Write `source` (a mono 16-bit WAV at any rate) as the 8 kHz WAV the line plays; return seconds."""
    samples, rate = _read_message(source)
    if rate != LINE_RATE:
        samples = resample(samples, rate, LINE_RATE)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(LINE_RATE)
        out.writeframes(array_to_pcm(samples))
    return samples.size / LINE_RATE


def _read_message(source: Path) -> tuple[np.ndarray, int]:
    try:
        with wave.open(str(source), "rb") as clip:
            channels, width, rate = clip.getnchannels(), clip.getsampwidth(), clip.getframerate()
            pcm = clip.readframes(clip.getnframes())
    except (OSError, EOFError, wave.Error) as error:
        raise ValueError(f"message_audio {source}: not a readable WAV file ({error})") from None
    if channels != 1 or width != SAMPLE_WIDTH:
        raise ValueError(f"message_audio {source}: expected mono 16-bit PCM; got {channels} channel(s), "
                         f"{8 * width}-bit")
    if not pcm:
        raise ValueError(f"message_audio {source}: the recording is empty")
    return pcm_to_array(pcm), rate


def closed_signal(param: str, answered: bool) -> tuple[LineSignal, str]:
    """The line signal and detail for a CALL_CLOSED event whose reason is `param` (e.g. '486 Busy Here')."""
    code = re.match(r"(\d{3}) ", param + " ")
    if answered:
        return LineSignal.ENDED, "spoken message delivered" if param == MESSAGE_END else f"call ended ({param})"
    if code is None:
        return LineSignal.FAILED, f"the call could not be set up ({param or 'no reason given'})"
    status = int(code.group(1))
    if status in UNKNOWN_ADDRESS:
        return LineSignal.FAILED, f"the SIP server does not know this address ({param})"
    if status in CLOSED_BY_CODE:
        return CLOSED_BY_CODE[status], param
    return LineSignal.FAILED, f"the SIP server refused the call ({param})"


class BaresipPhone:
    """A PhoneLine: `start()` it (registers `account`), then `dial`/`hang_up`; `close()` when done."""

    def __init__(self, account: SipAccount, on_signal: SignalHandler, run_dir: Path,
                 settings: BaresipSettings = BaresipSettings()) -> None:
        self._account = account
        self._on_signal = on_signal
        self._dir = run_dir / "baresip"
        self._settings = settings
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()          # guards _call, _finished and _registration
        self._call: _Call | None = None
        self._finished: set[str] = set()       # baresip ids of calls we hung up: their late events are ignored
        self._registration: str | None = None
        self._registered = threading.Event()
        self._messages = 0

    def __enter__(self) -> "BaresipPhone":
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def log_file(self) -> Path:
        return self._dir / "baresip.log"

    def start(self) -> None:
        """Start baresip and register the account; BaresipError (and nothing left running) if either fails."""
        try:
            self._launch()
            self._register()
        except BaseException:
            self.close()
            raise

    def dial(self, call_id: str, address: str, message: Path | None = None) -> None:
        """Call `address`; with `message` (a WAV), play it when answered and then hang up."""
        with self._lock:
            busy = self._call.call_id if self._call else None
            if busy is None and self._socket is not None:
                self._call = _Call(call_id, address, self._prepare(message) if message else None)
        if busy is not None:
            self._on_signal(call_id, LineSignal.FAILED, f"the line is in use by call {busy}")
        elif self._socket is None:
            self._on_signal(call_id, LineSignal.FAILED, "the SIP user agent is not running")
        else:
            self._send("dial", address, token=call_id)

    def hang_up(self, call_id: str) -> None:
        with self._lock:
            call = self._call
            if call is None or call.call_id != call_id:
                return
            self._call = None
            if call.sip_id:
                self._finished.add(call.sip_id)
        self._send("hangup")

    def close(self) -> None:
        """Stop the process group we started (by PID) and the reader thread; safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            stop_group(process)
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=self._settings.start_timeout_s)

    def _launch(self) -> None:
        binary = shutil.which(self._settings.binary)
        if binary is None:
            raise BaresipError(f"baresip is not installed (no {self._settings.binary!r} on PATH); install the "
                               "Debian package baresip-core (scripts/setup.sh does)")
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        sip_port = free_port(self._settings.bind_address, spacing=2)
        ctrl_port = free_port("127.0.0.1", avoid=frozenset({sip_port, sip_port + 1}))
        (self._dir / "config").write_text(self._config(sip_port, ctrl_port), encoding="utf-8")
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen([binary, "-f", str(self._dir)], stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._socket = self._connect(ctrl_port)
        self._reader = threading.Thread(target=self._read_events, name="baresip-events", daemon=True)
        self._reader.start()

    def _config(self, sip_port: int, ctrl_port: int) -> str:
        settings = self._settings
        drivers = {device.split(",", 1)[0] for device in (settings.audio_source, settings.audio_player)}
        modules = ["g711", "aufile", *sorted(drivers - {"aufile"})]
        missing = [name for name in modules if not (MODULE_PATH / f"{name}.so").exists()]
        if missing:
            raise BaresipError(f"baresip module(s) {', '.join(missing)} not found in {MODULE_PATH} "
                               f"(audio_source {settings.audio_source!r}, audio_player {settings.audio_player!r})")
        if settings.record_dir is not None:
            settings.record_dir.mkdir(parents=True, exist_ok=True)
            modules.append("sndfile")
        lines = [f"sip_listen {settings.bind_address}:{sip_port}", f"net_interface {settings.bind_address}",
                 "poll_method epoll", "call_local_timeout 120", "call_max_calls 4",
                 f"audio_source {settings.audio_source}", f"audio_player {settings.audio_player}",
                 f"audio_alert {settings.audio_player}", f"module_path {MODULE_PATH}",
                 *[f"module {name}.so" for name in modules], "module_app menu.so", "module_app ctrl_tcp.so",
                 f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}"]
        if settings.record_dir is not None:
            lines.append(f"snd_path {settings.record_dir}")
        return "\n".join(lines) + "\n"

    def _connect(self, port: int) -> socket.socket:
        deadline = time.monotonic() + self._settings.start_timeout_s
        while True:
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=self._settings.start_timeout_s)
            except OSError as error:
                assert self._process is not None
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise BaresipError(f"baresip did not open its control port 127.0.0.1:{port} ({error}); "
                                       f"its log: {self._log_tail()}") from None
                self._registered.wait(0.02)   # a short bounded pause between attempts

    def _register(self) -> None:
        account = self._account
        name = f'"{account.display_name}" ' if account.display_name else ""
        self._send("uanew", f"{name}<{account.aor}>;auth_pass={account.password};regint=300;answermode=manual")
        if not self._registered.wait(self._settings.register_timeout_s):
            raise BaresipError(f"SIP registration of {account.aor} at {account.registrar}: no answer from the "
                               f"server within {self._settings.register_timeout_s:g} s")
        if self._registration != "ok":
            raise BaresipError(f"SIP registration of {account.aor} at {account.registrar} failed: "
                               f"{self._registration}")

    def _prepare(self, message: Path) -> Path:
        self._messages += 1
        target = self._dir / f"message-{self._messages}.wav"
        line_message(message, target)
        return target

    def _send(self, command: str, params: str = "", token: str = "") -> None:
        sock = self._socket
        if sock is None:
            return
        with self._send_lock:
            try:
                sock.sendall(encode_command(command, params, token))
            except OSError:
                pass                          # the reader sees the connection end and reports it

    def _read_events(self) -> None:
        sock = self._socket
        assert sock is not None
        sock.settimeout(None)
        try:
            for message in netstrings(sock):
                self._handle(message)
        except (OSError, ValueError):
            pass
        self._line_lost()

    def _handle(self, message: dict[str, Any]) -> None:
        if message.get("response") and message.get("token") and not message.get("ok"):
            self._dial_refused(str(message["token"]), str(message.get("data", "")))
        elif message.get("class") == "register":
            self._registration_event(str(message.get("type")), str(message.get("param", "")))
        elif message.get("class") == "call" and message.get("direction") == "outgoing":
            self._call_event(str(message.get("type")), str(message.get("id", "")), str(message.get("param", "")))

    def _registration_event(self, kind: str, param: str) -> None:
        if kind == "REGISTER_OK":
            self._registration = "ok"
            self._registered.set()
        elif kind == "REGISTER_FAIL":
            self._registration = param or "refused"
            self._registered.set()

    def _call_event(self, kind: str, sip_id: str, param: str) -> None:
        with self._lock:
            call = self._call
            if call is None or sip_id in self._finished or (call.sip_id and call.sip_id != sip_id):
                return
            call.sip_id = sip_id
            if kind == "CALL_CLOSED":
                self._call = None
            elif kind == "CALL_ESTABLISHED":
                call.answered = True
        if kind in ("CALL_RINGING", "CALL_PROGRESS"):
            self._on_signal(call.call_id, LineSignal.RINGING, param)
        elif kind == "CALL_ESTABLISHED":
            if call.message is not None:
                self._send("ausrc", f"aufile,{call.message}")
            self._on_signal(call.call_id, LineSignal.ANSWERED, param)
        elif kind == "CALL_CLOSED":
            self._on_signal(call.call_id, *closed_signal(param, call.answered))

    def _dial_refused(self, call_id: str, reason: str) -> None:
        with self._lock:
            if self._call is None or self._call.call_id != call_id:
                return
            self._call = None
        self._on_signal(call_id, LineSignal.FAILED, f"baresip refused to dial ({reason.strip() or 'no reason'})")

    def _line_lost(self) -> None:
        self._registered.set()
        with self._lock:
            call, self._call = self._call, None
        if call is not None:
            self._on_signal(call.call_id, LineSignal.FAILED, f"the SIP user agent stopped: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(line.strip() for line in lines[-4:]) or "(empty log)"


def encode_command(command: str, params: str = "", token: str = "") -> bytes:
    """One ctrl_tcp command as a netstring."""
    body = json.dumps({"command": command, "params": params, "token": token}).encode()
    return str(len(body)).encode() + b":" + body + b","


def netstrings(sock: socket.socket) -> Iterator[dict[str, Any]]:
    """JSON objects from ctrl_tcp's netstrings ('<length>:<json>,') until the connection closes."""
    buffer = b""
    while True:
        colon = buffer.find(b":")
        if colon > 0:
            end = colon + 1 + int(buffer[:colon])
            if len(buffer) > end:
                yield json.loads(buffer[colon + 1:end])
                buffer = buffer[end + 1:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk


def stop_group(process: subprocess.Popen[bytes], timeout_s: float = 5.0) -> None:
    """SIGTERM the process group led by `process` (we started it in its own session), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=timeout_s)
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait(timeout=timeout_s)
