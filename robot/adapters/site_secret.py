"""The per-site secret behind research pseudonyms, kept outside the repository.

Looked for in this order: the environment variable CAREBOT_SITE_SECRET (hex, at least 64 digits), then the
file named by CAREBOT_SITE_SECRET_FILE, then ~/.config/carebot/site_secret. A file must hold hex only, be
readable by its owner alone (mode 0600 or stricter) and lie outside the project folder, so that it is never
committed. `create_site_secret` writes a new one that way (`carebot research secret create`).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from robot.core.pseudonym import MIN_SECRET_BYTES
from robot.paths import PROJECT_ROOT

SECRET_ENV = "CAREBOT_SITE_SECRET"
SECRET_FILE_ENV = "CAREBOT_SITE_SECRET_FILE"
DEFAULT_SECRET_FILE = Path("~/.config/carebot/site_secret")


class SiteSecretError(ValueError):
    """No usable secret: says where it looked and what it expected."""


def secret_file(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the secret file is (or would be created)."""
    return Path(environ.get(SECRET_FILE_ENV) or DEFAULT_SECRET_FILE).expanduser()


def _parse(text: str, where: str) -> bytes:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise SiteSecretError(f"{where}: expected hexadecimal digits only") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise SiteSecretError(f"{where}: expected at least {2 * MIN_SECRET_BYTES} hex digits "
                              f"({MIN_SECRET_BYTES} bytes), got {len(text.strip())}")
    return secret


def _check_outside_project(path: Path) -> None:
    if path.resolve().is_relative_to(PROJECT_ROOT):
        raise SiteSecretError(f"{path}: the site secret must be kept outside the repository ({PROJECT_ROOT})")


def load_site_secret(environ: Mapping[str, str] = os.environ) -> bytes:
    """The site secret from the environment or its file; raises SiteSecretError saying what is wrong."""
    if environ.get(SECRET_ENV):
        return _parse(environ[SECRET_ENV], f"environment variable {SECRET_ENV}")
    path = secret_file(environ)
    if not path.is_file():
        raise SiteSecretError(f"{path}: no site secret (set {SECRET_ENV}, or create one with "
                              f"`carebot research secret create`)")
    _check_outside_project(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SiteSecretError(f"{path}: readable by others (mode {mode:04o}); expected 0600 (chmod 600 {path})")
    return _parse(path.read_text(encoding="ascii", errors="replace"), str(path))


def create_site_secret(path: Path) -> Path:
    """Write a new random secret to `path` (mode 0600, never over an existing file) and return the path."""
    _check_outside_project(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SiteSecretError(f"{path}: a site secret exists already; replacing it would change every "
                              "pseudonym, so remove it yourself if that is what you want") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(MIN_SECRET_BYTES) + "\n")
    return path


SIMULATION_SECRET = "simulation_secret"
"""A simulation run's own secret, in its run folder: the residents are fictional, so the rule that a
site's secret lives outside the repository does not apply, and `carebot sim && carebot export` works
on a fresh machine."""


def write_simulation_secret(run_dir: Path) -> None:
    descriptor = os.open(run_dir / SIMULATION_SECRET, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(MIN_SECRET_BYTES) + "\n")


def secret_for(database: Path, environ: Mapping[str, str] = os.environ) -> tuple[bytes, str]:
    """The secret for pseudonyms of `database`, and where it came from: the site's secret if there is one,
    else the simulation run's own (a database written by `carebot sim`)."""
    try:
        return load_site_secret(environ), "the site secret"
    except SiteSecretError:
        run_secret = database.parent / SIMULATION_SECRET
        if not run_secret.is_file():
            raise
        return _parse(run_secret.read_text(encoding="ascii"), str(run_secret)), f"the simulation run's own secret ({run_secret})"

