"""The telephone line as the core sees it, and the progress of one call.

A `PhoneLine` backend (simulated line, SIP user agent) dials and hangs up; it reports what the far
end does as `LineSignal`s. `CallProgress` turns those signals into call states and one outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from robot.core.calls import CallOutcome


class LineSignal(str, Enum):
    RINGING = "ringing"
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    ENDED = "ended"
    FAILED = "failed"


class CallState(str, Enum):
    DIALLING = "dialling"
    RINGING = "ringing"
    CONNECTED = "connected"
    ENDED = "ended"


SignalHandler = Callable[[str, LineSignal, str], None]
"""Called with (call_id, signal, detail) when the far end does something."""


class PhoneLine(Protocol):
    def dial(self, call_id: str, address: str) -> None: ...

    def hang_up(self, call_id: str) -> None: ...


FAILING_SIGNALS = {LineSignal.BUSY: CallOutcome.BUSY, LineSignal.NO_ANSWER: CallOutcome.NO_ANSWER,
                   LineSignal.DECLINED: CallOutcome.DECLINED, LineSignal.FAILED: CallOutcome.FAILED}


@dataclass
class CallProgress:
    """One call from dialling to its end. Times are node-clock datetimes."""

    call_id: str
    started_at: dt.datetime
    state: CallState = CallState.DIALLING
    connected_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    outcome: CallOutcome | None = None
    detail: str = ""

    def apply(self, signal: LineSignal, now: dt.datetime, detail: str = "") -> None:
        """Move on with a signal from the line; signals after the end are ignored."""
        if self.state is CallState.ENDED:
            return
        if signal is LineSignal.RINGING and self.state is CallState.DIALLING:
            self.state = CallState.RINGING
        elif signal is LineSignal.ANSWERED:
            self.state, self.connected_at = CallState.CONNECTED, now
        elif signal is LineSignal.ENDED:
            self._end(CallOutcome.ANSWERED if self.connected_at else CallOutcome.FAILED, now, detail)
        elif signal in FAILING_SIGNALS:
            self._end(FAILING_SIGNALS[signal], now, detail)

    def cancel(self, now: dt.datetime) -> None:
        if self.state is not CallState.ENDED:
            self._end(CallOutcome.ANSWERED if self.connected_at else CallOutcome.CANCELLED, now, "hung up by resident")

    def time_out(self, now: dt.datetime, dial_timeout_s: float, ring_timeout_s: float) -> bool:
        """End the call when the line stays silent too long; True if it did."""
        waited = (now - self.started_at).total_seconds()
        if self.state is CallState.DIALLING and waited >= dial_timeout_s:
            self._end(CallOutcome.FAILED, now, "the line did not respond")
        elif self.state is CallState.RINGING and waited >= ring_timeout_s:
            self._end(CallOutcome.NO_ANSWER, now, "nobody answered")
        else:
            return False
        return True

    @property
    def connected_seconds(self) -> float:
        if self.connected_at is None or self.ended_at is None:
            return 0.0
        return (self.ended_at - self.connected_at).total_seconds()

    def _end(self, outcome: CallOutcome, now: dt.datetime, detail: str) -> None:
        self.state, self.outcome, self.ended_at, self.detail = CallState.ENDED, outcome, now, detail
