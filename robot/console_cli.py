"""`carebot console` and `carebot users`: serve the staff console, manage its accounts.

    carebot console [--host 127.0.0.1] [--port 8080] [--db FILE] [--profiles-dir DIR] [--residents-dir DIR]
                    [--wellbeing-db FILE] [--facts-file FILE] [--ssl-certfile PEM --ssl-keyfile PEM]
                    [--secure-cookies]
    carebot users add NAME --role staff|researcher|admin [--db FILE]   (password from the terminal or stdin)
    carebot users list [--db FILE]

The first admin is made with `carebot users add NAME --role admin`. A password is never a command-line
argument (it would show in the process list and the shell history): it is asked for twice on a terminal,
or read as the first line of stdin (`printf '%s\\n' "$PW" | carebot users add ...`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from robot.console.settings import DEFAULT_CONSOLE_DB, DEFAULT_CONSOLE_PORT, utc_now
from robot.console.store import AccountError, ConsoleStore, Role

EXIT_BAD_INPUT = 2


def add_console_parsers(subparsers: Any) -> None:
    """`console` and `users` under the `carebot` command."""
    console = subparsers.add_parser("console", help="serve the staff console (web) with its link to the robot")
    console.add_argument("--host", default="127.0.0.1",
                         help="address to serve on (default: %(default)s, this machine only)")
    console.add_argument("--port", type=int, default=DEFAULT_CONSOLE_PORT, help="TCP port (default: %(default)s)")
    _add_db(console)
    for option, what in (("--profiles-dir", "profiles folder"), ("--residents-dir", "resident profiles folder"),
                         ("--wellbeing-db", "wellbeing database (default: the newest run's)"),
                         ("--facts-file", "person facts file (default: beside the wellbeing database)"),
                         ("--ssl-certfile", "TLS certificate (PEM): serve HTTPS"),
                         ("--ssl-keyfile", "TLS private key (PEM)")):
        console.add_argument(option, type=Path, metavar="PATH", help=what)
    console.add_argument("--secure-cookies", action="store_true",
                         help="mark cookies Secure (behind a TLS reverse proxy)")
    console.set_defaults(command=_console)

    users = subparsers.add_parser("users", help="console accounts: add one, list them")
    actions = users.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account (password from the terminal, or stdin's first line)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    _add_db(add)
    add.set_defaults(command=_users_add)
    listing = actions.add_parser("list", help="accounts with their roles")
    _add_db(listing)
    listing.set_defaults(command=_users_list)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_CONSOLE_DB, metavar="FILE",
                        help="the console database: accounts, sessions, change log (default: %(default)s)")


def ros_arguments(arguments: argparse.Namespace) -> list[str]:
    """The console node's parameters for these options."""
    values: dict[str, object] = {"host": arguments.host, "port": arguments.port, "console_db": arguments.db,
                                 "profiles_dir": arguments.profiles_dir, "residents_dir": arguments.residents_dir,
                                 "wellbeing_db": arguments.wellbeing_db, "facts_file": arguments.facts_file,
                                 "ssl_certfile": arguments.ssl_certfile, "ssl_keyfile": arguments.ssl_keyfile}
    parameters = [f"{name}:={value}" for name, value in values.items() if value is not None]
    if arguments.secure_cookies:
        parameters.append("secure_cookies:=true")
    return ["--ros-args", *[item for parameter in parameters for item in ("-p", parameter)]]


def _console(arguments: argparse.Namespace) -> int:
    from robot.nodes.console import main as run_console

    if (arguments.ssl_certfile is None) != (arguments.ssl_keyfile is None):
        print("carebot console: --ssl-certfile and --ssl-keyfile go together", file=sys.stderr)
        return EXIT_BAD_INPUT
    run_console(["carebot_console", *ros_arguments(arguments)])
    return 0


def read_password(stdin: TextIO | None = None) -> str:
    """The new password: asked twice on a terminal, else the first line of stdin (sys.stdin by default)."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("The same password again: ") != first:
        raise AccountError("password", "the two passwords are not the same")
    return first


def _users_add(arguments: argparse.Namespace) -> int:
    try:
        store = ConsoleStore(arguments.db)
    except OSError as error:
        print(f"carebot users add: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        user = store.add_user(arguments.name, Role(arguments.role), read_password(), utc_now())
        store.audit(utc_now(), f"{getpass.getuser()} (command line)", "added account", user.username, "role", "",
                    user.role.value)
    except AccountError as error:
        print(f"carebot users add: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.close()
    print(f"added {user.role.value} account {user.username!r} to {arguments.db}")
    return 0


def _users_list(arguments: argparse.Namespace) -> int:
    if not arguments.db.is_file():
        print(f"carebot users list: {arguments.db}: no console database (add an account first)", file=sys.stderr)
        return EXIT_BAD_INPUT
    store = ConsoleStore(arguments.db)
    try:
        for user in store.users():
            print(f"{user.username:<24} {user.role.value:<10} {'disabled' if user.disabled else 'active':<8} "
                  f"since {user.created_at[:10]}")
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The two commands alone (`python -m robot.console_cli ...`), as `carebot` runs them."""
    parser = argparse.ArgumentParser(prog="carebot")
    add_console_parsers(parser.add_subparsers(required=True, metavar="COMMAND"))
    arguments = parser.parse_args(argv)
    return int(arguments.command(arguments) or 0)


if __name__ == "__main__":
    sys.exit(main())
