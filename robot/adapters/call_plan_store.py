"""Planned calls in a small JSON file, replaced atomically on every change (a few per resident at most)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from robot.adapters.json_files import read_json, write_json_atomically
from robot.core.call_plans import PlannedCall, PlanReason

FIELDS = ("person_id", "contact_id", "at", "reason", "attempt", "message")


class CallPlanFileError(ValueError):
    """The plans file cannot be read; names the file, the entry and the field."""


class CallPlanStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> tuple[PlannedCall, ...]:
        """The plans saved last (none if the file does not exist yet)."""
        try:
            entries = read_json(self.path, "planned calls")
        except ValueError as error:
            raise CallPlanFileError(str(error)) from error
        if entries is None:
            return ()
        if not isinstance(entries, list):
            raise CallPlanFileError(f"{self.path}: expected a list of planned calls, got {type(entries).__name__}")
        return tuple(self._plan(index, entry) for index, entry in enumerate(entries))

    def save(self, plans: tuple[PlannedCall, ...]) -> None:
        write_json_atomically(self.path, [self._entry(plan) for plan in plans])

    @staticmethod
    def _entry(plan: PlannedCall) -> dict[str, Any]:
        return {"person_id": plan.person_id, "contact_id": plan.contact_id, "at": plan.at.isoformat(),
                "reason": plan.reason.value, "attempt": plan.attempt, "message": plan.message}

    def _plan(self, index: int, entry: Any) -> PlannedCall:
        where = f"{self.path}: entry {index}"
        if not isinstance(entry, dict) or set(entry) != set(FIELDS):
            raise CallPlanFileError(f"{where}: expected the fields {', '.join(FIELDS)}, got {entry!r}")
        try:
            at = dt.datetime.fromisoformat(entry["at"])
            reason = PlanReason(entry["reason"])
        except (TypeError, ValueError) as error:
            raise CallPlanFileError(f"{where}: field at/reason: expected an ISO time with offset and one of "
                                    f"{', '.join(r.value for r in PlanReason)}: {error}") from error
        if at.tzinfo is None:
            raise CallPlanFileError(f"{where}: field at: expected a time with a UTC offset, got {entry['at']!r}")
        return PlannedCall(str(entry["person_id"]), str(entry["contact_id"]), at, reason, int(entry["attempt"]),
                           str(entry["message"]))
