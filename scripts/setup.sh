#!/usr/bin/env bash
# Sets up everything carebot needs, from the project's own files: system packages (when missing),
# a Python 3.11 venv, pinned ROS 2 Kilted wheels, the project, and its interface package.
# Idempotent: `make` only calls it when an input changed; each step also skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
LOG=${VENV}.setup.log
say() { printf '[setup] %s\n' "$*"; }

# System packages: espeak-ng (speech synthesis), PortAudio (microphone, loudspeaker), cmake and g++
# (interface build), baresip (the robot's SIP user agent) and kamailio (the loopback SIP server of the
# telephony tests; a care home uses its own SIP server or provider), chromium (browser tests of the console).
missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q libportaudio.so.2 || missing+=(libportaudio2)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v baresip >/dev/null || missing+=(baresip-core)
command -v kamailio >/dev/null || [ -x /usr/sbin/kamailio ] || missing+=(kamailio)
command -v chromium >/dev/null || missing+=(chromium)   # the staff console's browser tests
# The simulated Korean residents' voice (simulation/mbrola_voice.py): MBROLA and its Korean diphones, in
# Debian's contrib and non-free sections (non-commercial licence; used by the simulation and tests only).
nonfree=()
command -v mbrola >/dev/null || nonfree+=(mbrola)
[ -f /usr/share/mbrola/hn1/hn1 ] || nonfree+=(mbrola-hn1)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#nonfree[@]} -gt 0 ]; then
  . /etc/os-release
  sources=/etc/apt/sources.list.d/carebot-contrib-non-free.sources
  if [ "${ID:-}" = debian ] && [ ! -f "$sources" ]; then
    say "enabling Debian ${VERSION_CODENAME} contrib and non-free for: ${nonfree[*]}"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: contrib non-free\nSigned-By: %s\n' \
      "$VERSION_CODENAME" /usr/share/keyrings/debian-archive-keyring.gpg | $SUDO tee "$sources" >/dev/null
  fi
  missing+=("${nonfree[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python 3.11: the only CPU PyTorch build here is for 3.11 (any other spec pulls GBs of CUDA packages).
if [ ! -x "$VENV/bin/python" ]; then
  PYTHON=${PYTHON:-}
  if [ -z "$PYTHON" ]; then
    for candidate in python3.11; do
      if command -v "$candidate" >/dev/null; then PYTHON=$candidate; break; fi
    done
  fi
  [ -n "$PYTHON" ] || { echo "carebot needs Python 3.11 (python3.11 not found)" >&2; exit 1; }
  say "creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi

say "installing pinned Python packages (log: $LOG)"
pip_install() {
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -c constraints.txt "$@" >>"$LOG" 2>&1 \
    || { tail -30 "$LOG" >&2; echo "pip install failed; full log in $LOG" >&2; exit 1; }
}
: >"$LOG"
pip_install -r requirements/ros-kilted.txt
pip_install -e ".[test]"

say "building the ROS 2 interface package"
"$VENV/bin/python" scripts/build_interfaces.py
say "done: $("$VENV/bin/python" --version), $(du -sh "$VENV" | cut -f1) in $VENV"
