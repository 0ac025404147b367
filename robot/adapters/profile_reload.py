"""Profiles that reload while the robot runs; an invalid edit is rejected and the last good Home stays.

A node calls `poll()` from a timer. Each poll lists the profile files (cultures/, phrases/, urgency/, residents/) and
compares (mtime, size, inode) with the last poll; only when these differ are the changed files hashed, and
only when the hashes differ is the folder loaded again (urgency/ too: what a call for help sounds like) with robot.adapters.yaml_profiles. A rejected edit is
reported once per distinct bad content: polling again without a further edit gives UNCHANGED.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from robot.adapters.yaml_profiles import PERSON_ID, load_home, validate_tree
from robot.core.alerts import AlertCategory, Severity, StaffAlert
from robot.core.profile import Home, ProfileError

PARAMETERS = ("profiles_dir", "residents_dir", "residents")   # declared by robot.nodes.common
_WATCHED = ("cultures", "phrases", "urgency")
_Stat = tuple[int, int, int]          # mtime_ns, size, inode: an atomic replace changes the inode


class ReloadStatus(str, Enum):
    UNCHANGED = "unchanged"
    RELOADED = "reloaded"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReloadOutcome:
    """What one poll found. `home` is the Home in force after it (the last good one when rejected)."""

    status: ReloadStatus
    home: Home
    changed: frozenset[str] = frozenset()        # person ids added, edited or removed (RELOADED)
    errors: tuple[ProfileError, ...] = ()        # every problem found, by file and line (REJECTED)
    fingerprint: str = ""                        # content hash of the files polled (REJECTED: the bad content)


class ProfileReloader:
    """The profiles folder as a Home that follows staff edits. Starting requires valid profiles."""

    def __init__(self, profiles_dir: Path, residents_dir: Path | None = None, only: Sequence[str] = ()) -> None:
        self._profiles_dir = profiles_dir
        self._residents_dir = residents_dir or profiles_dir / "residents"
        self._only = tuple(only)
        self._stats: dict[Path, _Stat] = {}
        self._hashes: dict[Path, tuple[_Stat, str]] = {}
        self._home = load_home(profiles_dir, self._residents_dir, only=self._only)
        self._seen = self._fingerprint(self._scan())          # content last loaded or last rejected

    @classmethod
    def from_parameters(cls, profiles_dir: str, residents_dir: str, residents: Sequence[str]) -> "ProfileReloader":
        """From the node parameters of robot.nodes.common: "" residents_dir = <profiles_dir>/residents,
        [""] residents = every resident."""
        return cls(Path(profiles_dir), Path(residents_dir) if residents_dir else None,
                   only=[person_id for person_id in residents if person_id])

    @property
    def current(self) -> Home:
        """The last good Home."""
        return self._home

    def poll(self) -> ReloadOutcome:
        """Reload if any profile file's content changed since the last poll."""
        stats = self._scan()
        if stats == self._stats:
            return ReloadOutcome(ReloadStatus.UNCHANGED, self._home)
        fingerprint = self._fingerprint(stats)
        if fingerprint == self._seen:
            return ReloadOutcome(ReloadStatus.UNCHANGED, self._home)
        self._seen = fingerprint
        errors = validate_tree(self._profiles_dir, self._residents_dir)
        if not errors:
            try:
                return self._reloaded(load_home(self._profiles_dir, self._residents_dir, only=self._only))
            except ProfileError as error:       # e.g. a served resident's file was removed
                errors = [error]
        ordered = sorted(errors, key=lambda error: (error.file, error.line or 0))
        return ReloadOutcome(ReloadStatus.REJECTED, self._home, errors=tuple(ordered), fingerprint=fingerprint)

    def _reloaded(self, home: Home) -> ReloadOutcome:
        before = self._home.residents
        changed = frozenset(person_id for person_id in before.keys() | home.residents.keys()
                            if before.get(person_id) != home.residents.get(person_id))
        self._home = home
        return ReloadOutcome(ReloadStatus.RELOADED, home, changed=changed)

    def _files(self) -> list[Path]:
        folders = [self._profiles_dir / name for name in _WATCHED] + [self._residents_dir]
        return sorted(path for folder in folders for path in folder.glob("*.yaml"))

    def _scan(self) -> dict[Path, _Stat]:
        stats = {}
        for path in self._files():
            try:
                info = os.stat(path)
            except FileNotFoundError:    # removed between listing and stat: gone
                continue
            stats[path] = (info.st_mtime_ns, info.st_size, info.st_ino)
        return stats

    def _fingerprint(self, stats: dict[Path, _Stat]) -> str:
        """A hash over every file's path and content hash; unchanged files are not read again."""
        self._stats = stats
        total = hashlib.sha256()
        for path, stat in stats.items():
            cached = self._hashes.get(path)
            if cached is None or cached[0] != stat:
                cached = (stat, _content_hash(path))
                self._hashes[path] = cached
            total.update(f"{path}\0{cached[1]}\0".encode())
        for gone in self._hashes.keys() - stats.keys():
            del self._hashes[gone]
        return total.hexdigest()


def _content_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "removed"


def rejection_alert(outcome: ReloadOutcome, now: dt.datetime, raised_by: str) -> StaffAlert:
    """The staff alert for a rejected edit: the file and its first problem, how many more there are.

    The id comes from the bad content, so every node that polls the same files raises the same alert.
    """
    first = outcome.errors[0]
    more = len(outcome.errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    stem = Path(first.file).stem
    return StaffAlert(
        alert_id=f"profiles/{outcome.fingerprint[:16]}",
        person_id=stem if PERSON_ID.fullmatch(stem) else "",
        severity=Severity.WARNING,
        category=AlertCategory.PROFILE_REJECTED,
        summary=f"Profile edit rejected, the last good profiles stay in force: {first}{tail}",
        details={"file": first.file, "line": str(first.line or ""), "field": first.field,
                 "problems": str(len(outcome.errors)), "raised_by": raised_by},
        raised_at=now,
    )
