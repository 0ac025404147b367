"""The site secret: from the environment or a private file outside the repository, with clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from robot.adapters.site_secret import (
    SECRET_ENV,
    SECRET_FILE_ENV,
    SiteSecretError,
    create_site_secret,
    load_site_secret,
)
from robot.paths import PROJECT_ROOT


def test_a_created_secret_is_private_loads_and_is_never_overwritten(tmp_path: Path) -> None:
    path = create_site_secret(tmp_path / "carebot" / "site_secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = load_site_secret({SECRET_FILE_ENV: str(path)})
    assert len(secret) == 32
    with pytest.raises(SiteSecretError, match="exists already"):
        create_site_secret(path)
    assert load_site_secret({SECRET_FILE_ENV: str(path)}) == secret


def test_the_environment_variable_wins(tmp_path: Path) -> None:
    assert load_site_secret({SECRET_ENV: "ab" * 32, SECRET_FILE_ENV: str(tmp_path / "none")}) == bytes([0xAB]) * 32


def test_a_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = create_site_secret(tmp_path / "site_secret")
    os.chmod(path, 0o644)
    with pytest.raises(SiteSecretError, match="readable by others \\(mode 0644\\); expected 0600"):
        load_site_secret({SECRET_FILE_ENV: str(path)})


@pytest.mark.parametrize(("environ", "message"), [
    ({SECRET_ENV: "not hex"}, f"environment variable {SECRET_ENV}: expected hexadecimal"),
    ({SECRET_ENV: "ab" * 8}, "expected at least 64 hex digits"),
])
def test_a_bad_secret_says_where_and_what_was_expected(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SiteSecretError, match=message):
        load_site_secret(environ)


def test_a_missing_secret_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(SiteSecretError, match="carebot research secret create"):
        load_site_secret({SECRET_FILE_ENV: str(tmp_path / "nothing")})


def test_a_secret_inside_the_repository_is_refused() -> None:
    with pytest.raises(SiteSecretError, match="outside the repository"):
        create_site_secret(PROJECT_ROOT / "runs" / "site_secret_test")
    assert not (PROJECT_ROOT / "runs" / "site_secret_test").exists()
