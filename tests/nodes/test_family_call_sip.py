"""Tier 2 with a real SIP stack: the PlaceCall action through family_call on the `sip` line.

kamailio and baresip peers run on loopback (tests/sip_loopback.py); the node runs on wall time (SIP is real
time) in this process, driven by an action client with bounded spins. The delays from the goal to the
peer ringing and from hang-up to the node taking the next call are printed (run with -s to see them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.sip_loopback import (ROBOT_PASSWORD, ROBOT_USER, Behaviour, Peer, SipLoopback, recording,  # noqa: F401
                                sip_loopback, tone_share, tone_wav)

pytestmark = pytest.mark.ros

ROBOT_TONE_HZ, PEER_TONE_HZ, MESSAGE_TONE_HZ = 440.0, 1000.0, 700.0
PERSON = "r-0d05e1"
CONTACTS = {"anna": Behaviour.ANSWERS, "bill": Behaviour.BUSY, "nina": Behaviour.NEVER_ANSWERS,
            "dora": Behaviour.DECLINES}


@dataclass
class Rig:
    """family_call on the SIP line, a driver node with the action client, and the far ends by contact id."""

    executor: Any
    client: Any
    peers: dict[str, Peer]
    events: list[Any]
    recordings: Path
    feedback: list[int] = field(default_factory=list)

    def spin_until(self, done: Callable[[], bool], timeout_s: float = 8.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.01)
        return done()

    def send(self, contact_id: str, message_audio: str = "") -> Any:
        """Send a goal; return its accepted goal handle."""
        from carebot_interfaces.action import PlaceCall

        sent = self.client.send_goal_async(PlaceCall.Goal(person_id=PERSON, contact_id=contact_id,
                                                          message_audio=message_audio),
                                           feedback_callback=lambda msg: self.feedback.append(msg.feedback.state))
        assert self.spin_until(sent.done) and sent.result().accepted
        return sent.result()

    def result(self, handle: Any, timeout_s: float = 8.0) -> Any:
        future = handle.get_result_async()
        assert self.spin_until(future.done, timeout_s)
        return future.result()


def resident_with(peers: dict[str, Peer], registrar: str) -> str:
    from robot.paths import PROFILES_DIR

    text = (PROFILES_DIR / "residents" / "r-3f9a1c.yaml").read_text().replace("r-3f9a1c", PERSON)
    entries = "".join(f"\n  - {{id: {cid}, name: {cid.title()}, relation: niece, address: '{peer.address}', "
                      "timezone: Europe/London}" for cid, peer in peers.items())
    entries += f"\n  - {{id: ghost, name: Ghost, relation: niece, address: 'sip:ghost@{registrar}', " \
               "timezone: Europe/London}"
    return text.replace("contacts:", "contacts:" + entries, 1)


@pytest.fixture
def rig(ros_context: Any, sip_loopback: SipLoopback, tmp_path: Path) -> Iterator[Rig]:
    from carebot_interfaces.action import PlaceCall
    from carebot_interfaces.msg import CallEvent
    from rclpy.action import ActionClient
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from rclpy.parameter import Parameter

    from robot.nodes.family_call import FamilyCallNode
    from robot.paths import PROFILES_DIR

    peers = {cid: sip_loopback.peer(behaviour, PEER_TONE_HZ, user=cid) for cid, behaviour in CONTACTS.items()}
    residents = tmp_path / "residents"
    residents.mkdir()
    (residents / f"{PERSON}.yaml").write_text(resident_with(peers, sip_loopback.registrar))
    account = tmp_path / "sip-account"
    account.write_text(f"user = {ROBOT_USER}\npassword = {ROBOT_PASSWORD}\nregistrar = {sip_loopback.registrar}\n")
    account.chmod(0o600)
    mic = tone_wav(tmp_path / "robot-mic.wav", ROBOT_TONE_HZ, 30.0)
    node = FamilyCallNode(context=ros_context, parameter_overrides=[
        Parameter("profiles_dir", value=str(PROFILES_DIR)), Parameter("residents_dir", value=str(residents)),
        Parameter("phone_backend", value="sip"), Parameter("sip_account_file", value=str(account)),
        Parameter("sip_run_dir", value=str(tmp_path / "run")), Parameter("sip_audio_source", value=f"aufile,{mic}"),
        Parameter("sip_audio_player", value="alsa,null"),
        Parameter("sip_record_dir", value=str(tmp_path / "robot-recordings"))])
    driver = Node("test_driver", context=ros_context)
    executor = SingleThreadedExecutor(context=ros_context)
    for each in (node, driver):
        executor.add_node(each)
    events: list[Any] = []
    driver.create_subscription(CallEvent, "/family_call/events", events.append, 50)
    rig = Rig(executor, ActionClient(driver, PlaceCall, "/family_call/place_call"), peers, events,
              tmp_path / "robot-recordings")
    try:
        assert rig.spin_until(rig.client.server_is_ready)
        yield rig
    finally:
        for each in (driver, node):
            executor.remove_node(each)
            each.destroy_node()
        executor.shutdown()


def test_an_answered_call_connects_carries_audio_both_ways_and_hangs_up_when_cancelled(rig: Rig) -> None:
    from action_msgs.msg import GoalStatus
    from carebot_interfaces.action import PlaceCall
    from carebot_interfaces.msg import CallEvent

    anna, bill = rig.peers["anna"], rig.peers["bill"]
    handle = rig.send("anna")
    accepted_at = time.monotonic()
    assert rig.spin_until(lambda: PlaceCall.Feedback.CONNECTED in rig.feedback)
    assert rig.feedback == [PlaceCall.Feedback.DIALLING, PlaceCall.Feedback.RINGING, PlaceCall.Feedback.CONNECTED]
    rang_at = anna.invited()
    assert rang_at is not None
    rig.spin_until(lambda: False, 1.5)                        # talk for 1.5 s

    hung_up_at = time.monotonic()
    cancelled = handle.cancel_goal_async()
    result = rig.result(handle)
    finished_at = time.monotonic()
    assert cancelled.done() and result.status == GoalStatus.STATUS_CANCELED
    assert result.result.outcome == PlaceCall.Result.ANSWERED and result.result.duration_s > 1.0
    assert rig.spin_until(lambda: anna.first("CALL_CLOSED") is not None)
    assert [event.state for event in rig.events] == [CallEvent.DIALLING, CallEvent.RINGING, CallEvent.CONNECTED,
                                                     CallEvent.ENDED]

    heard_by_anna = anna.recording("dec")
    assert heard_by_anna.size > 8000 and tone_share(heard_by_anna, 8000, ROBOT_TONE_HZ) > 0.8
    robot_heard = recording(rig.recordings, "dec")
    assert robot_heard.size > 8000 and tone_share(robot_heard, 8000, PEER_TONE_HZ) > 0.8

    next_call = rig.send("bill")                              # the line is free again at once
    assert rig.result(next_call).result.outcome == PlaceCall.Result.BUSY
    assert bill.invited() is not None
    print(f"\nSIP loopback: goal accepted -> peer ringing {1000 * (rang_at - accepted_at):.0f} ms; "
          f"hang-up -> result (node ready for the next goal) {1000 * (finished_at - hung_up_at):.0f} ms")


@pytest.mark.parametrize(("contact_id", "outcome", "detail"), [
    ("bill", "BUSY", "486 Rejected"),
    ("nina", "NO_ANSWER", "408 Request Timeout"),
    ("dora", "DECLINED", "603 Decline"),
    ("ghost", "FAILED", "the SIP server does not know this address (404 Not Found)"),
])
def test_each_refusal_ends_the_goal_with_its_outcome_and_reason(rig: Rig, contact_id: str, outcome: str,
                                                               detail: str) -> None:
    from action_msgs.msg import GoalStatus
    from carebot_interfaces.action import PlaceCall
    from carebot_interfaces.msg import CallEvent

    result = rig.result(rig.send(contact_id))
    assert result.status == GoalStatus.STATUS_ABORTED
    assert (result.result.outcome, result.result.detail) == (getattr(PlaceCall.Result, outcome), detail)
    assert rig.spin_until(lambda: bool(rig.events) and rig.events[-1].state == CallEvent.ENDED)
    assert rig.events[-1].outcome == outcome.lower()


def test_a_spoken_message_is_delivered_when_the_contact_answers(rig: Rig, tmp_path: Path) -> None:
    from action_msgs.msg import GoalStatus
    from carebot_interfaces.action import PlaceCall

    message = tone_wav(tmp_path / "message.wav", MESSAGE_TONE_HZ, 1.0, rate=16000)
    result = rig.result(rig.send("anna", str(message)))
    assert result.status == GoalStatus.STATUS_SUCCEEDED
    assert (result.result.outcome, result.result.detail) == (PlaceCall.Result.ANSWERED, "spoken message delivered")
    anna = rig.peers["anna"]
    assert rig.spin_until(lambda: anna.first("CALL_CLOSED") is not None)
    assert tone_share(anna.recording("dec"), 8000, MESSAGE_TONE_HZ) > 0.5


def test_an_unreadable_message_fails_the_goal_before_dialling(rig: Rig, tmp_path: Path) -> None:
    from carebot_interfaces.action import PlaceCall

    broken = tmp_path / "message.wav"
    broken.write_text("not audio")
    result = rig.result(rig.send("anna", str(broken)))
    assert result.result.outcome == PlaceCall.Result.FAILED
    assert result.result.detail.startswith(f"message_audio {broken}: not a readable WAV file")
    assert rig.peers["anna"].invited() is None and rig.events == []


def test_the_node_does_not_start_when_the_account_is_refused(ros_context: Any, sip_loopback: SipLoopback,
                                                            tmp_path: Path) -> None:
    from rclpy.parameter import Parameter

    from robot.adapters.baresip_phone import BaresipError
    from robot.nodes.family_call import FamilyCallNode

    account = tmp_path / "sip-account"
    account.write_text(f"user = {ROBOT_USER}\npassword = not-it\nregistrar = {sip_loopback.registrar}\n")
    account.chmod(0o600)
    with pytest.raises(BaresipError, match=f"registration of sip:robot@{sip_loopback.registrar} at "
                                           f"{sip_loopback.registrar} failed: 401 Unauthorized"):
        FamilyCallNode(context=ros_context, parameter_overrides=[
            Parameter("phone_backend", value="sip"), Parameter("sip_account_file", value=str(account)),
            Parameter("sip_run_dir", value=str(tmp_path / "run")), Parameter("sip_audio_player", value="alsa,null"),
            Parameter("sip_audio_source", value="alsa,null")])
