"""The alert desk's SQLite state file: what is saved comes back after a restart, bad files are named."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from robot.adapters.alert_desk_store import SqliteAlertDeskStore
from robot.core.alert_desk import Acknowledgement, OpenAlerts, RenotifyPolicy, TrackedAlert
from robot.core.alerts import AlertCategory, Severity, StaffAlert

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)


def alert(alert_id: str, severity: Severity = Severity.URGENT) -> StaffAlert:
    return StaffAlert(alert_id=alert_id, person_id="r-c41d07", severity=severity, category=AlertCategory.MEDICATION,
                      summary="Señora Carmen: no answer to her 08:00 dose", details={"reminder_id": "r/x/08:00"},
                      raised_at=T0)


def test_alerts_and_acknowledgements_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "alert_desk.sqlite"
    store = SqliteAlertDeskStore(path)
    desk = OpenAlerts(RenotifyPolicy())
    raised = desk.raise_alert(alert("a1")).alerts + desk.raise_alert(alert("a2", Severity.WARNING)).alerts
    store.save(raised, ())
    reannounced = desk.tick(T0 + dt.timedelta(minutes=2))
    store.save(reannounced.alerts, ())
    ack = Acknowledgement(alert_id="a2", acknowledged_by="Nurse Amal", at=T0 + dt.timedelta(minutes=3), note="seen")
    early = Acknowledgement(alert_id="not-yet-raised", acknowledged_by="Nurse Amal", at=T0)
    store.save((), [ack, early])
    store.close()

    reopened = SqliteAlertDeskStore(path)
    restored = OpenAlerts(RenotifyPolicy(), reopened.load_alerts(), reopened.load_acknowledgements())
    [still_open] = restored.open()
    assert still_open == TrackedAlert(alert=alert("a1"), announcements=2, last_announced=T0 + dt.timedelta(minutes=2))
    assert still_open.alert.details == {"reminder_id": "r/x/08:00"}
    assert sorted(a.alert_id for a in reopened.load_acknowledgements()) == ["a2", "not-yet-raised"]
    reopened.close()


def test_forgotten_records_are_gone_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "alert_desk.sqlite"
    store = SqliteAlertDeskStore(path)
    store.save([TrackedAlert(alert("a1"), 1, T0), TrackedAlert(alert("a2"), 1, T0)],
               [Acknowledgement(alert_id="a1", acknowledged_by="Amal", at=T0)])
    store.forget(["a1"])
    assert [t.alert_id for t in store.load_alerts()] == ["a2"] and store.load_acknowledgements() == []
    store.close()


def test_read_only_reader_sees_what_the_writer_saved_and_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "alert_desk.sqlite"
    writer = SqliteAlertDeskStore(path)
    writer.save([TrackedAlert(alert("a1"), 1, T0)], ())
    reader = SqliteAlertDeskStore(path, read_only=True)
    assert [t.alert_id for t in reader.load_alerts()] == ["a1"]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.save([TrackedAlert(alert("a2"), 1, T0)], ())
    reader.close()
    writer.close()


def test_missing_or_foreign_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.sqlite: no such file"):
        SqliteAlertDeskStore(tmp_path / "nowhere.sqlite", read_only=True)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match="garbage.sqlite: not a usable SQLite database"):
        SqliteAlertDeskStore(garbage)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(ValueError, match="schema version 7, expected 1"):
        SqliteAlertDeskStore(other)


def test_a_corrupt_row_names_the_file_and_the_alert(tmp_path: Path) -> None:
    path = tmp_path / "alert_desk.sqlite"
    store = SqliteAlertDeskStore(path)
    store.save([TrackedAlert(alert("a1"), 1, T0)], ())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alerts SET severity = 'catastrophic'")
    with pytest.raises(ValueError, match=r"alert_desk.sqlite: bad row for alert 'a1': 'catastrophic'"):
        store.load_alerts()
    store.close()
