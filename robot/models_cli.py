"""`carebot models list|install|remove`: the speech recognition models on this machine.

    carebot models list [--models-dir DIR]
    carebot models install PATH_OR_URL [--language LANG] [--sha256 HEX] [--models-dir DIR]
    carebot models remove NAME [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2


def add_models_parser(subparsers: Any) -> None:
    """Adds `models` and its actions to the `carebot` sub-command parsers."""
    models = subparsers.add_parser("models", help="list, install or remove speech recognition models")
    actions = models.add_subparsers(required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="installed and bundled models, with their engine and language")
    listing.set_defaults(command=_list)

    install = actions.add_parser("install", help="install a vosk model from a .zip/.tar.gz, a folder or a URL")
    install.add_argument("source", metavar="PATH_OR_URL")
    install.add_argument("--language", metavar="LANG",
                         help="ISO 639 code (default: from the name vosk-model[-small]-<language>-...)")
    install.add_argument("--sha256", metavar="HEX", help="refuse the archive unless its sha256 is this")
    install.set_defaults(command=_install)

    remove = actions.add_parser("remove", help="delete an installed model")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(command=_remove)

    for action in (listing, install, remove):
        action.add_argument("--models-dir", type=Path, metavar="DIR",
                            help="model folder (default: $CAREBOT_MODELS_DIR, else ~/.local/share/carebot/models)")


def _store(arguments: argparse.Namespace) -> Any:
    from robot.adapters.speech_models import ModelStore

    return ModelStore(arguments.models_dir)


def _list(arguments: argparse.Namespace) -> int:
    store = _store(arguments)
    try:
        models = store.list()
    except ValueError as error:
        return _fail("list", error)
    print(f"models folder: {store.root}")
    rows = [("NAME", "ENGINE", "LANGUAGE", "INSTALLED", "PATH")]
    rows += [(m.name, m.engine, m.language, "bundled" if m.bundled else m.installed_at, str(m.path)) for m in models]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def _install(arguments: argparse.Namespace) -> int:
    try:
        model = _store(arguments).install(arguments.source, language=arguments.language, sha256=arguments.sha256)
    except ValueError as error:
        return _fail("install", error)
    print(f"installed {model.name} ({model.engine}, language {model.language}) in {model.path}; sha256 {model.sha256}")
    return 0


def _remove(arguments: argparse.Namespace) -> int:
    try:
        model = _store(arguments).remove(arguments.name)
    except ValueError as error:
        return _fail("remove", error)
    print(f"removed {model.name} from {model.path}")
    return 0


def _fail(action: str, error: ValueError) -> int:
    print(f"carebot models {action}: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT
