"""Okapi BM25 over a sparse document-term matrix (scipy), scored for all documents at once.

>>> index = BM25Index.build([["maize", "field"], ["sea", "ice"], ["ice", "chart", "ice"]])
>>> scores = index.score(["ice"])
>>> bool(scores[2] > scores[1] > 0 == scores[0])
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["BM25Index"]


class BM25Index:
    """BM25 weights (``k1``, ``b``) precomputed per (document, term); a query sums its terms' columns."""

    def __init__(self, weights: sp.csc_matrix, vocabulary: dict[str, int]) -> None:
        self.weights = weights
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index tokenised documents."""
        vocabulary: dict[str, int] = {}
        indptr = [0]
        indices: list[int] = []
        for tokens in documents:  # tokenised text: building the CSR arrays is a pass over tokens
            for token in tokens:
                indices.append(vocabulary.setdefault(token, len(vocabulary)))
            indptr.append(len(indices))
        n_docs = len(documents)
        counts = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(n_docs, max(len(vocabulary), 1)),
        )
        counts.sum_duplicates()
        lengths = np.diff(np.asarray(indptr)).astype(np.float32)
        avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        tf = counts.data
        row_len = np.repeat(lengths, np.diff(counts.indptr))
        counts.data = (tf * (k1 + 1) / (tf + k1 * (1 - b + b * row_len / avg)) * idf[counts.indices]).astype(np.float32)
        return cls(counts.tocsc(), vocabulary)

    def score(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (unknown tokens add nothing)."""
        columns = [self.vocabulary[t] for t in dict.fromkeys(tokens) if t in self.vocabulary]
        if not columns:
            return np.zeros(self.weights.shape[0], dtype=np.float32)
        return np.asarray(self.weights[:, columns].sum(axis=1)).ravel()

    def coverage(self, tokens: Sequence[str]) -> np.ndarray:
        """How many of the distinct ``tokens`` each document contains."""
        columns = [self.vocabulary[t] for t in dict.fromkeys(tokens) if t in self.vocabulary]
        if not columns:
            return np.zeros(self.weights.shape[0], dtype=np.int64)
        return np.asarray((self.weights[:, columns] != 0).sum(axis=1)).ravel().astype(np.int64)

    def matched_terms(self, row: int, tokens: Sequence[str]) -> list[str]:
        """Which of ``tokens`` occur in document ``row``."""
        out = []
        for token in dict.fromkeys(tokens):
            column = self.vocabulary.get(token)
            if column is not None and self.weights[row, column] != 0:
                out.append(token)
        return out
