"""What residents told the robot about themselves (CARESSES-style person facts), layered over their profile.

A culture template only guesses ("likely to enjoy cricket"); the robot asks, and the answer becomes a
person fact. From then on the fact wins over the culture's guess and over staff entries, and the
profile's provenance says so (`Source.PERSON_ANSWER`), so staff can see where every value came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

from robot.core.profile import ResidentProfile, Source, TopicInterest

TOPIC_PREFIX = "topics."


class Interest(str, Enum):
    """What the resident said about a topic."""

    LIKED = "liked"                     # "Oh yes, I love the cricket"
    NOT_INTERESTED = "not_interested"   # "Not really": the robot stops raising it (they still may)


@dataclass(frozen=True)
class PersonFact:
    """One thing a resident said about themselves. `key` names the profile value ("topics.cricket")."""

    person_id: str
    key: str
    value: str
    said_at: dt.datetime
    source: Source = Source.PERSON_ANSWER

    @property
    def topic(self) -> str:
        return self.key.removeprefix(TOPIC_PREFIX) if self.key.startswith(TOPIC_PREFIX) else ""


def topic_fact(person_id: str, topic: str, interest: Interest, said_at: dt.datetime) -> PersonFact:
    return PersonFact(person_id, f"{TOPIC_PREFIX}{topic}", interest.value, said_at)


def latest(facts: Iterable[PersonFact]) -> dict[str, PersonFact]:
    """The last word on each key (a resident may change their mind)."""
    newest: dict[str, PersonFact] = {}
    for fact in sorted(facts, key=lambda f: f.said_at):
        newest[fact.key] = fact
    return newest


def apply_facts(profile: ResidentProfile, facts: Iterable[PersonFact]) -> ResidentProfile:
    """`profile` with the resident's own answers (and staff's corrections of them) on top; facts about
    other people are ignored."""
    own = [fact for fact in latest(f for f in facts if f.person_id == profile.person_id).values() if fact.topic]
    if not own:
        return profile
    source = {fact.topic: fact.source for fact in own}   # the resident's answer, or staff's correction of it
    liked = {fact.topic for fact in own if fact.value == Interest.LIKED.value}
    declined = {fact.topic for fact in own if fact.value == Interest.NOT_INTERESTED.value}
    provenance = dict(profile.provenance)
    topics = [TopicInterest(topic, 1.0, source[topic]) for topic in sorted(liked)]
    topics += [t for t in profile.topics if t.topic not in liked | declined]
    avoided = [topic for topic in profile.avoided_topics if topic not in liked]
    avoided += sorted(declined - set(avoided))
    for topic in liked:
        provenance.pop(f"avoided_topics.{topic}", None)
        provenance[f"topics.{topic}"] = source[topic]
    for topic in declined:
        provenance.pop(f"topics.{topic}", None)
        provenance[f"avoided_topics.{topic}"] = source[topic]
    return replace(profile, topics=tuple(topics), avoided_topics=tuple(avoided), provenance=provenance)


def is_a_guess(profile: ResidentProfile, topic: str) -> bool:
    """Only the culture template suggests this topic: worth asking the person before assuming."""
    return profile.provenance.get(f"topics.{topic}") is Source.CULTURE_DEFAULT
