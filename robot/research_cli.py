"""Research data commands: exports, the report, the site secret, consent withdrawal and retention.

    carebot export --out DIR [--db PATH] [--from DATE] [--to DATE] [--arm ARM] [--study FILE]
    carebot report --out FILE.html [--db PATH] [--from DATE] [--to DATE] [--arm ARM] [--study FILE]
    carebot research secret create [--path FILE]
    carebot research withdraw --resident ID --by NAME [--note TEXT] [--db PATH]
    carebot research retention --keep-days N --by NAME [--today DATE] [--db PATH]

Without --db the database of the newest `carebot sim` run is used (runs/<scenario>-<stamp>/wellbeing.db).
Without --study, a study.yaml beside the database is used if there is one (format: robot/core/study.py);
with no study every consenting resident is in arm `all`. Pseudonyms need the site secret
(robot/adapters/site_secret.py). Exit status 2 on bad input, with the reason on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from robot.paths import RUNS_DIR

EXIT_BAD_INPUT = 2
STUDY_FILE = "study.yaml"


class ResearchInputError(ValueError):
    """What was asked cannot be done (no database, no secret, bad study); the message says why."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 0, got {text!r}")
    return int(text)


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help="a wellbeing database (default: that of the newest `carebot sim` run)")
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR, metavar="DIR",
                        help="where `carebot sim` keeps its run folders (for the default --db)")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    _add_database(parser)
    parser.add_argument("--from", dest="first", type=_date, metavar="DATE", help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", type=_date, metavar="DATE", help="last UTC day, YYYY-MM-DD")
    parser.add_argument("--arm", metavar="ARM", help="only residents in this study arm")
    parser.add_argument("--study", type=Path, metavar="FILE",
                        help=f"study file assigning residents to arms (default: {STUDY_FILE} beside the database)")


def add_research_parsers(commands: Any) -> None:
    """`export`, `report` and `research` under the `carebot` command."""
    export = commands.add_parser("export", help="research tables (CSV + Parquet + data dictionary), pseudonymised")
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write the tables into")
    _add_filters(export)
    export.set_defaults(command=_export)
    report = commands.add_parser("report", help="an HTML report with plots per arm and per resident (pseudonym)")
    report.add_argument("--out", required=True, type=Path, metavar="FILE.html")
    _add_filters(report)
    report.set_defaults(command=_report)

    research = commands.add_parser("research", help="site secret, consent withdrawal, retention")
    actions = research.add_subparsers(required=True, metavar="ACTION")
    secret = actions.add_parser("secret", help="the per-site secret behind pseudonyms")
    secret_actions = secret.add_subparsers(required=True, metavar="ACTION")
    create = secret_actions.add_parser("create", help="write a new random secret (mode 0600) outside the repository")
    create.add_argument("--path", type=Path, metavar="FILE",
                        help="where (default: $CAREBOT_SITE_SECRET_FILE or ~/.config/carebot/site_secret)")
    create.set_defaults(command=_secret_create)
    withdraw = actions.add_parser("withdraw", help="a resident withdraws consent: record it, erase their research data")
    withdraw.add_argument("--resident", required=True, metavar="ID", help="person id")
    withdraw.add_argument("--by", required=True, metavar="NAME", help="who records the withdrawal")
    withdraw.add_argument("--note", default="", metavar="TEXT")
    _add_database(withdraw)
    withdraw.set_defaults(command=_withdraw)
    retention = actions.add_parser("retention", help="delete raw conversation older than N days, keep aggregates")
    retention.add_argument("--keep-days", required=True, type=_non_negative_int, metavar="N",
                           help="keep the last N UTC days before --today")
    retention.add_argument("--by", required=True, metavar="NAME", help="who applies it")
    retention.add_argument("--today", type=_date, metavar="DATE", help="count from this UTC day (default: today)")
    _add_database(retention)
    retention.set_defaults(command=_retention)


def _database(arguments: argparse.Namespace) -> Path:
    from robot.meds_cli import MedsError, latest_run_database

    if arguments.db is not None:
        if not arguments.db.is_file():
            raise ResearchInputError(f"{arguments.db}: no wellbeing database here")
        return arguments.db
    try:
        return latest_run_database(arguments.runs_dir)
    except MedsError as error:
        raise ResearchInputError(str(error)) from None


def _tables(arguments: argparse.Namespace) -> Any:
    """The research tables the filters ask for (ResearchTables)."""
    from robot.adapters.research_tables import Filters, build_tables, load_study
    from robot.adapters.site_secret import SiteSecretError, secret_for
    from robot.core.study import StudyError, everyone

    database = _database(arguments)
    study_file = arguments.study or database.parent / STUDY_FILE
    try:
        filters = Filters(arguments.first, arguments.last, arguments.arm)
        study = load_study(study_file) if arguments.study or study_file.is_file() else everyone()
        if arguments.arm and not study.arms:
            raise ResearchInputError(f"--arm {arguments.arm}: no study file (give --study FILE or put "
                                     f"{STUDY_FILE} beside {database})")
        secret, source = secret_for(database)
        print(f"pseudonyms keyed with {source}", file=sys.stderr)
        return build_tables(database, secret, study, filters)
    except (SiteSecretError, StudyError) as error:
        raise ResearchInputError(str(error)) from None
    except ValueError as error:
        raise ResearchInputError(f"{database}: {error}") from None


def _run(name: str, action: Any, arguments: argparse.Namespace) -> int:
    try:
        print(action(arguments))
    except (ResearchInputError, OSError) as error:
        print(f"carebot {name}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _export(arguments: argparse.Namespace) -> int:
    def action(arguments: argparse.Namespace) -> str:
        from robot.adapters.research_export import export
        from robot.adapters.research_tables import manifest_json

        tables = _tables(arguments)
        files = export(tables, arguments.out)
        return f"wrote {len(files)} files to {arguments.out}\n{manifest_json(tables)}"
    return _run("export", action, arguments)


def _report(arguments: argparse.Namespace) -> int:
    def action(arguments: argparse.Namespace) -> str:
        from robot.adapters.research_report import render

        tables = _tables(arguments)
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(render(tables), encoding="utf-8")
        return f"wrote {arguments.out}"
    return _run("report", action, arguments)


def _secret_create(arguments: argparse.Namespace) -> int:
    def action(arguments: argparse.Namespace) -> str:
        from robot.adapters.site_secret import SiteSecretError, create_site_secret, secret_file

        try:
            path = create_site_secret(arguments.path or secret_file())
        except SiteSecretError as error:
            raise ResearchInputError(str(error)) from None
        return f"wrote a new site secret to {path} (mode 0600); keep a copy somewhere safe: without it " \
               "pseudonyms cannot be reproduced"
    return _run("research secret create", action, arguments)


def _withdraw(arguments: argparse.Namespace) -> int:
    def action(arguments: argparse.Namespace) -> str:
        erasure = _store_action(arguments, lambda store, now: store.withdraw(
            arguments.resident, now, arguments.by, arguments.note))
        return (f"{arguments.resident}: withdrawal recorded; research rows deleted: {_counts(erasure.rows)}. "
                "Care records (reminders, alerts, calls) stay for staff; exports leave them out. "
                "Set consent: none in their profile so the robot stops collecting.")
    return _run("research withdraw", action, arguments)


def _retention(arguments: argparse.Namespace) -> int:
    def action(arguments: argparse.Namespace) -> str:
        today = arguments.today or dt.datetime.now(dt.timezone.utc).date()
        keep_from = dt.datetime.combine(today - dt.timedelta(days=arguments.keep_days), dt.time(),
                                        tzinfo=dt.timezone.utc)
        erasure = _store_action(arguments, lambda store, now: store.apply_retention(keep_from, now, arguments.by))
        return f"raw conversation before {erasure.before} removed: {_counts(erasure.rows)}; daily aggregates kept"
    return _run("research retention", action, arguments)


def _store_action(arguments: argparse.Namespace, act: Any) -> Any:
    from robot.adapters.sqlite_store import SqliteWellbeingStore
    from robot.core.records import StoreError

    database = _database(arguments)
    store = SqliteWellbeingStore(database)
    try:
        return act(store, dt.datetime.now(dt.timezone.utc))
    except (StoreError, ValueError) as error:
        raise ResearchInputError(str(error)) from None
    finally:
        store.close()


def _counts(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {count}" for table, count in rows.items() if count) or "nothing"
