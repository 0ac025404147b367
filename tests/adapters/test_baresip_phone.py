"""The SIP line for real: the robot's baresip registers to kamailio on loopback and calls baresip peers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from robot.adapters.baresip_phone import BaresipError, BaresipPhone, BaresipSettings, line_message
from robot.core.telephony import LineSignal
from tests.sip_loopback import (Behaviour, SipLoopback, recording, sip_loopback, tone_share, tone_wav,  # noqa: F401
                                wait_until)

ROBOT_TONE_HZ, PEER_TONE_HZ, MESSAGE_TONE_HZ = 440.0, 1000.0, 700.0
Signals = list[tuple[str, LineSignal, str]]


def robot_settings(tmp_path: Path, **changes: object) -> BaresipSettings:
    """The robot's microphone is a long 440 Hz tone; no loudspeaker; calls recorded for the checks."""
    values: dict[str, object] = {
        "audio_source": f"aufile,{tone_wav(tmp_path / 'robot-mic.wav', ROBOT_TONE_HZ, 30.0)}",
        "audio_player": "alsa,null", "record_dir": tmp_path / "robot-recordings", **changes}
    return BaresipSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def signals() -> Signals:
    return []


@pytest.fixture
def robot(sip_loopback: SipLoopback, tmp_path: Path, signals: Signals) -> Iterator[BaresipPhone]:
    phone = BaresipPhone(sip_loopback.robot_account(), lambda *signal: signals.append(signal), tmp_path / "run",
                         robot_settings(tmp_path))
    with phone:
        yield phone


def kinds(signals: Signals) -> list[LineSignal]:
    return [signal for _call, signal, _detail in signals]


def ended(signals: Signals) -> bool:
    return any(signal not in (LineSignal.RINGING, LineSignal.ANSWERED) for signal in kinds(signals))


def test_an_answered_call_carries_audio_both_ways(robot: BaresipPhone, sip_loopback: SipLoopback,
                                                  signals: Signals, tmp_path: Path) -> None:
    peer = sip_loopback.peer(Behaviour.ANSWERS, PEER_TONE_HZ)
    robot.dial("c1", peer.address)
    assert wait_until(lambda: LineSignal.ANSWERED in kinds(signals)), signals
    assert wait_until(lambda: False, 1.5) is False          # talk for 1.5 s
    robot.hang_up("c1")
    assert wait_until(lambda: peer.first("CALL_CLOSED") is not None)
    assert kinds(signals) == [LineSignal.RINGING, LineSignal.ANSWERED]   # our own hang-up is not reported back

    heard_by_peer = peer.recording("dec")
    assert heard_by_peer.size > 8000 * 0.5
    assert tone_share(heard_by_peer, 8000, ROBOT_TONE_HZ) > 0.8
    robot_heard = recording(tmp_path / "robot-recordings", "dec")
    assert robot_heard.size > 8000 * 0.5 and tone_share(robot_heard, 8000, PEER_TONE_HZ) > 0.8


@pytest.mark.parametrize(("behaviour", "expected", "detail"), [
    (Behaviour.BUSY, [LineSignal.RINGING, LineSignal.BUSY], "486"),
    (Behaviour.NEVER_ANSWERS, [LineSignal.RINGING, LineSignal.NO_ANSWER], "408"),
    (Behaviour.DECLINES, [LineSignal.DECLINED], "603 Decline"),
])
def test_the_far_end_s_refusals_become_line_signals(robot: BaresipPhone, sip_loopback: SipLoopback, signals: Signals,
                                                    behaviour: Behaviour, expected: list[LineSignal],
                                                    detail: str) -> None:
    peer = sip_loopback.peer(behaviour)
    robot.dial("c1", peer.address)
    assert wait_until(lambda: ended(signals), 8.0), signals
    assert kinds(signals) == expected
    assert detail in signals[-1][2] and {call for call, _s, _d in signals} == {"c1"}


def test_an_address_the_server_does_not_know_fails_with_a_clear_detail(robot: BaresipPhone,
                                                                       sip_loopback: SipLoopback,
                                                                       signals: Signals) -> None:
    robot.dial("c1", f"sip:nobody@{sip_loopback.registrar}")
    assert wait_until(lambda: ended(signals)), signals
    [(call, signal, detail)] = signals
    assert (call, signal) == ("c1", LineSignal.FAILED)
    assert detail == "the SIP server does not know this address (404 Not Found)"


def test_a_spoken_message_is_played_to_the_callee_and_then_the_line_hangs_up(
        robot: BaresipPhone, sip_loopback: SipLoopback, signals: Signals, tmp_path: Path) -> None:
    peer = sip_loopback.peer(Behaviour.ANSWERS, PEER_TONE_HZ)
    message = tone_wav(tmp_path / "message.wav", MESSAGE_TONE_HZ, 1.0, rate=16000)   # the resident's recording
    robot.dial("c1", peer.address, message)
    assert wait_until(lambda: ended(signals)), signals
    assert kinds(signals) == [LineSignal.RINGING, LineSignal.ANSWERED, LineSignal.ENDED]
    assert signals[-1][2] == "spoken message delivered"
    assert wait_until(lambda: peer.first("CALL_CLOSED") is not None)
    heard = peer.recording("dec")
    message_share, microphone_share = tone_share(heard, 8000, MESSAGE_TONE_HZ), tone_share(heard, 8000, ROBOT_TONE_HZ)
    assert message_share > 0.5 and message_share > 3 * microphone_share   # the message, not the microphone


def test_a_second_call_while_one_is_under_way_fails_without_disturbing_the_first(
        robot: BaresipPhone, sip_loopback: SipLoopback, signals: Signals) -> None:
    peer = sip_loopback.peer(Behaviour.ANSWERS)
    robot.dial("c1", peer.address)
    robot.dial("c2", peer.address)
    assert wait_until(lambda: LineSignal.ANSWERED in kinds(signals)), signals
    assert ("c2", LineSignal.FAILED, "the line is in use by call c1") in signals
    assert [signal for call, signal, _d in signals if call == "c1"] == [LineSignal.RINGING, LineSignal.ANSWERED]
    robot.hang_up("c1")


def test_a_wrong_password_is_a_clear_error_naming_server_and_account_and_leaves_nothing_running(
        sip_loopback: SipLoopback, tmp_path: Path) -> None:
    phone = BaresipPhone(sip_loopback.robot_account(password="wrong"), lambda *_: None, tmp_path / "run",
                         robot_settings(tmp_path))
    with pytest.raises(BaresipError) as raised:
        phone.start()
    message = str(raised.value)
    assert f"sip:robot@{sip_loopback.registrar}" in message and "401 Unauthorized" in message
    assert "wrong" not in message
    assert not any(_is_baresip_of(pid, tmp_path / "run") for pid in _pids())


def test_a_silent_registrar_is_reported_within_the_bounded_wait(tmp_path: Path) -> None:
    from robot.adapters.baresip_phone import free_port
    from robot.adapters.sip_account import SipAccount

    registrar = f"127.0.0.1:{free_port()}"                        # nobody listens there
    phone = BaresipPhone(SipAccount("robot", "pw", registrar), lambda *_: None, tmp_path / "run",
                         robot_settings(tmp_path, register_timeout_s=1.0))
    with pytest.raises(BaresipError, match=f"registration of sip:robot@{registrar} at {registrar}: no answer"):
        phone.start()


def test_a_missing_baresip_is_named_with_what_to_install(tmp_path: Path) -> None:
    from robot.adapters.sip_account import SipAccount

    phone = BaresipPhone(SipAccount("robot", "pw", "127.0.0.1:5060"), lambda *_: None, tmp_path,
                         robot_settings(tmp_path, binary="baresip-not-here"))
    with pytest.raises(BaresipError, match="baresip is not installed.*baresip-core"):
        phone.start()


def test_a_message_that_is_not_mono_16_bit_audio_is_refused_naming_the_file(tmp_path: Path) -> None:
    import wave

    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00" * 400)
    with pytest.raises(ValueError, match=f"message_audio {stereo}: expected mono 16-bit PCM; got 2 channel"):
        line_message(stereo, tmp_path / "out.wav")
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(ValueError, match="text.wav: not a readable WAV file"):
        line_message(tmp_path / "text.wav", tmp_path / "out.wav")


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _is_baresip_of(pid: int, run_dir: Path) -> bool:
    try:
        return str(run_dir) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
