"""family_call: places calls to residents' family contacts (action /family_call/place_call).

The telephone backend is chosen by `phone_backend`: `simulated` reaches the simulated line over
/sim/phone_line/*; `sip` starts a baresip user agent registered with the account from `sip_account_file`
(or the CAREBOT_SIP_* environment). The SIP line reports from its own thread: signals are queued and a
guard condition hands them to the executor. A goal with `message_audio` plays that WAV to the callee once
answered and then hangs up (on the simulated line: hangs up after the message's duration on the node
clock). Every state change is published on ~/events.
Every `profile_poll_s` it looks for edited profiles: new contacts can be called at once, calls under way
keep the contact they started with; an invalid edit raises a staff alert on /care/alerts and the last
good profiles stay in force.
"""

from __future__ import annotations

import datetime as dt
import queue
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rclpy.action import ActionServer, CancelResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.node import Node
from rclpy.task import Future

from carebot_interfaces.action import PlaceCall
from carebot_interfaces.msg import Alert, CallEvent
from robot.adapters.baresip_phone import BaresipPhone, BaresipSettings, message_seconds
from robot.adapters.sip_account import load_account
from robot.core.calls import CallOutcome
from robot.core.profile import Contact
from robot.core.telephony import CallProgress, CallState, LineSignal, PhoneLine
from robot.nodes.common import watch_profiles
from robot.nodes.convert.clock import to_datetime, to_stamp
from robot.nodes.params import declare
from robot.nodes.phone_line_topics import TopicPhoneLine
from robot.rosenv import run_node

OUTCOMES = {CallOutcome.ANSWERED: PlaceCall.Result.ANSWERED, CallOutcome.BUSY: PlaceCall.Result.BUSY,
            CallOutcome.NO_ANSWER: PlaceCall.Result.NO_ANSWER, CallOutcome.DECLINED: PlaceCall.Result.DECLINED,
            CallOutcome.FAILED: PlaceCall.Result.FAILED, CallOutcome.CANCELLED: PlaceCall.Result.CANCELLED}
EVENT_STATES = {CallState.DIALLING: CallEvent.DIALLING, CallState.RINGING: CallEvent.RINGING,
                CallState.CONNECTED: CallEvent.CONNECTED, CallState.ENDED: CallEvent.ENDED}
FEEDBACK_STATES = {CallState.DIALLING: PlaceCall.Feedback.DIALLING, CallState.RINGING: PlaceCall.Feedback.RINGING,
                   CallState.CONNECTED: PlaceCall.Feedback.CONNECTED}


@dataclass
class _ActiveCall:
    progress: CallProgress
    person_id: str
    contact: Contact
    goal_handle: ServerGoalHandle
    finished: Future
    message: Path | None = None
    message_s: float = 0.0


class FamilyCallNode(Node):
    def __init__(self, **node_options: Any) -> None:
        super().__init__("family_call", **node_options)
        self._alerts = self.create_publisher(Alert, "/care/alerts", 50)
        self._profiles = watch_profiles(self, self._alerts, lambda _outcome: None)   # contacts read at dial time
        backend = declare(self, "phone_backend", "simulated", "telephone backend: simulated | sip", read_only=True)
        if backend not in ("simulated", "sip"):
            raise ValueError(f"family_call: phone_backend {backend!r} is not available; expected 'simulated' or 'sip'")
        self._dial_timeout_s = declare(self, "dial_timeout_s", 20.0, "seconds without any answer from the line "
                                       "before the call fails", 1.0, 300.0)
        self._ring_timeout_s = declare(self, "ring_timeout_s", 60.0, "seconds of ringing before giving up "
                                       "(no answer)", 5.0, 600.0)
        self._message_grace_s = declare(self, "message_grace_s", 5.0, "seconds past a spoken message's length "
                                        "before family_call hangs up itself (SIP line)", 0.0, 60.0)
        self._line_signals: queue.SimpleQueue[tuple[str, LineSignal, str]] = queue.SimpleQueue()
        self._line_wakeup = self.create_guard_condition(self._drain_line_signals)
        self._sip: BaresipPhone | None = self._start_sip() if backend == "sip" else None
        self._line: PhoneLine = self._sip or TopicPhoneLine(self, self._on_signal)
        self._events = self.create_publisher(CallEvent, "~/events", 50)
        self._calls: dict[str, _ActiveCall] = {}
        self._server = ActionServer(self, PlaceCall, "~/place_call", execute_callback=self._place_call,
                                    cancel_callback=lambda _goal: CancelResponse.ACCEPT)
        self.create_timer(0.1, self._watch_calls)

    def _start_sip(self) -> BaresipPhone:
        """Start the SIP user agent and register it; raises a clear error (server, account, reason) if not."""
        account_file = declare(self, "sip_account_file", "", "file with the SIP account (user, password, registrar,"
                               " display_name; chmod 600); empty: the CAREBOT_SIP_* environment", read_only=True)
        run_dir = declare(self, "sip_run_dir", "", "directory for the generated baresip config and log; empty: a "
                          "new temporary directory", read_only=True)
        record_dir = declare(self, "sip_record_dir", "", "record every call (both directions) here; empty: never",
                             read_only=True)
        settings = BaresipSettings(
            bind_address=declare(self, "sip_bind_address", "127.0.0.1", "address SIP and RTP use", read_only=True),
            audio_source=declare(self, "sip_audio_source", "alsa,default", "baresip audio source (driver,device)",
                                 read_only=True),
            audio_player=declare(self, "sip_audio_player", "alsa,default", "baresip audio player (driver,device)",
                                 read_only=True),
            record_dir=Path(record_dir) if record_dir else None)
        account = load_account(Path(account_file) if account_file else None)
        phone = BaresipPhone(account, self._from_line_thread,
                             Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="carebot-sip-")), settings)
        phone.start()
        self.get_logger().info(f"SIP line registered as {account.aor} (baresip log: {phone.log_file})")
        return phone

    def destroy_node(self) -> None:
        if hasattr(self, "_server"):  # rclpy also destroys nodes whose __init__ failed
            self._server.destroy()
        sip: BaresipPhone | None = getattr(self, "_sip", None)
        if sip is not None:
            sip.close()
        super().destroy_node()

    def _from_line_thread(self, call_id: str, signal: LineSignal, detail: str) -> None:
        """Called on the SIP line's thread: queue the signal and wake the executor."""
        self._line_signals.put((call_id, signal, detail))
        self._line_wakeup.trigger()

    def _drain_line_signals(self) -> None:
        while not self._line_signals.empty():
            self._on_signal(*self._line_signals.get_nowait())

    def _now(self) -> dt.datetime:
        return to_datetime(self.get_clock().now())

    async def _place_call(self, goal_handle: ServerGoalHandle) -> PlaceCall.Result:
        goal: PlaceCall.Goal = goal_handle.request
        resident = self._profiles.current.residents.get(goal.person_id)
        contact = resident.contact(goal.contact_id) if resident else None
        if contact is None:
            goal_handle.abort()
            return PlaceCall.Result(outcome=PlaceCall.Result.FAILED,
                                    detail=f"no contact {goal.contact_id!r} for resident {goal.person_id!r}")
        message = Path(goal.message_audio) if goal.message_audio else None
        try:
            message_s = message_seconds(message) if message else 0.0
        except ValueError as error:
            goal_handle.abort()
            return PlaceCall.Result(outcome=PlaceCall.Result.FAILED, detail=str(error))
        now = self._now()
        call_id = f"{goal.person_id}/{contact.contact_id}/{now.strftime('%Y%m%dT%H%M%S')}"
        call = _ActiveCall(CallProgress(call_id, now), goal.person_id, contact, goal_handle, Future(), message,
                           message_s)
        self._calls[call_id] = call
        self._announce(call)
        if self._sip is not None:
            self._sip.dial(call_id, contact.address, message)
        else:
            self._line.dial(call_id, contact.address)
        await call.finished
        del self._calls[call_id]
        progress = call.progress
        assert progress.outcome is not None
        if progress.outcome is CallOutcome.CANCELLED or goal_handle.is_cancel_requested:
            goal_handle.canceled()
        elif progress.outcome is CallOutcome.ANSWERED:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        self.get_logger().info(f"call {call_id}: {progress.outcome.value} ({progress.detail or 'no detail'})")
        return PlaceCall.Result(outcome=OUTCOMES[progress.outcome], duration_s=progress.connected_seconds,
                                detail=progress.detail)

    def _on_signal(self, call_id: str, signal: LineSignal, detail: str) -> None:
        call = self._calls.get(call_id)
        if call is None:
            return
        before = call.progress.state
        call.progress.apply(signal, self._now(), detail)
        if call.progress.state is not before:
            self._announce(call)

    def _watch_calls(self) -> None:
        now = self._now()
        for call in list(self._calls.values()):
            if call.progress.state is CallState.ENDED:
                continue
            if call.goal_handle.is_cancel_requested:
                self._line.hang_up(call.progress.call_id)
                call.progress.cancel(now)
                self._announce(call)
            elif call.progress.time_out(now, self._dial_timeout_s, self._ring_timeout_s):
                self._line.hang_up(call.progress.call_id)
                self._announce(call)
            elif self._message_spoken(call, now):
                self._line.hang_up(call.progress.call_id)
                call.progress.apply(LineSignal.ENDED, now, "spoken message delivered")
                self._announce(call)

    def _message_spoken(self, call: _ActiveCall, now: dt.datetime) -> bool:
        """True once a message call has been connected for the message's length (plus a grace on SIP,
        where the line hangs up by itself at the end of the file)."""
        connected_at = call.progress.connected_at
        if call.message is None or connected_at is None:
            return False
        grace = self._message_grace_s if self._sip is not None else 0.0
        return (now - connected_at).total_seconds() >= call.message_s + grace

    def _announce(self, call: _ActiveCall) -> None:
        progress = call.progress
        event = CallEvent(call_id=progress.call_id, person_id=call.person_id, contact_id=call.contact.contact_id,
                          relation=call.contact.relation, state=EVENT_STATES[progress.state],
                          outcome=progress.outcome.value if progress.outcome else "",
                          duration_s=progress.connected_seconds)
        event.header.stamp = to_stamp(self._now())
        self._events.publish(event)
        if progress.state in FEEDBACK_STATES:
            call.goal_handle.publish_feedback(PlaceCall.Feedback(
                state=FEEDBACK_STATES[progress.state],
                elapsed_s=(self._now() - progress.started_at).total_seconds()))
        elif not call.finished.done():
            call.finished.set_result(True)


def main(args: list[str] | None = None) -> None:
    run_node(FamilyCallNode, args)


if __name__ == "__main__":
    main()
