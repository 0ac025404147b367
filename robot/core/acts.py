"""The catalogue of dialogue acts: what the robot can say, and which slots each act's phrases may use.

Phrase banks (profiles/phrases/<language>.yaml) hold the sentences for every act here; the dialogue
policy chooses an act and fills its slots. An act's slots are values, already in the listener's
language: `topic` and `relation` come from the bank's own topic/relation words, `options` from
`PhraseBank.join_options`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


def _slots(*names: str) -> frozenset[str]:
    return frozenset(names)


ACTS: Mapping[str, frozenset[str]] = MappingProxyType({
    "greeting.morning": _slots("address"),
    "greeting.afternoon": _slots("address"),
    "greeting.evening": _slots("address"),
    "greeting.ask_wellbeing": _slots("address"),
    "smalltalk.offer_topic": _slots("address", "topic"),
    "smalltalk.ask_interest": _slots("address", "topic"),
    "smalltalk.ack": _slots(),
    "smalltalk.ask_more": _slots("topic"),
    "wellbeing.glad": _slots("address"),
    "wellbeing.comfort_lonely": _slots("address"),
    "wellbeing.offer_call": _slots("contact", "relation"),
    "wellbeing.unwell_staff": _slots("address"),
    "medication.remind": _slots("address", "medication", "dose"),
    "medication.remind_again": _slots("address", "medication"),
    "medication.thanks_taken": _slots("address"),
    "medication.ack_declined": _slots("address"),
    "medication.ack_later": _slots("address", "minutes"),
    "medication.escalated": _slots("address"),
    "medication.missed_notice": _slots("address", "medication"),
    "call.confirm": _slots("contact", "relation"),
    "call.dialling": _slots("contact"),
    "call.connected": _slots("contact"),
    "call.ended": _slots("contact"),
    "call.no_answer": _slots("contact"),
    "call.busy": _slots("contact"),
    "call.failed": _slots("contact"),
    "call.declined_ok": _slots(),
    "call.which_contact": _slots("options"),
    "call.unknown_contact": _slots("relation"),
    "call.outside_hours": _slots("contact", "their_time", "time"),
    "call.planned": _slots("contact", "time"),
    "call.retry_now": _slots("contact"),
    "call.scheduled": _slots("contact", "relation"),   # a regular call staff arranged is due
    "call.busy_retry": _slots("contact", "minutes"),
    "call.message_prompt": _slots("contact"),
    "call.message_taken": _slots("contact"),
    "call.message_delivered": _slots("contact"),
    "call.message_undelivered": _slots("contact"),
    "call.message_for_contact": _slots("resident", "message"),   # said to the contact, not the resident
    "help.reassure": _slots("address"),
    "clarify.pardon": _slots("address"),
    "clarify.yes_no": _slots(),
    "clarify.not_understood": _slots("address"),
    "clarify.offer_choices": _slots("address"),
    "time.tell": _slots("time"),
    "confirm.help": _slots(),
    "help.ask": _slots("address"),      # the urgency detector was unsure: "Do you need help? Shall I call a carer?"
    "confirm.med_taken": _slots(),
    "confirm.med_declined": _slots(),
    "filler": _slots(),
    "farewell": _slots("address"),
    "stop.ack": _slots(),
})
"""Act name -> the slot names its phrases may use (every slot must be filled when rendering).

`confirm.*` acts ask before acting on a command heard through a grammar decoder, which maps any speech
onto some command (FACTS); `filler` bridges a slow answer; `clarify.not_understood` follows a turn
the recogniser could make nothing of; `clarify.offer_choices` follows a second turn in a row the robot
could not make out; `smalltalk.ask_interest` checks a culture's guess with the person ("Do you follow
the cricket?") and the answer is kept as a person fact; `time.tell`'s `time` is a clock time in the language's own way (PhraseBank.clock_time).
"""

_OFTEN_HEARD = ("greeting.", "filler")


def min_variants(act: str) -> int:
    """How many phrasings a bank needs for `act`, so nobody hears the same sentence twice in a row.

    Greetings and fillers are heard most often, so they need three.
    """
    return 3 if act.startswith(_OFTEN_HEARD) else 2


CHECKIN_ACTS = frozenset({"checkin.open", "checkin.ask", "checkin.close"})
"""Acts of a wellbeing check-in: their words are the instrument's own (robot/core/checkins.py), not a
phrase bank's, so an instrument's validated wording is said exactly as written."""
