"""Temporary folders that last as long as the test process, and are removed when it exits."""

from __future__ import annotations

import atexit
import shutil
import tempfile


def process_scratch_dir(prefix: str) -> str:
    """A new folder under the system temporary directory, deleted (with its contents) at process exit."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
