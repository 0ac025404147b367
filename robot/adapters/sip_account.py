"""The robot's SIP account, kept outside the repository: environment variables or a private file.

The password never appears in a repr, a log line or an error message. A file holding it is refused
when its group or other users have any access to it (it must be `chmod 600`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENVIRONMENT = {"user": "CAREBOT_SIP_USER", "password": "CAREBOT_SIP_PASSWORD",
               "registrar": "CAREBOT_SIP_REGISTRAR", "display_name": "CAREBOT_SIP_DISPLAY_NAME"}
REQUIRED = ("user", "password", "registrar")
FORBIDDEN = {"user": set('@:;<>"\' \t\r\n'), "password": set(';<>"\r\n'), "registrar": set('@;<>"\' \t\r\n'),
             "display_name": set('"<>\r\n')}
"""Characters that would change the meaning of the account line handed to the SIP stack."""


class SipAccountError(ValueError):
    """The account could not be read or is incomplete; the message names the source and the field."""


@dataclass(frozen=True)
class SipAccount:
    user: str
    password: str = field(repr=False)
    registrar: str = ""        # host[:port] of the SIP registrar, e.g. 127.0.0.1:5060
    display_name: str = ""

    @property
    def aor(self) -> str:
        """The address of record the account registers, e.g. sip:robot@127.0.0.1:5060."""
        return f"sip:{self.user}@{self.registrar}"


def account_from_environment(environ: Mapping[str, str] = os.environ) -> SipAccount:
    """The account from CAREBOT_SIP_USER / _PASSWORD / _REGISTRAR (and optional _DISPLAY_NAME)."""
    values = {key: environ[name] for key, name in ENVIRONMENT.items() if environ.get(name)}
    return _account(values, "the environment", lambda key: ENVIRONMENT[key])


def account_from_file(path: Path) -> SipAccount:
    """The account from a private file of `key = value` lines (user, password, registrar, display_name)."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise SipAccountError(f"SIP account file {path}: cannot be read ({error.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SipAccountError(f"SIP account file {path}: group or other users can access it "
                              f"(mode {stat.S_IMODE(mode):o}); it holds a password: chmod 600 {path}")
    return _account(_parse(path), f"SIP account file {path}", lambda key: key)


def load_account(path: Path | None, environ: Mapping[str, str] = os.environ) -> SipAccount:
    """From the file when a path is given, else from the environment."""
    return account_from_file(path) if path is not None else account_from_environment(environ)


def _parse(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, separator, value = text.partition("=")
        key = key.strip()
        if not separator or key not in ENVIRONMENT:
            raise SipAccountError(f"SIP account file {path}:{number}: expected 'key = value' with key one of "
                                  f"{', '.join(ENVIRONMENT)}; got {key or text[:20]!r}")
        values[key] = value.strip()
    return values


def _account(values: dict[str, str], source: str, name_of: Callable[[str], str]) -> SipAccount:
    missing = [name_of(key) for key in REQUIRED if not values.get(key)]
    if missing:
        raise SipAccountError(f"{source}: no SIP account: missing {', '.join(missing)}")
    for key, value in values.items():
        bad = sorted(set(value) & FORBIDDEN[key])
        if bad:
            shown = "" if key == "password" else f" in {value!r}"
            raise SipAccountError(f"{source}: {name_of(key)} must not contain {' '.join(map(repr, bad))}{shown}")
    registrar = values["registrar"].removeprefix("sip:")
    return SipAccount(values["user"], values["password"], registrar, values.get("display_name", ""))

