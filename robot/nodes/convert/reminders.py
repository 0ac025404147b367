"""Medication reminders: core types <-> Reminder, ReminderResponse and Deadlines messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from builtin_interfaces.msg import Time as TimeMsg
from carebot_interfaces.msg import Deadlines, Reminder, ReminderResponse

from robot.core.medication import Answer, Dose, ReminderState, ReminderUpdate
from robot.nodes.convert.clock import is_zero, to_datetime, to_stamp

STATE_TO_MSG = {
    ReminderState.DUE: Reminder.DUE,
    ReminderState.TAKEN: Reminder.TAKEN,
    ReminderState.DECLINED: Reminder.DECLINED,
    ReminderState.SNOOZED: Reminder.SNOOZED,
    ReminderState.ESCALATED: Reminder.ESCALATED,
    ReminderState.MISSED: Reminder.MISSED,
}
STATE_FROM_MSG = {value: state for state, value in STATE_TO_MSG.items()}
ANSWER_TO_MSG = {
    Answer.TAKEN: ReminderResponse.TAKEN,
    Answer.DECLINED: ReminderResponse.DECLINED,
    Answer.LATER: ReminderResponse.LATER,
    Answer.NO_ANSWER: ReminderResponse.NO_ANSWER,
    Answer.UNCLEAR: ReminderResponse.UNCLEAR,
}
ANSWER_FROM_MSG = {value: answer for answer, value in ANSWER_TO_MSG.items()}


def reminder_to_msg(update: ReminderUpdate) -> Reminder:
    """A reminder state change as published on /medication/reminders (stamped with the change's time)."""
    if update.state not in STATE_TO_MSG:
        raise ValueError(f"reminder {update.dose.reminder_id}: state {update.state.value!r} is never published")
    dose = update.dose
    msg = Reminder(reminder_id=dose.reminder_id, person_id=dose.person_id, medication_id=dose.medication_id,
                   medication=dose.medication, dose=dose.dose, due=to_stamp(dose.due),
                   next_prompt=to_stamp(update.next_prompt) if update.next_prompt else TimeMsg(),
                   attempt=update.attempt, state=STATE_TO_MSG[update.state], note=update.note)
    msg.header.stamp = to_stamp(update.at)
    return msg


def reminder_from_msg(msg: Reminder) -> ReminderUpdate:
    if msg.state not in STATE_FROM_MSG:
        raise ValueError(f"Reminder {msg.reminder_id!r}: state {msg.state} is not one of the Reminder constants")
    dose = Dose(reminder_id=msg.reminder_id, person_id=msg.person_id, medication_id=msg.medication_id,
                medication=msg.medication, dose=msg.dose, due=to_datetime(msg.due))
    return ReminderUpdate(dose=dose, state=STATE_FROM_MSG[msg.state], attempt=msg.attempt,
                          next_prompt=None if is_zero(msg.next_prompt) else to_datetime(msg.next_prompt),
                          note=msg.note, at=to_datetime(msg.header.stamp))


def answer_from_msg(msg: ReminderResponse) -> Answer:
    try:
        return ANSWER_FROM_MSG[msg.answer]
    except KeyError:
        raise ValueError(f"ReminderResponse {msg.reminder_id!r}: answer {msg.answer} is not one of "
                         "TAKEN, DECLINED, LATER, NO_ANSWER, UNCLEAR") from None


def response_to_msg(reminder_id: str, person_id: str, answer: Answer, confidence: float,
                    at: dt.datetime) -> ReminderResponse:
    msg = ReminderResponse(reminder_id=reminder_id, person_id=person_id, answer=ANSWER_TO_MSG[answer],
                           confidence=confidence)
    msg.header.stamp = to_stamp(at)
    return msg


def deadlines_to_msg(source: str, deadlines: Sequence[dt.datetime], at: dt.datetime) -> Deadlines:
    """The times a node will next act on its own (ascending), for /schedule/deadlines."""
    msg = Deadlines(source=source, deadlines=[to_stamp(moment) for moment in sorted(deadlines)])
    msg.header.stamp = to_stamp(at)
    return msg
