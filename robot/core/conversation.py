"""One conversation per resident, the dialogue policy's tunable behaviour, and the plumbing every part of the
policy shares (saying, waiting for an answer, sessions). Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum
from zoneinfo import ZoneInfo

from robot.core.acts import ACTS
from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.core.call_plans import PlannedCall, RetryPolicy
from robot.core.checkins import CheckinConversation
from robot.core.effects import Effects, RaiseAlert, SessionChanged, Speak
from robot.core.nlu import NluIntent, NluResult
from robot.core.phrases import PhraseBank
from robot.core.profile import Contact, Formality, ResidentProfile


class Awaiting(str, Enum):
    """What the robot has asked and is waiting to hear about."""

    WELLBEING = "wellbeing"
    REMINDER = "reminder"
    CALL_CONFIRM = "call_confirm"
    CONTACT_CHOICE = "contact_choice"
    OFFER_CALL = "offer_call"
    TOPIC = "topic"
    COMMAND_CONFIRM = "command_confirm"
    SCHEDULE_CALL = "schedule_call"          # "shall we call at 17:00 instead?"
    AFTER_NO_ANSWER = "after_no_answer"      # "try again later, or leave a message?"
    MESSAGE = "message"                      # "what shall I tell her?": the next words are the message
    CHECKIN = "checkin"                      # a wellbeing questionnaire item (or the permission to ask)


@dataclass(frozen=True)
class Pending:
    awaiting: Awaiting
    deadline: dt.datetime
    reminder_id: str = ""
    earlier_reminders: tuple[str, ...] = ()  # REMINDER: asked just before this one, unanswered: one answer covers all
    contacts: tuple[Contact, ...] = ()
    topic: str = ""
    guess: bool = False                      # TOPIC: only the culture suggested it; the answer becomes a fact
    clarified: bool = False
    command: NluResult | None = None         # what COMMAND_CONFIRM asks about
    resumes: Pending | None = None           # the question to go back to when the command is denied
    plan: PlannedCall | None = None          # the call this question is about, when it was planned

    @property
    def reminders(self) -> tuple[str, ...]:
        """Every reminder an answer to this question is about (a confirmation: the question it resumes)."""
        if self.resumes is not None:
            return self.resumes.reminders
        return (*self.earlier_reminders, self.reminder_id) if self.reminder_id else ()


@dataclass(frozen=True)
class DialoguePolicy:
    """Tunable behaviour. Times in seconds of the node clock."""

    answer_timeout_s: float = 45.0
    confirm_timeout_s: float = 15.0     # a help request unconfirmed this long goes to staff anyway
    clear_no_confidence: float = 0.8    # "Do you need help?" in a language with no yes/no wording: a surer no only
    session_idle_timeout_s: float = 300.0
    min_confidence: float = 0.5
    repeat_rate_factor: float = 0.85
    repeat_volume_step: float = 0.15
    snooze_minutes: int = 15
    filler_after_s: float = 0.8         # words still being recognised this long after the person stopped: a filler
    retries: RetryPolicy = RetryPolicy()
    plan_postpone_s: float = 120.0      # a planned call that comes up while the resident is busy waits this long
    checkin_after_quiet_s: float = 20.0  # a check-in starts only after this long with nobody talking
    regular_call_late_s: float = 3600.0  # a regular call this late (the robot was off) is skipped, not offered


@dataclass
class Conversation:
    profile: ResidentProfile
    session_id: str = ""
    pending: Pending | None = None
    last_spoken: Speak | None = None
    last_activity: dt.datetime | None = None
    offered_topics: set[str] = field(default_factory=set)
    asked_more_about: set[str] = field(default_factory=set)   # topics "tell me more" was said of, this session
    unanswered_medications: list[str] = field(default_factory=list)
    in_call: bool = False
    current_call: PlannedCall | None = None          # the call under way (its reason and attempt)
    checkin: CheckinConversation | None = None       # the questionnaire under way
    checkin_id: str = ""
    checkin_session: str = ""                        # the session a check-in was last offered in (once each)
    greeted: bool = False
    speaking: bool = False                            # the resident is talking now (the robot keeps quiet)
    stopped_speaking_at: dt.datetime | None = None   # their words are being recognised since then
    last_words_at: dt.datetime | None = None          # when the last recognised words arrived
    weak_turns: int = 0                               # utterances in a row the robot could not make out


YES_LIKE = frozenset({NluIntent.YES, NluIntent.FEELING_GOOD})
HELP_ANSWER_PAUSES = 12.0   # "Do you need help?" waits this many of the resident's own end-of-speech pauses
GREETING_GESTURE_ACTS = frozenset({"greeting.morning", "greeting.afternoon", "greeting.evening"})


class ConversationBase:
    """What every part of the dialogue policy shares: the conversations, the phrase bank, the policy, and how
    the robot says something, waits for an answer and opens a session."""

    _phrases: PhraseBank
    _policy: DialoguePolicy
    _conversations: dict[str, Conversation]

    def _conversation(self, person_id: str) -> Conversation:
        try:
            return self._conversations[person_id]
        except KeyError:
            raise KeyError(f"no resident {person_id!r} in this home") from None

    def _say(self, conv: Conversation, act: str, now: dt.datetime, effects: Effects, latency: float = 0.0,
             **slots: str) -> None:
        profile = conv.profile
        slots = {name: value for name, value in slots.items() if name in ACTS[act]}
        if "address" in ACTS[act]:
            slots["address"] = profile.address_as
        text = self._phrases.render(profile.language, act, slots, key=profile.person_id,
                                    familiar=profile.formality is Formality.T)
        self._speak(conv, act, text, now, effects, latency)

    def _speak(self, conv: Conversation, act: str, text: str, now: dt.datetime, effects: Effects,
               latency: float = 0.0, slow: bool = False) -> None:
        profile = conv.profile
        gesture = profile.greeting.gesture if act in GREETING_GESTURE_ACTS else ""
        rate = profile.speech.rate_wpm * (self._policy.repeat_rate_factor if slow else 1.0)
        speak = Speak(profile.person_id, act, text, profile.locale, rate, profile.speech.volume, gesture,
                      round(latency, 3))
        conv.last_spoken = speak
        conv.last_activity = now
        conv.greeted = conv.greeted or act in GREETING_GESTURE_ACTS
        effects.add(speak)

    def _await(self, conv: Conversation, awaiting: Awaiting, now: dt.datetime, **details: object) -> None:
        conv.pending = Pending(awaiting, self._deadline(now), **details)  # type: ignore[arg-type]

    def _deadline(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self._policy.answer_timeout_s)

    def _start_session(self, conv: Conversation, now: dt.datetime, reason: str, effects: Effects) -> None:
        conv.last_activity = now
        if conv.session_id:
            return
        conv.session_id = f"{conv.profile.person_id}/{now.strftime('%Y%m%dT%H%M%S')}"
        effects.add(SessionChanged(conv.profile.person_id, conv.session_id, True, reason, now))

    def _local_time(self, conv: Conversation, now: dt.datetime) -> str:
        return self._phrases.clock_time(conv.profile.language, now.astimezone(ZoneInfo(conv.profile.timezone)).time())

    @staticmethod
    def _raise(conv: Conversation, severity: Severity, category: AlertCategory, summary: str, now: dt.datetime,
               effects: Effects, details: dict[str, str]) -> None:
        person_id = conv.profile.person_id
        effects.add(RaiseAlert(StaffAlert(
            alert_id=f"{category.value}/{person_id}/{now.strftime('%Y%m%dT%H%M%S.%f')}",
            person_id=person_id, severity=severity, category=category, summary=summary,
            details={**details, "session_id": conv.session_id}, raised_at=now)))

    def _weak(self, understanding: NluResult) -> bool:
        """Not understood well enough to act on (a vague chat line is still chat: the robot just listens)."""
        return understanding.intent is NluIntent.OTHER or (
            understanding.confidence < self._policy.min_confidence and understanding.intent is not NluIntent.CHAT)

    def _help_answer_time_s(self, conv: Conversation) -> float:
        """How long "Do you need help?" waits before staff are alerted anyway: the resident's own answer time
        (HELP_ANSWER_PAUSES of their end-of-speech pause: someone who pauses long takes long to answer), at
        least the policy's confirm_timeout_s."""
        return max(self._policy.confirm_timeout_s, HELP_ANSWER_PAUSES * conv.profile.speech.end_of_speech_s)

    def _keep_waiting(self, conv: Conversation, now: dt.datetime) -> None:
        """The robot has (re)asked its question: the wait for the answer starts again now."""
        pending = conv.pending
        if pending is None:
            return
        help_unconfirmed = pending.command is not None and pending.command.intent is NluIntent.NEED_HELP
        wait_s = self._help_answer_time_s(conv) if help_unconfirmed else self._policy.answer_timeout_s
        conv.pending = replace(pending, deadline=now + dt.timedelta(seconds=wait_s))
