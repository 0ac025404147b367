"""The dialogue policy's part about wellbeing check-ins: offering a due one, asking it item by item, and
leaving it (still owed) when something more important comes up."""

from __future__ import annotations

import datetime as dt

from robot.core.checkins import CheckinConversation, CheckinResult, CheckinStep, checkins_due
from robot.core.conversation import Awaiting, Conversation, ConversationBase
from robot.core.effects import CheckinAnswered, CheckinFinished, Effects
from robot.core.nlu import NluIntent, NluResult
from robot.core.profile import Consent


CHECKIN_INTERRUPTIONS = frozenset({NluIntent.FEELING_LOW, NluIntent.CALL_FAMILY, NluIntent.GOODBYE})


class CheckinTalk(ConversationBase):
    """Wellbeing questionnaires (UCLA-3, WHO-5) asked in conversation when staff scheduled them."""

    _checkins_done: dict[str, dict[str, dt.datetime]]

    def _offer_checkin(self, conv: Conversation, now: dt.datetime, effects: Effects) -> None:
        """A check-in that is due is offered once per session, when the conversation has paused (nothing
        asked, nobody talking for a while) and only to a resident whose consent lets the answers be kept."""
        quiet = conv.last_activity is not None and \
            (now - conv.last_activity).total_seconds() >= self._policy.checkin_after_quiet_s
        if (not conv.session_id or not quiet or conv.speaking or conv.pending is not None or conv.in_call
                or conv.checkin is not None
                or conv.checkin_session == conv.session_id or conv.profile.consent is Consent.NONE):
            return
        due = checkins_due(conv.profile, self._checkins_done.get(conv.profile.person_id, {}), now)
        if not due:
            return
        conv.checkin_session = conv.session_id
        conv.checkin = CheckinConversation(due[0].instrument, conv.profile.locale)
        conv.checkin_id = f"{conv.profile.person_id}/{due[0].instrument}/{now.strftime('%Y%m%dT%H%M%S')}"
        self._speak(conv, "checkin.open", conv.checkin.opening(), now, effects)
        self._await(conv, Awaiting.CHECKIN, now)

    def _checkin_interrupted(self, conv: Conversation, understanding: NluResult, text: str, now: dt.datetime,
                             effects: Effects) -> bool:
        """Loneliness, a wish to call someone or a goodbye, clearly said and not an answer to the item, comes
        first: the check-in is left (still owed) and what they said is answered."""
        assert conv.checkin is not None
        if (understanding.intent not in CHECKIN_INTERRUPTIONS or self._weak(understanding)
                or conv.checkin.is_answer(text)):
            return False
        self._abandon_checkin(conv, now, effects)
        return True

    def _checkin_step(self, conv: Conversation, step: CheckinStep, now: dt.datetime, latency: float,
                      effects: Effects) -> None:
        checkin = conv.checkin
        assert checkin is not None
        person_id = conv.profile.person_id
        if step.answered is not None:
            effects.add(CheckinAnswered(person_id, conv.checkin_id, conv.session_id, checkin.instrument,
                                        conv.profile.locale, step.answered, now))
        self._speak(conv, "checkin.close" if step.done else "checkin.ask", step.say, now, effects, latency, step.slow)
        if step.result is None:
            self._await(conv, Awaiting.CHECKIN, now)
            return
        conv.pending = None
        self._finish_checkin(conv, step.result, now, effects)

    def _finish_checkin(self, conv: Conversation, result: CheckinResult, now: dt.datetime, effects: Effects) -> None:
        assert conv.checkin is not None
        if result.settled:
            self._checkins_done.setdefault(conv.profile.person_id, {})[conv.checkin.instrument] = now
        effects.add(CheckinFinished(conv.profile.person_id, conv.checkin_id, result, now))
        conv.checkin, conv.checkin_id = None, ""

    def _abandon_checkin(self, conv: Conversation, now: dt.datetime, effects: Effects) -> None:
        if conv.checkin is not None:
            if conv.pending is not None and conv.pending.awaiting is Awaiting.CHECKIN:
                conv.pending = None
            self._finish_checkin(conv, conv.checkin.result(), now, effects)
