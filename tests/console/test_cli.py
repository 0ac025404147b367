"""`carebot users add/list` as an administrator uses them, and the console node's parameters from options."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from robot.console.store import ConsoleStore, Role
from robot.console_cli import main


def test_users_add_reads_the_password_from_stdin_and_stores_only_a_hash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "console.sqlite"
    monkeypatch.setattr("sys.stdin", io.StringIO("a very long secret\n"))
    assert main(["users", "add", "ada", "--role", "admin", "--db", str(database)]) == 0
    assert "added admin account 'ada'" in capsys.readouterr().out
    assert b"a very long secret" not in database.read_bytes()
    store = ConsoleStore(database)
    try:
        assert store.verify("ada", "a very long secret") is not None and store.verify("ada", "wrong") is None
        assert store.user("ada").role is Role.ADMIN  # type: ignore[union-attr]
        assert [e.action for e in store.audit_entries()] == ["added account"]
    finally:
        store.close()
    assert main(["users", "list", "--db", str(database)]) == 0
    assert capsys.readouterr().out.split()[:3] == ["ada", "admin", "active"]


def test_users_add_refuses_a_short_password_and_a_taken_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "console.sqlite"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "amal", "--role", "staff", "--db", str(database)]) == 2
    assert "password: expected at least 10 characters, got 5" in capsys.readouterr().err
    for expected in (0, 2):
        monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
        assert main(["users", "add", "amal", "--role", "staff", "--db", str(database)]) == expected
    assert "username: 'amal' exists already" in capsys.readouterr().err


def test_the_password_is_never_an_argument() -> None:
    with pytest.raises(SystemExit):
        main(["users", "add", "ada", "--role", "admin", "--password", "x"])
