"""Writing staff-edited YAML files back: ruamel.yaml's round trip (comments, order and quotes kept) and an
atomic replace, so a reader (the running robot's profile watcher) only ever sees the old or the new file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ruamel.yaml import YAML


def round_trip_yaml() -> YAML:
    """ruamel.yaml set up for the profiles' style: quotes kept, long lines kept, lists indented by 2."""
    loader = YAML()
    loader.preserve_quotes = True
    loader.width = 4096
    loader.indent(mapping=2, sequence=4, offset=2)
    return loader


def replace_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename over the old file, fsync the folder."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():   # keep the file's permissions (a new file gets the default 0600 of mkstemp)
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
