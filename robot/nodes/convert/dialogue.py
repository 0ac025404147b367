"""Dialogue effects -> messages: Say goals, intents, turns, sessions, reminder responses, call outcomes."""

from __future__ import annotations

import datetime as dt
import math

from diagnostic_msgs.msg import KeyValue

from carebot_interfaces.action import PlaceCall, Say
from carebot_interfaces.msg import CheckinAnswer, CheckinResult, DialogueTurn, Intent, ReminderResponse, SessionEvent
from robot.core.calls import CallOutcome
from robot.core.checkins import ADMINISTRATION_MODE
from robot.core.effects import CheckinAnswered, CheckinFinished, ReportReminderAnswer, SessionChanged, Speak, Understood
from robot.core.medication import Answer
from robot.nodes.convert.clock import to_stamp

ANSWERS = {Answer.TAKEN: ReminderResponse.TAKEN, Answer.DECLINED: ReminderResponse.DECLINED,
           Answer.LATER: ReminderResponse.LATER, Answer.NO_ANSWER: ReminderResponse.NO_ANSWER,
           Answer.UNCLEAR: ReminderResponse.UNCLEAR}
CALL_OUTCOMES = {PlaceCall.Result.ANSWERED: CallOutcome.ANSWERED, PlaceCall.Result.BUSY: CallOutcome.BUSY,
                 PlaceCall.Result.NO_ANSWER: CallOutcome.NO_ANSWER, PlaceCall.Result.DECLINED: CallOutcome.DECLINED,
                 PlaceCall.Result.FAILED: CallOutcome.FAILED, PlaceCall.Result.CANCELLED: CallOutcome.CANCELLED}


def say_goal(speak: Speak) -> Say.Goal:
    return Say.Goal(text=speak.text, locale=speak.locale, person_id=speak.person_id, act=speak.act,
                    rate_wpm=float(speak.rate_wpm), volume=float(speak.volume), gesture=speak.gesture)


def robot_turn(speak: Speak, session_id: str, now: dt.datetime) -> DialogueTurn:
    turn = DialogueTurn(session_id=session_id, person_id=speak.person_id, speaker=DialogueTurn.ROBOT,
                        act=speak.act, text=speak.text, latency_s=float(speak.latency_s), locale=speak.locale)
    turn.header.stamp = to_stamp(now)
    return turn


def resident_turn(understood: Understood) -> DialogueTurn:
    understanding = understood.understanding
    known = understanding.mood.confidence > 0
    turn = DialogueTurn(session_id=understood.session_id, person_id=understood.person_id,
                        speaker=DialogueTurn.RESIDENT, act=understanding.intent.value,
                        text=understood.text, confidence=float(understanding.confidence),
                        mood=understanding.mood.emotion if known else "",
                        mood_valence=float(understanding.mood.valence), locale=understood.locale)
    turn.header.stamp = to_stamp(understood.heard_at)
    return turn


def intent_msg(understood: Understood) -> Intent:
    understanding = understood.understanding
    msg = Intent(person_id=understood.person_id, intent=understanding.intent.value,
                 confidence=float(understanding.confidence), locale=understood.locale,
                 slots=[KeyValue(key=k, value=v) for k, v in understanding.slots.items()])
    msg.header.stamp = to_stamp(understood.heard_at)
    return msg


def session_msg(change: SessionChanged) -> SessionEvent:
    msg = SessionEvent(session_id=change.session_id, person_id=change.person_id,
                       event=SessionEvent.STARTED if change.started else SessionEvent.ENDED, reason=change.reason)
    msg.header.stamp = to_stamp(change.at)
    return msg


def reminder_response(report: ReportReminderAnswer, now: dt.datetime) -> ReminderResponse:
    msg = ReminderResponse(reminder_id=report.reminder_id, person_id=report.person_id,
                           answer=ANSWERS[report.answer], confidence=float(report.confidence))
    msg.header.stamp = to_stamp(now)
    return msg


def call_outcome(result: PlaceCall.Result | None) -> CallOutcome:
    return CALL_OUTCOMES.get(result.outcome, CallOutcome.FAILED) if result is not None else CallOutcome.FAILED


def checkin_answer_msg(answered: CheckinAnswered) -> CheckinAnswer:
    answer = answered.answer
    msg = CheckinAnswer(checkin_id=answered.checkin_id, person_id=answered.person_id, session_id=answered.session_id,
                        instrument=answered.instrument, item=answer.item, locale=answered.locale,
                        value=-1 if answer.value is None else answer.value, confidence=float(answer.confidence),
                        answer_text=answer.text, attempts=answer.attempts, mode=ADMINISTRATION_MODE)
    msg.header.stamp = to_stamp(answered.at)
    return msg


def checkin_result_msg(finished: CheckinFinished) -> CheckinResult:
    result = finished.result
    msg = CheckinResult(checkin_id=finished.checkin_id, person_id=finished.person_id, instrument=result.instrument,
                        complete=result.complete, score=math.nan if result.score is None else float(result.score),
                        items_answered=result.items_answered, mode=result.mode)
    msg.header.stamp = to_stamp(finished.at)
    return msg
