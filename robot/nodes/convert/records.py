"""Messages the wellbeing_logger hears -> wellbeing records (robot.core.records)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

from carebot_interfaces.msg import (
    Alert,
    AlertAck,
    CallEvent,
    CheckinAnswer,
    CheckinResult,
    DialogueTurn,
    Intent,
    Reminder,
    ReminderResponse,
    RobotSpeech,
    SessionEvent,
)
from diagnostic_msgs.msg import KeyValue

from robot.core.records import (
    AlertAckRecord,
    AlertRecord,
    CallRecord,
    CheckinAnswerRecord,
    CheckinResultRecord,
    InstrumentName,
    IntentRecord,
    Pairs,
    ReminderRecord,
    ReminderResponseRecord,
    SessionRecord,
    TurnRecord,
    UtteranceRecord,
)
from robot.nodes.convert.clock import to_datetime


class _Names:
    """A message's uint8 constants as the lower-case names stored in the database (Reminder.NO_ANSWER -> no_answer)."""

    def __init__(self, message: type, field: str, constants: Sequence[str]) -> None:
        self._where = f"{message.__name__}.{field}"
        self._names = {getattr(message, constant): constant.lower() for constant in constants}

    def __call__(self, value: int) -> str:
        try:
            return self._names[value]
        except KeyError:
            raise ValueError(f"{self._where} = {value}: expected one of {self._names}") from None


_SESSION_EVENT = _Names(SessionEvent, "event", ("STARTED", "ENDED"))
_SPEAKER = _Names(DialogueTurn, "speaker", ("RESIDENT", "ROBOT"))
_REMINDER_STATE = _Names(Reminder, "state", ("DUE", "TAKEN", "DECLINED", "SNOOZED", "ESCALATED", "MISSED"))
_ANSWER = _Names(ReminderResponse, "answer", ("TAKEN", "DECLINED", "LATER", "NO_ANSWER", "UNCLEAR"))
_SEVERITY = _Names(Alert, "severity", ("INFO", "WARNING", "URGENT"))
_CALL_STATE = _Names(CallEvent, "state", ("DIALLING", "RINGING", "CONNECTED", "ENDED"))


_INSTRUMENTS: tuple[InstrumentName, ...] = ("ucla3", "who5")


def _instrument(message: str, value: str) -> InstrumentName:
    if value not in _INSTRUMENTS:
        raise ValueError(f"{message}.instrument = {value!r}: expected one of {', '.join(_INSTRUMENTS)}")
    return cast(InstrumentName, value)


def _float32(value: float) -> float:
    """A float32 field as the decimal that was meant (0.9, not 0.8999999761581421)."""
    return float(f"{value:.7g}")


def _pairs(values: Sequence[KeyValue]) -> Pairs:
    return tuple((pair.key, pair.value) for pair in values)


def session_record(msg: SessionEvent) -> SessionRecord:
    return SessionRecord(at=to_datetime(msg.header.stamp), session_id=msg.session_id, person_id=msg.person_id,
                         event=_SESSION_EVENT(msg.event), reason=msg.reason)


def turn_record(msg: DialogueTurn) -> TurnRecord:
    return TurnRecord(at=to_datetime(msg.header.stamp), session_id=msg.session_id, person_id=msg.person_id,
                      speaker=_SPEAKER(msg.speaker), act=msg.act, text=msg.text,
                      confidence=_float32(msg.confidence), mood=msg.mood, latency_s=_float32(msg.latency_s),
                      locale=msg.locale, mood_valence=_float32(msg.mood_valence))


def intent_record(msg: Intent) -> IntentRecord:
    return IntentRecord(at=to_datetime(msg.header.stamp), person_id=msg.person_id, intent=msg.intent,
                        confidence=_float32(msg.confidence), locale=msg.locale, slots=_pairs(msg.slots))


def utterance_record(msg: RobotSpeech) -> UtteranceRecord:
    return UtteranceRecord(at=to_datetime(msg.header.stamp), person_id=msg.person_id, act=msg.act, text=msg.text,
                           locale=msg.locale, duration_s=_float32(msg.duration_s))


def reminder_record(msg: Reminder) -> ReminderRecord:
    return ReminderRecord(at=to_datetime(msg.header.stamp), reminder_id=msg.reminder_id, person_id=msg.person_id,
                          medication_id=msg.medication_id, medication=msg.medication, dose=msg.dose,
                          due=to_datetime(msg.due), attempt=msg.attempt, state=_REMINDER_STATE(msg.state),
                          note=msg.note)


def reminder_response_record(msg: ReminderResponse) -> ReminderResponseRecord:
    return ReminderResponseRecord(at=to_datetime(msg.header.stamp), reminder_id=msg.reminder_id,
                                  person_id=msg.person_id, answer=_ANSWER(msg.answer),
                                  confidence=_float32(msg.confidence))


def alert_record(msg: Alert) -> AlertRecord:
    return AlertRecord(at=to_datetime(msg.header.stamp), alert_id=msg.alert_id, person_id=msg.person_id,
                       severity=_SEVERITY(msg.severity), category=msg.category, summary=msg.summary,
                       details=_pairs(msg.details))


def alert_ack_record(msg: AlertAck) -> AlertAckRecord:
    return AlertAckRecord(at=to_datetime(msg.header.stamp), alert_id=msg.alert_id,
                          acknowledged_by=msg.acknowledged_by, note=msg.note)


def call_record(msg: CallEvent) -> CallRecord:
    return CallRecord(at=to_datetime(msg.header.stamp), call_id=msg.call_id, person_id=msg.person_id,
                      contact_id=msg.contact_id, relation=msg.relation, state=_CALL_STATE(msg.state),
                      outcome=msg.outcome, duration_s=_float32(msg.duration_s))


def checkin_answer_record(msg: CheckinAnswer) -> CheckinAnswerRecord:
    return CheckinAnswerRecord(at=to_datetime(msg.header.stamp), checkin_id=msg.checkin_id, person_id=msg.person_id,
                               session_id=msg.session_id, instrument=_instrument("CheckinAnswer", msg.instrument),
                               item=msg.item, locale=msg.locale, value=msg.value,
                               confidence=_float32(msg.confidence), answer_text=msg.answer_text,
                               attempts=msg.attempts, mode=msg.mode)


def checkin_result_record(msg: CheckinResult) -> CheckinResultRecord:
    """An incomplete administration's score (NaN on the wire) is stored as no score."""
    score = _float32(msg.score)
    return CheckinResultRecord(at=to_datetime(msg.header.stamp), checkin_id=msg.checkin_id, person_id=msg.person_id,
                               instrument=_instrument("CheckinResult", msg.instrument), complete=msg.complete,
                               score=score if msg.complete and not math.isnan(score) else None,
                               items_answered=msg.items_answered, mode=msg.mode)
