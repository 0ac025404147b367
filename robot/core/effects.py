"""What the dialogue policy asks the world to do. The dialogue node carries these out over ROS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from robot.core.alerts import StaffAlert
from robot.core.call_plans import PlannedCall
from robot.core.checkins import CheckinResult, ItemAnswer
from robot.core.medication import Answer
from robot.core.nlu import NluResult
from robot.core.person_facts import PersonFact


INTERRUPTING_ACTS = frozenset({"help.reassure", "help.ask", "confirm.help"})
"""What the robot says about a call for help goes before anything else it was saying or about to say."""


@dataclass(frozen=True)
class Speak:
    """Say `text` to a resident, in their locale and speech style."""

    person_id: str
    act: str
    text: str
    locale: str
    rate_wpm: float
    volume: float
    gesture: str = ""
    latency_s: float = 0.0   # since the end of the resident's speech this answers (0 = robot-initiated)

    @property
    def interrupts(self) -> bool:
        """Said at once, cutting off whatever the robot is saying to this resident (a call for help)."""
        return self.act in INTERRUPTING_ACTS


@dataclass(frozen=True)
class ReportReminderAnswer:
    reminder_id: str
    person_id: str
    answer: Answer
    confidence: float


@dataclass(frozen=True)
class RaiseAlert:
    alert: StaffAlert


@dataclass(frozen=True)
class StartCall:
    person_id: str
    contact_id: str
    message: str = ""         # what to say when answered (a message call), else a conversation
    message_locale: str = ""  # the language to say it in


@dataclass(frozen=True)
class CallPlansChanged:
    """The planned calls changed: keep them (all of them, earliest first) so a restart loses none."""

    plans: tuple[PlannedCall, ...]


@dataclass(frozen=True)
class CancelCall:
    person_id: str


@dataclass(frozen=True)
class Understood:
    """An utterance was understood: published on /intents and logged as the resident's turn."""

    person_id: str
    session_id: str
    text: str
    locale: str
    understanding: NluResult
    heard_at: dt.datetime


@dataclass(frozen=True)
class SessionChanged:
    person_id: str
    session_id: str
    started: bool
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class LearnedFact:
    """The resident told the robot something about themselves: keep it (it now wins over the guess)."""

    fact: PersonFact


@dataclass(frozen=True)
class CheckinAnswered:
    """One questionnaire item settled in conversation (answered, or left unanswered after two tries)."""

    person_id: str
    checkin_id: str
    session_id: str
    instrument: str
    locale: str
    answer: ItemAnswer
    at: dt.datetime


@dataclass(frozen=True)
class CheckinFinished:
    """A check-in ended (completed, stopped, declined or interrupted), with its score when complete."""

    person_id: str
    checkin_id: str
    result: CheckinResult
    at: dt.datetime


Effect = (Speak | ReportReminderAnswer | RaiseAlert | StartCall | CancelCall | Understood | SessionChanged
          | LearnedFact | CallPlansChanged | CheckinAnswered | CheckinFinished)


@dataclass
class Effects:
    """An ordered list of effects, built up by the policy."""

    items: list[Effect] = field(default_factory=list)

    def add(self, effect: Effect) -> None:
        self.items.append(effect)
