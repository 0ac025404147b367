"""Small state files replaced whole: written to a temporary name, flushed to disk and renamed over the
old one, so after a crash the file holds either the old content or the new, never half of each."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    with staging.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(staging, path)


def read_json(path: Path, what: str) -> Any:
    """The file's content, or None if it does not exist yet; `what` names it in the error."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read {what}: {error}") from error
