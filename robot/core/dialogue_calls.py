"""The dialogue policy's part about family calls: requests, confirmation, calls planned for later, messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from robot.core.alerts import AlertCategory, Severity
from robot.core.call_plans import CallPlans, PlanReason, PlannedCall, next_allowed_time, next_regular_time
from robot.core.calls import CallOutcome, choose_among, contact_local_time, good_time_to_call, resolve_contact
from robot.core.conversation import YES_LIKE, Awaiting, Conversation, ConversationBase, Pending
from robot.core.effects import CallPlansChanged, Effect, Effects, StartCall
from robot.core.nlu import LATER, WHEN_SLOT, NluIntent, NluResult
from robot.core.profile import Contact, ResidentProfile


class CallTalk(ConversationBase):
    """Family calls in conversation: which contact, is it a good time, confirming, and what follows a call
    (retries, messages, staff notes, regular calls staff arranged)."""

    _plans: CallPlans

    def on_call_connected(self, person_id: str) -> None:
        """The resident is on the phone (not for a message call: they are free to talk to the robot)."""
        conv = self._conversation(person_id)
        conv.in_call = conv.current_call is None or conv.current_call.reason is not PlanReason.MESSAGE

    def on_call_finished(self, person_id: str, contact_id: str, outcome: CallOutcome,
                         now: dt.datetime, detail: str = "") -> list[Effect]:
        """Tell the resident how the call went and plan what follows: a retry, a message, a staff note."""
        conv, effects = self._conversation(person_id), Effects()
        call = conv.current_call or PlannedCall(person_id, contact_id, now, PlanReason.RESIDENT_ASKED)
        conv.in_call, conv.current_call = False, None
        contact = conv.profile.contact(contact_id)
        if contact is None:   # removed from the profile meanwhile
            return effects.items
        self._start_session(conv, now, "call", effects)
        if call.reason is PlanReason.MESSAGE:
            self._message_call_finished(conv, call, contact, outcome, now, effects)
        elif outcome is CallOutcome.BUSY:
            self._plan_retry(conv, call, contact, PlanReason.BUSY_RETRY, now, effects)
        elif outcome in (CallOutcome.NO_ANSWER, CallOutcome.DECLINED):
            self._say(conv, "call.no_answer", now, effects, contact=contact.name)
            self._await(conv, Awaiting.AFTER_NO_ANSWER, now, contacts=(contact,), plan=call)
        elif outcome is CallOutcome.FAILED:
            self._say(conv, "call.failed", now, effects, contact=contact.name)
            self._call_note(conv, contact, f"A call to the resident's {contact.relation} failed: {detail or 'no reason given'}",
                            now, effects)
        else:
            self._say(conv, "call.ended" if outcome is CallOutcome.ANSWERED else "stop.ack", now, effects,
                      contact=contact.name)
        return effects.items

    def _request_call(self, conv: Conversation, text: str, relation: str | None, now: dt.datetime,
                      latency: float, effects: Effects) -> None:
        match = resolve_contact(conv.profile, text, relation)
        if match.unique is not None:
            self._confirm_call(conv, match.unique, now, latency, effects)
        elif match.candidates:
            self._ask_which(conv, match.candidates, now, latency, effects)
        elif relation:
            self._say(conv, "call.unknown_contact", now, effects, latency,
                      relation=self._phrases.relation(conv.profile.language, relation))
        elif conv.profile.contacts:
            self._ask_which(conv, conv.profile.contacts, now, latency, effects)
        else:
            self._say(conv, "clarify.pardon", now, effects, latency)

    def _confirm_call(self, conv: Conversation, contact: Contact, now: dt.datetime, latency: float,
                      effects: Effects) -> None:
        if not good_time_to_call(contact, now):
            self._offer_later(conv, contact, now, latency, effects)
            return
        self._say(conv, "call.confirm", now, effects, latency, contact=contact.name,
                  relation=self._phrases.relation(conv.profile.language, contact.relation))
        self._await(conv, Awaiting.CALL_CONFIRM, now, contacts=(contact,))

    def _ask_which(self, conv: Conversation, contacts: tuple[Contact, ...], now: dt.datetime, latency: float,
                   effects: Effects, clarified: bool = False) -> None:
        options = self._phrases.join_options(conv.profile.language, [c.name for c in contacts])
        self._say(conv, "call.which_contact", now, effects, latency, options=options)
        self._await(conv, Awaiting.CONTACT_CHOICE, now, contacts=contacts, clarified=clarified)

    def _place_call(self, conv: Conversation, contact: Contact, now: dt.datetime, latency: float,
                    effects: Effects, plan: PlannedCall | None = None) -> None:
        self._say(conv, "call.dialling", now, effects, latency, contact=contact.name)
        conv.current_call = plan or PlannedCall(conv.profile.person_id, contact.contact_id, now,
                                                PlanReason.RESIDENT_ASKED)
        effects.add(StartCall(conv.profile.person_id, contact.contact_id))

    def _choose_contact(self, conv: Conversation, pending: Pending, text: str, now: dt.datetime,
                        latency: float, effects: Effects) -> None:
        chosen = choose_among(pending.contacts, text)
        if chosen is not None:
            self._confirm_call(conv, chosen, now, latency, effects)
        elif not pending.clarified:
            self._ask_which(conv, pending.contacts, now, latency, effects, clarified=True)
        else:
            self._say(conv, "call.declined_ok", now, effects, latency)

    def _offer_later(self, conv: Conversation, contact: Contact, now: dt.datetime, latency: float,
                     effects: Effects) -> None:
        """Outside the contact's hours: say what time it is for them and offer the next good time."""
        at = next_allowed_time(conv.profile, contact, now)
        their_time = self._phrases.clock_time(conv.profile.language, contact_local_time(contact, now).time())
        self._say(conv, "call.outside_hours", now, effects, latency, contact=contact.name, their_time=their_time,
                  time=self._local_time(conv, at))
        plan = PlannedCall(conv.profile.person_id, contact.contact_id, at, PlanReason.RESIDENT_ASKED)
        self._await(conv, Awaiting.SCHEDULE_CALL, now, contacts=(contact,), plan=plan)

    def _plan_call(self, conv: Conversation, plan: PlannedCall, contact: Contact, now: dt.datetime,
                   latency: float, effects: Effects) -> None:
        self._keep_plan(plan, effects)
        self._say(conv, "call.planned", now, effects, latency, contact=contact.name,
                  time=self._local_time(conv, plan.at))

    def _plan_retry(self, conv: Conversation, call: PlannedCall, contact: Contact, reason: PlanReason,
                    now: dt.datetime, effects: Effects, latency: float = 0.0) -> None:
        """Busy or not answered: plan the next attempt if the policy has one left, else say so."""
        delay = self._policy.retries.retry_delay(reason, call.attempt)
        if delay is None:
            self._say(conv, "call.busy" if reason is PlanReason.BUSY_RETRY else "call.declined_ok", now, effects,
                      latency, contact=contact.name)
            return
        at = next_allowed_time(conv.profile, contact, now + delay)
        retry = PlannedCall(conv.profile.person_id, contact.contact_id, at, reason, call.attempt + 1, call.message)
        if reason is PlanReason.BUSY_RETRY:
            self._keep_plan(retry, effects)
            self._say(conv, "call.busy_retry", now, effects, latency, contact=contact.name,
                      minutes=str(round((at - now).total_seconds() / 60)))
        else:
            self._plan_call(conv, retry, contact, now, latency, effects)

    def _call_question_answered(self, conv: Conversation, understanding: NluResult, text: str, now: dt.datetime,
                                latency: float, effects: Effects) -> bool:
        """Answers to "try later or leave a message?" and the message itself, whatever intent they sound like."""
        pending = conv.pending
        if pending is None or pending.awaiting not in (Awaiting.AFTER_NO_ANSWER, Awaiting.MESSAGE):
            return False
        contact, call = pending.contacts[0], pending.plan
        assert call is not None
        conv.pending = None
        if pending.awaiting is Awaiting.MESSAGE:
            message = PlannedCall(conv.profile.person_id, contact.contact_id, now, PlanReason.MESSAGE, 1, text.strip())
            self._keep_plan(message, effects)
            self._say(conv, "call.message_taken", now, effects, latency, contact=contact.name)
        elif self._phrases.mentions(conv.profile.language, "message", text):
            self._say(conv, "call.message_prompt", now, effects, latency, contact=contact.name)
            self._await(conv, Awaiting.MESSAGE, now, contacts=(contact,), plan=call)
        elif understanding.intent in YES_LIKE or understanding.slots.get(WHEN_SLOT) == LATER:
            self._plan_retry(conv, call, contact, PlanReason.NO_ANSWER_RETRY, now, effects, latency)
        elif understanding.intent is NluIntent.NO:
            self._say(conv, "call.declined_ok", now, effects, latency)
        else:
            conv.pending = pending
            return False
        return True

    def _message_call_finished(self, conv: Conversation, call: PlannedCall, contact: Contact,
                               outcome: CallOutcome, now: dt.datetime, effects: Effects) -> None:
        """A message call: answered means delivered; otherwise retry, and in the end hand it to staff."""
        if outcome is CallOutcome.ANSWERED:
            self._say(conv, "call.message_delivered", now, effects, contact=contact.name)
            return
        delay = self._policy.retries.retry_delay(PlanReason.NO_ANSWER_RETRY, call.attempt)
        if delay is not None:
            self._keep_plan(replace(call, at=next_allowed_time(conv.profile, contact, now + delay),
                                    attempt=call.attempt + 1), effects)
            return
        self._say(conv, "call.message_undelivered", now, effects, contact=contact.name)
        self._call_note(conv, contact, f"Please pass on the resident's message to their {contact.relation} "
                        f"{contact.name} ({contact.address}): \"{call.message}\"", now, effects)

    def _plan_regular_calls(self, now: dt.datetime, effects: Effects) -> None:
        """Keep the next occurrence of every regular call staff arranged in the plans."""
        added = False
        for conv in self._conversations.values():
            for regular in conv.profile.scheduled_calls:
                if not self._plans.has(conv.profile.person_id, regular.contact_id, PlanReason.SCHEDULED):
                    self._plans.add(PlannedCall(conv.profile.person_id, regular.contact_id,
                                                next_regular_time(conv.profile, regular, now), PlanReason.SCHEDULED))
                    added = True
        if added:
            effects.add(CallPlansChanged(self._plans.all()))

    def _bring_up_planned_calls(self, now: dt.datetime, effects: Effects) -> None:
        """A planned call's time has come: deliver a message, or ask the resident (who may have changed their
        mind). A resident who is busy (on a call, answering another question) is asked a little later."""
        due = self._plans.take_due(now)
        for plan in due:
            conv = self._conversations.get(plan.person_id)
            contact = conv.profile.contact(plan.contact_id) if conv else None
            late = (now - plan.at).total_seconds() > self._policy.regular_call_late_s
            if conv is None or contact is None or (plan.reason is PlanReason.SCHEDULED and late):
                continue
            if conv.in_call or conv.current_call is not None or conv.pending is not None:
                self._plans.postpone(plan, now + dt.timedelta(seconds=self._policy.plan_postpone_s))
            elif plan.reason is PlanReason.MESSAGE:
                conv.current_call = plan
                effects.add(self._message_call(conv.profile, contact, plan.message))
            else:
                self._start_session(conv, now, "planned_call", effects)
                regular = plan.reason is PlanReason.SCHEDULED
                self._say(conv, "call.scheduled" if regular else "call.retry_now", now, effects, contact=contact.name,
                          relation=self._phrases.relation(conv.profile.language, contact.relation))
                self._await(conv, Awaiting.CALL_CONFIRM, now, contacts=(contact,), plan=plan)
        if due:
            effects.add(CallPlansChanged(self._plans.all()))
        self._plan_regular_calls(now, effects)

    def _message_call(self, profile: ResidentProfile, contact: Contact, message: str) -> StartCall:
        """The call that says the resident's message to the contact, in the contact's language if the robot
        speaks it (else the resident's, the language the message itself is in)."""
        language = contact.language if contact.language in self._phrases.languages else profile.language
        locale = profile.locale if language == profile.language else language
        text = self._phrases.render(language, "call.message_for_contact",
                                    {"resident": profile.preferred_name, "message": message}, key=contact.contact_id)
        return StartCall(profile.person_id, contact.contact_id, text, locale)

    def _keep_plan(self, plan: PlannedCall, effects: Effects) -> None:
        self._plans.add(plan)
        effects.add(CallPlansChanged(self._plans.all()))

    def _call_note(self, conv: Conversation, contact: Contact, summary: str, now: dt.datetime,
                   effects: Effects) -> None:
        """A staff note about a call (failed, or a message nobody received): never silently dropped."""
        self._raise(conv, Severity.INFO, AlertCategory.CALL, summary, now, effects,
                    {"contact_id": contact.contact_id, "relation": contact.relation})
