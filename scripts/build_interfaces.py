"""Build the project's ROS 2 interface package (interfaces/carebot_interfaces) into the running venv.

Run with the venv's python. Skips the build when the .msg/.action files, the build files and the ROS
and Python versions are unchanged since the last successful build (a stamp file in the venv records
their digest), so `make` stays fast on the second run.

The ROS wheels' exported CMake files name the wheel build machine's Python and numpy include folders
(/opt/python/cpXY-cpXY/...); they are rewritten to this venv's before cmake runs (see shared FACTS).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

PACKAGE = "carebot_interfaces"
SOURCE = Path(__file__).resolve().parent.parent / "interfaces" / PACKAGE
VENV = Path(sys.prefix)
STAMP = VENV / "share" / PACKAGE / ".carebot-build-stamp"
WHEEL_INCLUDE = re.compile(r"/opt/python/cp\d+-cp\d+/include/python\d+\.\d+")
WHEEL_NUMPY = re.compile(r"/opt/python/cp\d+-cp\d+/lib/python\d+\.\d+/site-packages/numpy/_core/include")


def source_digest() -> str:
    """Digest of everything that decides the build's output."""
    digest = hashlib.sha256()
    for path in sorted(SOURCE.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(SOURCE)).encode())
            digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    digest.update(importlib.metadata.version("rclpy").encode())
    return digest.hexdigest()


def is_up_to_date(digest: str) -> bool:
    built = VENV / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / PACKAGE
    return STAMP.is_file() and STAMP.read_text() == digest and built.is_dir()


def fix_wheel_cmake_paths() -> int:
    """Point the wheels' exported CMake files at this venv's Python and numpy headers."""
    import numpy

    python_include = sysconfig.get_paths()["include"]
    numpy_include = numpy.get_include()
    fixed = 0
    for cmake_file in (VENV / "share").rglob("*.cmake"):
        text = cmake_file.read_text()
        new = WHEEL_NUMPY.sub(numpy_include, text)
        new = WHEEL_INCLUDE.sub(python_include, new)
        if new != text:
            cmake_file.write_text(new)
            fixed += 1
    return fixed


def run_cmake(build_dir: Path) -> None:
    env = dict(os.environ, AMENT_PREFIX_PATH=str(VENV), CMAKE_PREFIX_PATH=str(VENV))
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    configure = [
        "cmake", "-S", str(SOURCE), "-B", str(build_dir),
        f"-DCMAKE_PREFIX_PATH={VENV}", f"-DCMAKE_INSTALL_PREFIX={VENV}",
        f"-DPython3_EXECUTABLE={sys.executable}", "-DBUILD_TESTING=OFF", "-DCMAKE_BUILD_TYPE=Release",
    ]
    jobs = str(max(1, os.cpu_count() or 1))
    for command in (configure, ["cmake", "--build", str(build_dir), "-j", jobs], ["cmake", "--install", str(build_dir)]):
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            raise SystemExit(f"building {PACKAGE} failed at: {' '.join(command[:3])}")


def main() -> None:
    if shutil.which("cmake") is None:
        raise SystemExit("cmake is not installed (scripts/setup.sh installs it with apt-get)")
    digest = source_digest()
    if is_up_to_date(digest):
        print(f"{PACKAGE}: up to date")
        return
    fixed = fix_wheel_cmake_paths()
    with tempfile.TemporaryDirectory(prefix=f"{PACKAGE}-build-") as build_dir:
        run_cmake(Path(build_dir))
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(digest)
    print(f"{PACKAGE}: built and installed into {VENV} ({fixed} wheel CMake files re-pointed)")


if __name__ == "__main__":
    main()
