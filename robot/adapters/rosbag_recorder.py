"""Conversations recorded as rosbag2 bags (MCAP storage), one bag per session, with the rosbags library.

Layout: one rosbag2 directory per session under the bag folder, named `<UTC start>_<person id>`
(`20260302T080005Z_r-3f9a1c/20260302T080005Z_r-3f9a1c.mcap` + `metadata.yaml`), so a listing sorts by date
and a researcher finds a session by its start and its resident. `metadata.yaml`'s custom_data holds the
session id, person id, start and end.

Crashes: rosbags keeps a chunk in memory until it reaches 1 MiB; here the chunk is closed and flushed to the
operating system every `flush_every` messages, so a crashed process loses at most the messages since the
last flush. A bag still being written (or left by a crash) has an `UNFINISHED` file beside the `.mcap` and
no `metadata.yaml`; its `.mcap` lacks the summary and footer, but every flushed message can be read with a
streaming MCAP reader (`mcap.reader.NonSeekingReader`) or repaired with `mcap recover`.

Disk budget: when the bags together exceed the budget, the oldest bags are deleted first (never one being
written). Bags hold residents' own words, the most sensitive research data; the wellbeing database keeps the
session's events and metrics, and an unattended robot that stopped recording when full would silently lose
every later session instead.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rosbags.interfaces import Connection
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError
from rosbags.rosbag2.storage_mcap import McapWriter
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

UNFINISHED = "UNFINISHED"
_UNFINISHED_NOTE = (
    "This bag was still being recorded (or its recorder crashed): metadata.yaml and the MCAP summary are\n"
    "missing. Every flushed message is in the .mcap: read it with a streaming MCAP reader, or repair it\n"
    "with `mcap recover`.\n")
_NAME = re.compile(r"(?P<stamp>\d{8}T\d{6}Z(?:-\d+)?)_(?P<person>[^/]+)")
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
ROSBAG_VERSION = 9


class BagError(Exception):
    """A bag could not be prepared or written; the message names the file and what was expected."""


@dataclass(frozen=True)
class RecordedTopic:
    """A topic to record and its ROS type name, e.g. carebot_interfaces/msg/LiveSpeech."""

    topic: str
    msgtype: str


@dataclass(frozen=True)
class Session:
    """One conversation with one resident."""

    session_id: str
    person_id: str
    started: dt.datetime     # aware, UTC: names the bag


@dataclass(frozen=True)
class StoredBag:
    """A bag directory found in the bag folder."""

    path: Path
    person_id: str
    stamp: str               # the name's start stamp: sorts chronologically
    finished: bool
    size_bytes: int


def load_typestore(msg_dir: Path, msgtypes: Iterable[str], store: Stores = Stores.ROS2_KILTED) -> Typestore:
    """The ROS 2 type store plus the project's own types among `msgtypes`, read from `<msg_dir>/<Name>.msg`,
    so each bag carries full definitions a third-party reader can decode with."""
    typestore = get_typestore(store)
    for msgtype in msgtypes:
        if msgtype in typestore.fielddefs:
            continue
        source = msg_dir / f"{msgtype.rsplit('/', 1)[-1]}.msg"
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise BagError(f"{source}: message definition for {msgtype} not readable ({error.strerror})") from None
        try:
            typestore.register(get_types_from_msg(text, msgtype))
        except Exception as error:      # rosbags raises several parser and lookup errors
            raise BagError(f"{source}: not a valid definition of {msgtype}: {error}") from None
    return typestore


def bag_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


class SessionBag:
    """One session's bag while it is written: open on creation, `close()` finishes it, `discard()` deletes it."""

    def __init__(self, path: Path, session: Session, topics: Sequence[RecordedTopic], typestore: Typestore,
                 flush_every: int) -> None:
        if flush_every < 1:
            raise BagError(f"{path}: flush_every must be at least 1 message, got {flush_every}")
        self.path = path
        self.session = session
        self.message_count = 0
        self._flush_every = flush_every
        self._unflushed = 0
        self._writer = Writer(path, version=ROSBAG_VERSION, storage_plugin=StoragePlugin.MCAP)
        try:
            self._writer.open()
        except WriterError as error:
            raise BagError(f"{path}: cannot create the bag: {error}") from None
        (path / UNFINISHED).write_text(_UNFINISHED_NOTE, encoding="utf-8")
        self._connections: dict[str, Connection] = {
            topic.topic: self._writer.add_connection(topic.topic, topic.msgtype, typestore=typestore)
            for topic in topics}
        for key, value in (("session_id", session.session_id), ("person_id", session.person_id),
                           ("started", session.started.isoformat())):
            self._writer.set_custom_data(key, value)

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(self._connections)

    def write(self, topic: str, timestamp_ns: int, data: bytes) -> None:
        """Append one serialized (CDR) message as received, stamped `timestamp_ns` (node clock)."""
        connection = self._connections.get(topic)
        if connection is None:
            raise BagError(f"{self.path}: topic {topic} is not recorded in this bag "
                           f"(expected one of {sorted(self._connections)})")
        self._writer.write(connection, timestamp_ns, data)
        self.message_count += 1
        self._unflushed += 1
        if self._unflushed >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        """Close the pending MCAP chunk and hand it to the operating system: it survives a crash."""
        storage = self._writer.storage
        if not self._unflushed or not isinstance(storage, McapWriter):
            return
        storage.close_chunk()
        storage.bio.flush()
        self._unflushed = 0

    def close(self, ended: dt.datetime | None = None, reason: str = "") -> Path:
        """Finish the bag: MCAP summary and metadata.yaml written, the UNFINISHED mark removed.

        `ended` is None when recording stopped before the session ended (the recorder shut down)."""
        self._writer.set_custom_data("ended", ended.isoformat() if ended else "")
        self._writer.set_custom_data("end_reason", reason if ended else "recording stopped")
        self._writer.close()
        (self.path / UNFINISHED).unlink()
        return self.path

    def discard(self) -> None:
        """Stop writing and delete the bag and everything in it."""
        self._writer.abort()
        shutil.rmtree(self.path, ignore_errors=True)


class BagShelf:
    """The bag folder: names new bags, lists stored ones, deletes by person and to keep within a budget."""

    def __init__(self, root: Path, budget_bytes: int) -> None:
        if budget_bytes <= 0:
            raise BagError(f"{root}: the disk budget must be positive, got {budget_bytes} bytes")
        self.root = root
        self.budget_bytes = budget_bytes

    def new_path(self, session: Session) -> Path:
        """A free directory name for the session's bag: `<start>_<person>`, `<start>-2_<person>` if taken."""
        if session.started.tzinfo is None:
            raise BagError(f"{self.root}: session {session.session_id} has a naive start time")
        stamp = session.started.astimezone(dt.timezone.utc).strftime(_STAMP_FORMAT)
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{stamp}_{session.person_id}"
        count = 1
        while path.exists():
            count += 1
            path = self.root / f"{stamp}-{count}_{session.person_id}"
        return path

    def bags(self) -> list[StoredBag]:
        """Every bag directory in the folder, oldest first; other files and folders are left alone."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            match = _NAME.fullmatch(path.name)
            if match and path.is_dir():
                found.append(StoredBag(path, match["person"], match["stamp"],
                                       not (path / UNFINISHED).exists(), bag_size(path)))
        return sorted(found, key=lambda bag: (bag.stamp, bag.path.name))

    def delete_person(self, person_id: str) -> list[StoredBag]:
        """Delete every stored bag of one resident (consent withdrawn)."""
        gone = [bag for bag in self.bags() if bag.person_id == person_id]
        for bag in gone:
            shutil.rmtree(bag.path, ignore_errors=True)
        return gone

    def enforce_budget(self, keep: Collection[Path] = ()) -> list[StoredBag]:
        """Delete the oldest bags not in `keep` (those being written) until all fit in the budget."""
        bags = self.bags()
        total = sum(bag.size_bytes for bag in bags)
        gone = []
        for bag in bags:
            if total <= self.budget_bytes:
                break
            if bag.path in keep:
                continue
            shutil.rmtree(bag.path, ignore_errors=True)
            total -= bag.size_bytes
            gone.append(bag)
        return gone


@dataclass(frozen=True)
class _Heard:
    topic: str
    at_ns: int
    session_id: str          # "" when the message does not name a session
    data: bytes


@dataclass
class _Recording:
    bag: SessionBag
    ends_at_ns: int | None = None                      # set when the session has ended: lingering
    ended: dt.datetime | None = None
    reason: str = ""


@dataclass
class SessionRecorder:
    """Routes the messages heard about each resident into the bag of their current session.

    Messages heard up to `lookback_ns` before a session starts go into its bag (the words that opened it
    arrive before the session event); after the session ends, its bag stays open `linger_ns` more for the
    last robot words and turns still on their way. The caller decides consent: it hears only messages
    of residents who may be recorded and withdraws the others.
    """

    shelf: BagShelf
    typestore: Typestore
    flush_every: int
    lookback_ns: int
    linger_ns: int
    report: Callable[[str], None]                       # notable events: bags deleted for the budget
    _recordings: dict[str, _Recording] = field(default_factory=dict, init=False)        # by person id
    _recent: dict[str, deque[_Heard]] = field(default_factory=dict, init=False)         # by person id

    def open_bags(self) -> list[Path]:
        return [recording.bag.path for recording in self._recordings.values()]

    def start(self, session: Session, topics: Sequence[RecordedTopic], at_ns: int) -> Path:
        """Open the session's bag (finishing the resident's previous one) with what was just heard."""
        self._finish(session.person_id)
        self._enforce_budget()
        bag = SessionBag(self.shelf.new_path(session), session, topics, self.typestore, self.flush_every)
        self._recordings[session.person_id] = _Recording(bag)
        for heard in self._recent.pop(session.person_id, ()):
            if heard.at_ns >= at_ns - self.lookback_ns and heard.session_id in ("", session.session_id):
                bag.write(heard.topic, heard.at_ns, heard.data)
        return bag.path

    def end(self, session_id: str, ended: dt.datetime, reason: str, at_ns: int) -> Path | None:
        """The session ended: its bag closes after `linger_ns` (see `tick`); None if it is not recorded."""
        recording = next((recording for recording in self._recordings.values()
                          if recording.bag.session.session_id == session_id), None)
        if recording is None:
            return None
        recording.ends_at_ns, recording.ended, recording.reason = at_ns + self.linger_ns, ended, reason
        self.tick(at_ns)
        return recording.bag.path

    def hear(self, person_id: str, topic: str, at_ns: int, data: bytes, session_id: str = "") -> None:
        """A message about `person_id`: into their open bag, or kept `lookback_ns` for a session to come."""
        recording = self._recordings.get(person_id)
        if (recording is not None and topic in recording.bag.topics
                and session_id in ("", recording.bag.session.session_id)):
            recording.bag.write(topic, at_ns, data)
            return
        recent = self._recent.setdefault(person_id, deque())
        recent.append(_Heard(topic, at_ns, session_id, data))
        self._forget_before(recent, at_ns)

    def tick(self, now_ns: int) -> list[Path]:
        """Time passes: finish bags whose linger is over, forget messages too old for any lookback."""
        due = [person_id for person_id, recording in self._recordings.items()
               if recording.ends_at_ns is not None and recording.ends_at_ns <= now_ns]
        closed = [path for person_id in due if (path := self._finish(person_id)) is not None]
        for recent in self._recent.values():
            self._forget_before(recent, now_ns)
        return closed

    def withdraw(self, person_id: str) -> list[Path]:
        """Consent withdrawn: stop and delete the open bag, delete every stored bag, forget what was heard."""
        self._recent.pop(person_id, None)
        deleted = []
        recording = self._recordings.pop(person_id, None)
        if recording is not None:
            recording.bag.discard()
            deleted.append(recording.bag.path)
        return deleted + [bag.path for bag in self.shelf.delete_person(person_id)]

    def close(self) -> list[Path]:
        """Finish every open bag (the recorder is stopping)."""
        return [path for person_id in list(self._recordings) if (path := self._finish(person_id)) is not None]

    def _finish(self, person_id: str) -> Path | None:
        recording = self._recordings.pop(person_id, None)
        if recording is None:
            return None
        path = recording.bag.close(recording.ended, recording.reason)
        self._enforce_budget()
        return path

    def _enforce_budget(self) -> None:
        for bag in self.shelf.enforce_budget(keep=self.open_bags()):
            self.report(f"disk budget of {self.shelf.budget_bytes} bytes exceeded: deleted the oldest bag "
                        f"{bag.path} ({bag.size_bytes} bytes)")

    def _forget_before(self, recent: deque[_Heard], now_ns: int) -> None:
        while recent and recent[0].at_ns < now_ns - self.lookback_ns:
            recent.popleft()
