"""Dialogue policy: one conversation per resident, driven by events, returning effects.

Pure: time comes in as arguments, sentences come from the phrase bank, understanding from an injected
classifier. Safety first (a help request is handled before anything else), then whatever question
the robot is waiting on, then what the resident brought up. Reminders take the floor from small talk.

Calls for help are decided by the urgency detector (robot/core/urgency.py), whatever the intent vote says,
in three bands: SURE raises an urgent alert and reassures at once; UNSURE asks once ("Do you need help?")
and alerts anyway unless the answer is a clear no, or when no answer comes within the resident's own answer
time. Words decoded against a command grammar (`constrained`) can be any speech forced onto a command, so a
call for help or care command heard that way is confirmed first, as an UNSURE one is: a missed fall costs
more than a false alarm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from robot.core.alerts import AlertCategory, Severity
from robot.core.call_plans import CallPlans, PlanReason, PlannedCall
from robot.core.calls import good_time_to_call
from robot.core.checkins import LANGUAGES as ANSWER_LANGUAGES
from robot.core.checkins import Meaning, understand_permission
from robot.core.conversation import YES_LIKE, Awaiting, Conversation, DialoguePolicy, Pending
from robot.core.dialogue_calls import CallTalk
from robot.core.dialogue_checkins import CheckinTalk
from robot.core.effects import (CancelCall, Effect, Effects, LearnedFact, RaiseAlert, ReportReminderAnswer,
                                SessionChanged, Understood)
from robot.core.medication import Answer
from robot.core.nlu import FEELING_SLOT, LATER, UNWELL, WHEN_SLOT, NluIntent, NluResult, Understander, with_urgency
from robot.core.person_facts import Interest, PersonFact, apply_facts, is_a_guess, topic_fact
from robot.core.phrases import PhraseBank
from robot.core.profile import Home
from robot.core.urgency import Band, Reader, UrgencyDetector


REMINDER_ANSWERS = {
    NluIntent.MED_TAKEN: Answer.TAKEN, NluIntent.YES: Answer.TAKEN,
    NluIntent.MED_DECLINED: Answer.DECLINED, NluIntent.NO: Answer.DECLINED,
}
REMINDER_ACKS = {
    Answer.TAKEN: "medication.thanks_taken",
    Answer.DECLINED: "medication.ack_declined",
    Answer.LATER: "medication.ack_later",
}
# Intents that change the subject: they are handled as new requests even while a question is open.
# ask_time is answered and the open question stays open.
NEW_SUBJECT = frozenset({NluIntent.CALL_FAMILY, NluIntent.FEELING_LOW, NluIntent.GOODBYE, NluIntent.ASK_TIME})
EXPECTED_ANSWERS = {
    Awaiting.REMINDER: (NluIntent.MED_TAKEN, NluIntent.MED_DECLINED, NluIntent.YES, NluIntent.NO),
    Awaiting.WELLBEING: (NluIntent.FEELING_GOOD, NluIntent.FEELING_LOW),
    Awaiting.CALL_CONFIRM: (NluIntent.YES, NluIntent.NO),
    Awaiting.OFFER_CALL: (NluIntent.YES, NluIntent.NO),
    Awaiting.TOPIC: (NluIntent.YES, NluIntent.NO, NluIntent.CHAT),
    Awaiting.COMMAND_CONFIRM: (NluIntent.YES, NluIntent.NO),
    Awaiting.SCHEDULE_CALL: (NluIntent.YES, NluIntent.NO),
    Awaiting.AFTER_NO_ANSWER: (NluIntent.YES, NluIntent.NO),
}
"""Answers a recogniser may listen for first (a context grammar); CONTACT_CHOICE: names and MESSAGE: free
words, so none. CHECKIN: the questionnaire's own answers (LikelyAnswers.phrases)."""
CONFIRM_ACTS = {Answer.TAKEN: "confirm.med_taken", Answer.DECLINED: "confirm.med_declined"}


@dataclass(frozen=True)
class LikelyAnswers:
    """What a resident will likely say to the open question: intents, and answers no intent covers."""

    intents: tuple[NluIntent, ...] = ()
    phrases: tuple[str, ...] = ()     # as people say them: a questionnaire's options, its unsure and stop answers


def reminder_answer(understanding: NluResult) -> Answer | None:
    """The answer to a medication reminder, if the utterance is one ("later" wins over taken/declined)."""
    if understanding.slots.get(WHEN_SLOT) == LATER:
        return Answer.LATER
    return REMINDER_ANSWERS.get(understanding.intent)


class DialogueManager(CallTalk, CheckinTalk):
    """Runs every resident's conversation; each `on_*` call returns the effects to carry out, in order."""

    def __init__(self, home: Home, phrases: PhraseBank, understander: Understander,
                 policy: DialoguePolicy = DialoguePolicy(), facts: Iterable[PersonFact] = (),
                 plans: Iterable[PlannedCall] = (),
                 checkins_done: Mapping[str, Mapping[str, dt.datetime]] | None = None,
                 readers: Mapping[str, Reader] | None = None) -> None:
        """`facts`: what residents told the robot before (a person store); they win over `home`'s guesses.
        `plans`: calls planned before a restart. `checkins_done`: person -> instrument -> when last done.
        `readers`: phonetic readers the urgency data of `home` asks for (Japanese kana)."""
        self._readers = dict(readers or {})
        self._urgency = UrgencyDetector(home.urgency, self._readers)
        self._phrases = phrases
        self._plans = CallPlans(tuple(plans))
        self._checkins_done = {person: dict(done) for person, done in (checkins_done or {}).items()}
        self._understander = understander
        self._policy = policy
        self._facts = list(facts)
        self._home = home
        self._conversations = {pid: Conversation(apply_facts(profile, self._facts))
                               for pid, profile in home.residents.items()}

    # ---- events -------------------------------------------------------------------------------
    def on_engagement(self, person_id: str, engaged: bool, now: dt.datetime) -> list[Effect]:
        conv, effects = self._conversation(person_id), Effects()
        if not engaged:
            self._end_session(conv, now, "disengaged", effects)
            return effects.items
        self._start_session(conv, now, "engaged", effects)
        self._say(conv, self._greeting_act(conv, now), now, effects)
        self._say(conv, "greeting.ask_wellbeing", now, effects)
        self._await(conv, Awaiting.WELLBEING, now)
        self._mention_unanswered(conv, now, effects)
        return effects.items

    def on_started_speaking(self, person_id: str, now: dt.datetime) -> None:
        """The person began to talk: the robot takes no initiative (a check-in) until they have finished."""
        conv = self._conversation(person_id)
        conv.speaking, conv.last_activity = True, now

    def on_stopped_speaking(self, person_id: str, now: dt.datetime) -> None:
        """The person's utterance ended; their words follow once recognised (a filler covers a slow wait).

        Ignored just after their words arrived: the two come on different topics and may cross.
        """
        conv = self._conversation(person_id)
        conv.speaking, conv.last_activity = False, now
        if conv.last_words_at is None or (now - conv.last_words_at).total_seconds() >= self._policy.filler_after_s:
            conv.stopped_speaking_at = now

    def on_speech(self, person_id: str, text: str, locale: str, heard_at: dt.datetime,
                  now: dt.datetime, constrained: bool = False, understanding: NluResult | None = None,
                  heard_confidence: float = 1.0) -> list[Effect]:
        """`constrained`: decoded against a command grammar, so safety and care commands are confirmed.
        `heard_confidence`: the recogniser's confidence in the words (a check-in answer counts less if low).

        `understanding`: what `text` means if the caller already asked the model (a node does, off its
        executor); else the manager asks its own understander.
        """
        conv, effects = self._conversation(person_id), Effects()
        conv.stopped_speaking_at, conv.last_words_at = None, now
        self._start_session(conv, now, "spoke", effects)
        conv.last_activity = now
        latency = max(0.0, (now - heard_at).total_seconds())
        if not text.strip():
            self._say(conv, "clarify.not_understood", now, effects, latency)
            self._keep_waiting(conv, now)
            return effects.items
        if understanding is None:
            understanding = self.understand(person_id, text)
        conv.weak_turns = conv.weak_turns + 1 if self._weak(understanding) else 0
        effects.add(Understood(person_id, conv.session_id, text, locale, understanding, heard_at))
        if self._confirmation_answered(conv, understanding, now, latency, effects):
            pass
        elif understanding.intent is NluIntent.NEED_HELP and self._reassuring(conv) \
                and understanding.urgency.category == "summon":
            self._say(conv, "help.reassure", now, effects, latency)   # "Please hurry!": help is already coming
        elif understanding.intent is NluIntent.NEED_HELP and not constrained:
            self._help(conv, understanding, now, latency, effects)
        elif understanding.intent is NluIntent.NEED_HELP or understanding.urgency.band is Band.UNSURE:
            self._ask_about_help(conv, understanding, constrained, now, latency, effects)
        elif conv.checkin is not None and not self._checkin_interrupted(conv, understanding, text, now, effects):
            self._checkin_step(conv, conv.checkin.on_answer(text, heard_confidence),
                               now, latency, effects)
        elif understanding.intent is NluIntent.STOP:
            self._stop(conv, now, latency, effects)
        elif understanding.intent is NluIntent.REPEAT and conv.last_spoken is not None:
            self._repeat(conv, now, latency, effects)
        elif self._call_question_answered(conv, understanding, text, now, latency, effects):
            pass
        elif not self._answer_pending(conv, understanding, text, now, latency, effects, constrained):
            self._new_subject(conv, understanding, text, now, latency, effects)
        self._mention_unanswered(conv, now, effects)
        return effects.items

    def understand(self, person_id: str, text: str) -> NluResult:
        """What `text` means from this resident (their language first, their contacts for names), with the
        urgency detector's verdict (it alone decides need_help)."""
        profile = self._conversation(person_id).profile
        result = self._understander.understand(text, profile.language, profile.contacts)
        return with_urgency(result, self._urgency.assess(text, profile.language, result.help_probability))

    def on_reminder_due(self, reminder_id: str, person_id: str, medication: str, dose: str, attempt: int,
                        now: dt.datetime) -> list[Effect]:
        conv, effects = self._conversation(person_id), Effects()
        if conv.in_call:  # never interrupt a family call: ask the reminder node to come back later
            effects.add(ReportReminderAnswer(reminder_id, person_id, Answer.LATER, 0.0))
            return effects.items
        self._start_session(conv, now, "reminder", effects)
        if attempt <= 1:
            self._say(conv, "medication.remind", now, effects, medication=medication, dose=dose)
        else:
            self._say(conv, "medication.remind_again", now, effects, medication=medication)
        unanswered = conv.pending if conv.pending is not None and conv.pending.awaiting is Awaiting.REMINDER else None
        asked = unanswered.reminders if unanswered is not None else ()
        self._await(conv, Awaiting.REMINDER, now, reminder_id=reminder_id,
                    earlier_reminders=tuple(r for r in asked if r != reminder_id))
        return effects.items

    def on_reminder_unanswered(self, reminder_id: str, person_id: str, medication: str,
                               now: dt.datetime) -> list[Effect]:
        """The reminder was escalated or missed: tell staff's decision to the resident next time they talk."""
        conv, effects = self._conversation(person_id), Effects()
        pending = conv.pending
        if pending is not None and reminder_id in pending.reminders:
            left = tuple(r for r in pending.reminders if r != reminder_id)
            still_asked = left and pending.awaiting is Awaiting.REMINDER
            conv.pending = replace(pending, reminder_id=left[-1], earlier_reminders=left[:-1]) if still_asked else None
        conv.unanswered_medications.append(medication)
        return effects.items

    def on_spoken(self, person_id: str, now: dt.datetime) -> None:
        """An utterance to this resident has just finished: the wait for their answer starts now."""
        self._keep_waiting(self._conversation(person_id), now)


    def tick(self, now: dt.datetime, still_to_hear: Collection[str] = ()) -> list[Effect]:
        """Time passes: planned calls come up, unanswered questions time out, idle sessions end.

        `still_to_hear`: residents the robot has yet to finish saying something to. One robot talks to one
        person at a time, so at a medication round a question can wait its turn; its answer time starts
        when it has been said (on_spoken), and it cannot run out before.
        """
        effects = Effects()
        self._bring_up_planned_calls(now, effects)
        for conv in self._conversations.values():
            self._fill_slow_wait(conv, now, effects)
            self._offer_checkin(conv, now, effects)
            pending = conv.pending
            if pending is not None and now >= pending.deadline and conv.profile.person_id not in still_to_hear:
                conv.pending = None
                self._time_out(conv, pending, now, effects)
            idle_since = conv.last_activity
            if (conv.session_id and conv.pending is None and not conv.in_call and idle_since is not None
                    and (now - idle_since).total_seconds() >= self._policy.session_idle_timeout_s):
                self._end_session(conv, now, "timeout", effects)
        return effects.items

    def next_deadline(self) -> dt.datetime | None:
        """The earliest time `tick` would act on its own."""
        times = [c.pending.deadline for c in self._conversations.values() if c.pending is not None]
        times += [planned] if (planned := self._plans.next_at()) is not None else []
        times += [c.stopped_speaking_at + dt.timedelta(seconds=self._policy.filler_after_s)
                  for c in self._conversations.values() if c.stopped_speaking_at is not None]
        times += [c.last_activity + dt.timedelta(seconds=self._policy.session_idle_timeout_s)
                  for c in self._conversations.values()
                  if c.session_id and c.pending is None and c.last_activity is not None]
        return min(times, default=None)

    def residents(self) -> list[str]:
        return list(self._conversations)

    def update_profiles(self, home: Home) -> None:
        """Edited profiles count from the next sentence on; conversations under way carry on. A resident
        no longer in `home` is forgotten (their words are ignored from now on)."""
        if home.urgency != self._home.urgency:
            self._urgency = UrgencyDetector(home.urgency, self._readers)
        self._home = home
        for person_id in set(self._conversations) - set(home.residents):
            del self._conversations[person_id]
            self._plans.drop_resident(person_id)
        for person_id, profile in home.residents.items():
            self._plans.drop_resident(person_id, PlanReason.SCHEDULED)   # re-planned from the profile on the next tick
            layered = apply_facts(profile, self._facts)
            conversation = self._conversations.setdefault(person_id, Conversation(layered))
            conversation.profile = layered

    def update_facts(self, facts: Iterable[PersonFact]) -> None:
        """What residents said about themselves changed outside the dialogue (staff confirmed or corrected
        it in the console): layer the new list over the profiles from the next sentence on."""
        self._facts = list(facts)
        for person_id, conversation in self._conversations.items():
            conversation.profile = apply_facts(self._home.residents[person_id], self._facts)

    @property
    def policy(self) -> DialoguePolicy:
        return self._policy

    def locale_of(self, person_id: str) -> str:
        return self._conversation(person_id).profile.locale

    def expected_answers(self, person_id: str) -> LikelyAnswers:
        """What the resident will likely say to the open question (none open: nothing in particular)."""
        conv = self._conversation(person_id)
        pending = conv.pending
        if pending is None:
            return LikelyAnswers()
        if pending.awaiting is Awaiting.CHECKIN and conv.checkin is not None:
            return LikelyAnswers(phrases=conv.checkin.expected_phrases())
        return LikelyAnswers(EXPECTED_ANSWERS.get(pending.awaiting, ()))

    def _fill_slow_wait(self, conv: Conversation, now: dt.datetime, effects: Effects) -> None:
        """A short filler ("Let me see...") when recognising the person's words takes longer than usual."""
        since = conv.stopped_speaking_at
        if since is None or (now - since).total_seconds() < self._policy.filler_after_s:
            return
        conv.stopped_speaking_at = None
        if conv.session_id and not conv.in_call:
            said_before = conv.last_spoken
            self._say(conv, "filler", now, effects)
            conv.last_spoken = said_before   # "pardon?" repeats what mattered, not the filler

    def _time_out(self, conv: Conversation, pending: Pending, now: dt.datetime, effects: Effects) -> None:
        if pending.awaiting is Awaiting.CHECKIN and conv.checkin is not None:
            self._checkin_step(conv, conv.checkin.on_silence(), now, 0.0, effects)
            return
        if pending.awaiting is Awaiting.COMMAND_CONFIRM and pending.command is not None \
                and pending.command.intent is NluIntent.NEED_HELP:
            self._alert(conv, Severity.URGENT, AlertCategory.HELP_REQUEST,
                        "Resident may need help (asked, no answer)" + _need(pending.command),
                        pending.command, now, effects)
            return
        for reminder_id in pending.reminders:
            effects.add(ReportReminderAnswer(reminder_id, conv.profile.person_id, Answer.NO_ANSWER, 0.0))

    # ---- confirming what a command grammar heard ----------------------------------------------
    def _confirm_command(self, conv: Conversation, act: str, command: NluResult, now: dt.datetime,
                         latency: float, effects: Effects, resumes: Pending | None = None) -> None:
        self._say(conv, act, now, effects, latency)
        conv.pending = Pending(Awaiting.COMMAND_CONFIRM, now, reminder_id=resumes.reminder_id if resumes else "",
                               command=command, resumes=resumes)
        self._keep_waiting(conv, now)

    def _ask_about_help(self, conv: Conversation, understanding: NluResult, constrained: bool, now: dt.datetime,
                        latency: float, effects: Effects) -> None:
        """Maybe a call for help: ask once; the answer, or its absence, decides (_confirmation_answered)."""
        if self._reassuring(conv):
            self._say(conv, "help.reassure", now, effects, latency)   # help is already on its way
            return
        asked = replace(understanding, intent=NluIntent.NEED_HELP)
        resumes = conv.pending if conv.pending is not None and conv.pending.awaiting is not Awaiting.COMMAND_CONFIRM \
            else None
        self._confirm_command(conv, "confirm.help" if constrained else "help.ask", asked, now, latency, effects,
                              resumes=resumes)

    def _confirmation_answered(self, conv: Conversation, understanding: NluResult, now: dt.datetime,
                               latency: float, effects: Effects) -> bool:
        pending = conv.pending
        if pending is None or pending.awaiting is not Awaiting.COMMAND_CONFIRM or pending.command is None:
            return False
        if pending.command.intent is NluIntent.NEED_HELP:
            self._help_question_answered(conv, pending, understanding, now, latency, effects)
            return True
        if understanding.intent in YES_LIKE or understanding.intent is pending.command.intent:
            conv.pending = None
            self._carry_out(conv, pending, now, latency, effects)
        elif understanding.intent is NluIntent.NO:
            conv.pending = pending.resumes   # misheard: the question it interrupted is asked again
            self._say(conv, "clarify.not_understood", now, effects, latency)
            self._keep_waiting(conv, now)
        else:
            conv.pending = pending.resumes   # something else entirely: handle it as what it is
            return False
        return True

    def _help_question_answered(self, conv: Conversation, pending: Pending, understanding: NluResult,
                                now: dt.datetime, latency: float, effects: Effects) -> None:
        """"Do you need help?": a clear no (or "I'm fine") raises nothing; "pardon?" asks again; anything else
        (yes, a new call for help, words not understood, another subject) alerts staff anyway."""
        if self._declines_help(conv, understanding):
            conv.pending = pending.resumes
            self._say(conv, "wellbeing.glad", now, effects, latency)
        elif understanding.intent is NluIntent.REPEAT and not pending.clarified:
            self._repeat(conv, now, latency, effects)
            conv.pending = replace(pending, clarified=True)
            self._keep_waiting(conv, now)
        else:
            conv.pending = None
            self._help(conv, pending.command or understanding, now, latency, effects)

    def _declines_help(self, conv: Conversation, understanding: NluResult) -> bool:
        """A clear no to "Do you need help?": a no ("No, I'm fine thanks") or feeling fine ("I'm all right"),
        with nothing unsure in it ("I don't know...") and no call for help of its own."""
        if understanding.urgency.band is not Band.NONE:
            return False
        language = conv.profile.language
        if language not in ANSWER_LANGUAGES:   # no yes/no wording for it: the understanding must be sure
            return understanding.intent in (NluIntent.NO, NluIntent.FEELING_GOOD) \
                and understanding.confidence >= self._policy.clear_no_confidence
        meaning = understand_permission(understanding.text, language)
        return meaning is Meaning.NO or (understanding.intent is NluIntent.FEELING_GOOD and meaning is not Meaning.UNCLEAR)

    def _carry_out(self, conv: Conversation, confirmed: Pending, now: dt.datetime, latency: float,
                   effects: Effects) -> None:
        command = confirmed.command
        assert command is not None
        if command.intent is NluIntent.NEED_HELP:
            self._help(conv, command, now, latency, effects)
        elif confirmed.resumes is not None:
            self._record_reminder_answer(conv, confirmed.resumes, reminder_answer(command) or Answer.UNCLEAR,
                                         command, now, latency, effects)


    # ---- answering what the robot asked -------------------------------------------------------
    def _answer_pending(self, conv: Conversation, understanding: NluResult, text: str, now: dt.datetime,
                        latency: float, effects: Effects, constrained: bool = False) -> bool:
        pending, intent = conv.pending, understanding.intent
        if pending is None or intent in NEW_SUBJECT or intent is NluIntent.GREET:
            return False   # a greeting returned while a question is open leaves the question open
        conv.pending = None
        if pending.awaiting is Awaiting.REMINDER:
            return self._answer_reminder(conv, pending, understanding, now, latency, effects, constrained)
        if pending.awaiting in (Awaiting.CALL_CONFIRM, Awaiting.OFFER_CALL) and intent in YES_LIKE:
            self._place_call(conv, pending.contacts[0], now, latency, effects, pending.plan)
        elif pending.awaiting is Awaiting.SCHEDULE_CALL and intent in YES_LIKE and pending.plan is not None:
            self._plan_call(conv, pending.plan, pending.contacts[0], now, latency, effects)
        elif pending.awaiting in (Awaiting.CALL_CONFIRM, Awaiting.SCHEDULE_CALL, Awaiting.OFFER_CALL) \
                and intent is NluIntent.NO:
            self._say(conv, "call.declined_ok", now, effects, latency)
        elif pending.awaiting is Awaiting.CONTACT_CHOICE:
            self._choose_contact(conv, pending, text, now, latency, effects)
        elif pending.awaiting is Awaiting.WELLBEING and intent is NluIntent.FEELING_GOOD:
            self._say(conv, "wellbeing.glad", now, effects, latency)
            self._offer_topic(conv, now, effects)
        elif pending.awaiting is Awaiting.TOPIC and _names_another_topic(understanding, pending.topic):
            self._chat(conv, understanding.slots["topic"], now, latency, effects)   # follow hers, learn nothing
        elif pending.awaiting is Awaiting.TOPIC and intent in YES_LIKE | {NluIntent.CHAT}:
            self._learn_interest(conv, pending, Interest.LIKED, now, effects)
            self._ask_more(conv, pending.topic, now, latency, effects)
        elif pending.awaiting is Awaiting.TOPIC and intent is NluIntent.NO:
            self._learn_interest(conv, pending, Interest.NOT_INTERESTED, now, effects)
            self._say(conv, "smalltalk.ack", now, effects, latency)
        else:
            return False
        return True

    def _answer_reminder(self, conv: Conversation, pending: Pending, understanding: NluResult,
                         now: dt.datetime, latency: float, effects: Effects, constrained: bool) -> bool:
        answer = reminder_answer(understanding)
        if answer is None and not pending.clarified:
            self._say(conv, "clarify.pardon", now, effects, latency)
            conv.pending = replace(pending, clarified=True, deadline=self._deadline(now))
            return True
        if constrained and answer in CONFIRM_ACTS:
            self._confirm_command(conv, CONFIRM_ACTS[answer], understanding, now, latency, effects, resumes=pending)
            return True
        self._record_reminder_answer(conv, pending, answer or Answer.UNCLEAR, understanding, now, latency, effects)
        return True

    def _record_reminder_answer(self, conv: Conversation, pending: Pending, answer: Answer,
                                understanding: NluResult, now: dt.datetime, latency: float,
                                effects: Effects) -> None:
        for reminder_id in pending.reminders:   # "Yes, I've had them" answers every reminder just asked
            effects.add(ReportReminderAnswer(reminder_id, conv.profile.person_id, answer, understanding.confidence))
        if answer in REMINDER_ACKS:
            self._say(conv, REMINDER_ACKS[answer], now, effects, latency, minutes=str(self._policy.snooze_minutes))


    # ---- new subjects -------------------------------------------------------------------------
    def _new_subject(self, conv: Conversation, understanding: NluResult, text: str, now: dt.datetime,
                     latency: float, effects: Effects) -> None:
        intent = understanding.intent
        if self._weak(understanding) and self._reassuring(conv):
            self._say(conv, "help.reassure", now, effects, latency)   # waiting for help: never "pardon?"
        elif self._weak(understanding):
            self._ask_again(conv, now, latency, effects)
        elif intent is NluIntent.CALL_FAMILY:
            self._request_call(conv, text, understanding.slots.get("relation"), now, latency, effects)
        elif intent is NluIntent.FEELING_LOW and understanding.slots.get(FEELING_SLOT) == UNWELL:
            self._unwell(conv, understanding, now, latency, effects)
        elif intent is NluIntent.FEELING_LOW:
            self._comfort(conv, now, latency, effects)
        elif intent is NluIntent.FEELING_GOOD:
            self._say(conv, "wellbeing.glad", now, effects, latency)
        elif intent is NluIntent.ASK_TIME:
            self._say(conv, "time.tell", now, effects, latency, time=self._local_time(conv, now))
        elif intent is NluIntent.CHAT:
            self._chat(conv, understanding.slots.get("topic", ""), now, latency, effects)
        elif intent is NluIntent.GREET and not conv.greeted:
            self._say(conv, self._greeting_act(conv, now), now, effects, latency)
        elif intent is NluIntent.GOODBYE and not self._just_said_farewell(conv):
            self._say(conv, "farewell", now, effects, latency)
            self._end_session(conv, now, "farewell", effects)
        elif intent is NluIntent.GOODBYE:
            self._end_session(conv, now, "farewell", effects)   # goodbyes answered with goodbyes never end
        elif self._reassuring(conv):
            self._say(conv, "help.reassure", now, effects, latency)   # "Please hurry!": not "How interesting."
        elif intent is not NluIntent.GREET:   # greetings answered with greetings never end either
            self._say(conv, "smalltalk.ack", now, effects, latency)

    @staticmethod
    def _reassuring(conv: Conversation) -> bool:
        """The robot's last words told the resident help is coming."""
        return conv.last_spoken is not None and conv.last_spoken.act == "help.reassure"

    def _ask_again(self, conv: Conversation, now: dt.datetime, latency: float, effects: Effects) -> None:
        """Not understood: "pardon?" first; twice in a row, offer what the robot can do instead."""
        if conv.weak_turns < 2:
            self._say(conv, "clarify.pardon", now, effects, latency)
            return
        conv.weak_turns = 0
        self._say(conv, "clarify.offer_choices", now, effects, latency)

    def _chat(self, conv: Conversation, topic: str, now: dt.datetime, latency: float, effects: Effects) -> None:
        """The resident brought a topic up: follow them, even onto a topic the robot would not raise itself."""
        if topic and self._phrases.knows_topic(conv.profile.language, topic):
            conv.offered_topics.add(topic)
            self._ask_more(conv, topic, now, latency, effects)
        else:
            self._say(conv, "smalltalk.ack", now, effects, latency)

    def _ask_more(self, conv: Conversation, topic: str, now: dt.datetime, latency: float, effects: Effects) -> None:
        """"Tell me more" once per topic and session; after that what they tell is acknowledged. Asking more of
        every answer turns a chat into an interview that never lets them go."""
        if topic in conv.asked_more_about:
            self._say(conv, "smalltalk.ack", now, effects, latency)
            return
        conv.asked_more_about.add(topic)
        self._say(conv, "smalltalk.ask_more", now, effects, latency,
                  topic=self._phrases.topic(conv.profile.language, topic))


    # ---- calls for later: outside hours, busy, no answer, messages ----------------------------


    def _comfort(self, conv: Conversation, now: dt.datetime, latency: float, effects: Effects) -> None:
        self._say(conv, "wellbeing.comfort_lonely", now, effects, latency)
        reachable = [c for c in conv.profile.contacts if good_time_to_call(c, now)]
        if not reachable:
            self._offer_topic(conv, now, effects)
            return
        contact = reachable[0]
        self._say(conv, "wellbeing.offer_call", now, effects, contact=contact.name,
                  relation=self._phrases.relation(conv.profile.language, contact.relation))
        self._await(conv, Awaiting.OFFER_CALL, now, contacts=(contact,))

    def _unwell(self, conv: Conversation, understanding: NluResult, now: dt.datetime, latency: float,
                effects: Effects) -> None:
        self._say(conv, "wellbeing.unwell_staff", now, effects, latency)
        self._alert(conv, Severity.WARNING, AlertCategory.WELLBEING, "Resident says they feel unwell",
                    understanding, now, effects)

    def _offer_topic(self, conv: Conversation, now: dt.datetime, effects: Effects) -> None:
        avoided = set(conv.profile.avoided_topics) | conv.offered_topics
        choices = sorted((t for t in conv.profile.topics if t.topic not in avoided),
                         key=lambda t: -t.likelihood)
        if not choices:
            return
        topic = choices[0].topic
        conv.offered_topics.add(topic)
        guess = is_a_guess(conv.profile, topic)
        self._say(conv, "smalltalk.ask_interest" if guess else "smalltalk.offer_topic", now, effects,
                  topic=self._phrases.topic(conv.profile.language, topic))
        self._await(conv, Awaiting.TOPIC, now, topic=topic, guess=guess)

    def _learn_interest(self, conv: Conversation, pending: Pending, interest: Interest, now: dt.datetime,
                        effects: Effects) -> None:
        """The answer to "Do you follow the cricket?" is a person fact: it wins from now on."""
        if pending.awaiting is not Awaiting.TOPIC or not pending.guess:
            return
        fact = topic_fact(conv.profile.person_id, pending.topic, interest, now)
        self._facts.append(fact)
        conv.profile = apply_facts(conv.profile, [fact])
        effects.add(LearnedFact(fact))

    # ---- wellbeing check-ins (UCLA-3, WHO-5) ---------------------------------------------------


    # ---- safety and control -------------------------------------------------------------------
    def _help(self, conv: Conversation, understanding: NluResult, now: dt.datetime, latency: float,
              effects: Effects) -> None:
        self._abandon_checkin(conv, now, effects)
        self._alert(conv, Severity.URGENT, AlertCategory.HELP_REQUEST, "Resident asked for help" + _need(understanding),
                    understanding, now, effects)
        self._say(conv, "help.reassure", now, effects, latency)

    def _alert(self, conv: Conversation, severity: Severity, category: AlertCategory, summary: str,
               understanding: NluResult, now: dt.datetime, effects: Effects) -> None:
        urgency = understanding.urgency
        self._raise(conv, severity, category, summary, now, effects,
                    {"intent": understanding.intent.value, "confidence": f"{understanding.confidence:.2f}",
                     "urgency": urgency.band.value, "need": urgency.category, "reason": urgency.reason})


    def _stop(self, conv: Conversation, now: dt.datetime, latency: float, effects: Effects) -> None:
        if conv.in_call:
            effects.add(CancelCall(conv.profile.person_id))
        conv.pending = None
        self._say(conv, "stop.ack", now, effects, latency)

    def _repeat(self, conv: Conversation, now: dt.datetime, latency: float, effects: Effects) -> None:
        last = conv.last_spoken
        assert last is not None
        slower = replace(last, rate_wpm=last.rate_wpm * self._policy.repeat_rate_factor,
                         volume=min(1.0, last.volume + self._policy.repeat_volume_step), latency_s=latency)
        conv.last_spoken = slower
        effects.add(slower)
        self._keep_waiting(conv, now)

    def _mention_unanswered(self, conv: Conversation, now: dt.datetime, effects: Effects) -> None:
        """Staff's decision about a missed dose, told at a calm moment: not while the robot checks what it heard
        (it would hold up "Did you say you need help?"), nor in a turn that called for help."""
        confirming = conv.pending is not None and conv.pending.awaiting is Awaiting.COMMAND_CONFIRM
        if confirming or any(isinstance(effect, RaiseAlert) for effect in effects.items):
            return
        while conv.unanswered_medications:
            medication = conv.unanswered_medications.pop(0)
            self._say(conv, "medication.missed_notice", now, effects, medication=medication)

    # ---- plumbing -----------------------------------------------------------------------------


    def _end_session(self, conv: Conversation, now: dt.datetime, reason: str, effects: Effects) -> None:
        if not conv.session_id:
            return
        self._abandon_checkin(conv, now, effects)
        effects.add(SessionChanged(conv.profile.person_id, conv.session_id, False, reason, now))
        conv.session_id = ""
        conv.pending = None
        conv.greeted = False
        conv.asked_more_about.clear()

    @staticmethod
    def _just_said_farewell(conv: Conversation) -> bool:
        return conv.last_spoken is not None and conv.last_spoken.act == "farewell"


    @staticmethod
    def _greeting_act(conv: Conversation, now: dt.datetime) -> str:
        hour = now.astimezone(ZoneInfo(conv.profile.timezone)).hour
        return "greeting.morning" if hour < 12 else "greeting.afternoon" if hour < 18 else "greeting.evening"


def _names_another_topic(understanding: NluResult, offered: str) -> bool:
    """Offered one topic, the resident talks about another ("Gardening?" - "Ah, cricket! ...")."""
    topic = understanding.slots.get("topic", "")
    return understanding.intent is NluIntent.CHAT and bool(topic) and topic != offered


def _need(understanding: NluResult) -> str:
    """The kind of need the urgency detector heard, for staff (the words stay out of alerts: consent)."""
    return f" ({understanding.urgency.category})" if understanding.urgency.category else ""
