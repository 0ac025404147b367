"""Planned calls in a small JSON file, rewritten atomically on every change.

The list is short (a few calls per resident at most) and replaced whole, so a JSON file written to a
temporary name, flushed and renamed over the old one is enough: after a crash the file holds either
the old list or the new one, never half of each.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from robot.core.call_plans import PlannedCall, PlanReason

FIELDS = ("person_id", "contact_id", "at", "reason", "attempt", "message")


class CallPlanFileError(ValueError):
    """The plans file cannot be read; names the file, the entry and the field."""


class CallPlanStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> tuple[PlannedCall, ...]:
        """The plans saved last (none if the file does not exist yet)."""
        if not self.path.exists():
            return ()
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise CallPlanFileError(f"{self.path}: cannot read planned calls: {error}") from error
        if not isinstance(entries, list):
            raise CallPlanFileError(f"{self.path}: expected a list of planned calls, got {type(entries).__name__}")
        return tuple(self._plan(index, entry) for index, entry in enumerate(entries))

    def save(self, plans: tuple[PlannedCall, ...]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(self.path.name + ".tmp")
        with staging.open("w", encoding="utf-8") as out:
            json.dump([self._entry(plan) for plan in plans], out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(staging, self.path)

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
