"""The SIP account comes from the environment or a private file, and its password never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from robot.adapters.sip_account import SipAccount, SipAccountError, account_from_environment, load_account

PASSWORD = "pa55-Wörd!"
ENVIRONMENT = {"CAREBOT_SIP_USER": "robot7", "CAREBOT_SIP_PASSWORD": PASSWORD,
               "CAREBOT_SIP_REGISTRAR": "sip:10.0.0.5:5060", "CAREBOT_SIP_DISPLAY_NAME": "Carebot Rose Ward"}


def private_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "sip-account"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_account_is_read_from_the_environment_without_the_password_in_its_repr() -> None:
    account = account_from_environment(ENVIRONMENT)
    assert account == SipAccount("robot7", PASSWORD, "10.0.0.5:5060", "Carebot Rose Ward")
    assert account.aor == "sip:robot7@10.0.0.5:5060"
    assert PASSWORD not in repr(account) and PASSWORD not in str(account)


def test_a_private_file_wins_over_the_environment(tmp_path: Path) -> None:
    path = private_file(tmp_path, f"# the ward robot\nuser = ward3\npassword = {PASSWORD}\n"
                                  "registrar = 127.0.0.1:5070\n")
    assert load_account(path, ENVIRONMENT) == SipAccount("ward3", PASSWORD, "127.0.0.1:5070", "")
    assert load_account(None, ENVIRONMENT).user == "robot7"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = private_file(tmp_path, f"user = a\npassword = {PASSWORD}\nregistrar = h\n", mode)
    with pytest.raises(SipAccountError) as raised:
        load_account(path)
    assert str(raised.value) == (f"SIP account file {path}: group or other users can access it (mode {mode:o}); "
                                 f"it holds a password: chmod 600 {path}")


def test_missing_fields_are_named_by_the_variable_or_key_to_set(tmp_path: Path) -> None:
    with pytest.raises(SipAccountError, match="the environment: no SIP account: missing CAREBOT_SIP_PASSWORD, "
                                              "CAREBOT_SIP_REGISTRAR"):
        account_from_environment({"CAREBOT_SIP_USER": "robot7"})
    path = private_file(tmp_path, "user = ward3\n")
    with pytest.raises(SipAccountError, match=f"SIP account file {path}: no SIP account: missing password, registrar"):
        load_account(path)


def test_an_unknown_key_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = private_file(tmp_path, "user = ward3\npasword = x\n")
    with pytest.raises(SipAccountError, match=f"{path}:2: expected 'key = value' with key one of user, password, "
                                              "registrar, display_name; got 'pasword'"):
        load_account(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SipAccountError, match=f"SIP account file {tmp_path / 'nope'}: cannot be read"):
        load_account(tmp_path / "nope")


def test_characters_that_would_rewrite_the_account_line_are_refused_without_echoing_the_password() -> None:
    with pytest.raises(SipAccountError) as raised:
        account_from_environment({**ENVIRONMENT, "CAREBOT_SIP_PASSWORD": "abc;transport=tcp"})
    assert "CAREBOT_SIP_PASSWORD must not contain ';'" in str(raised.value)
    assert "abc" not in str(raised.value)
    with pytest.raises(SipAccountError, match="CAREBOT_SIP_USER must not contain '@' in 'robot@evil'"):
        account_from_environment({**ENVIRONMENT, "CAREBOT_SIP_USER": "robot@evil"})
