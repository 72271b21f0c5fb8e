"""The search service over a store: builds the index, keeps it in step with the store, persists it.

:class:`Searcher` checks the store's *state* before every search — the list of
product graphs with their types, and the size of the spatial index (every load
of new geometries grows it) — and rebuilds the catalogue when it changed, so a
product ingested or dropped is searchable or gone at the next query. When the
store exposes a ``generation`` counter (bumped on every load, drop and update)
that is used instead; it also catches re-ingests that change attributes only.

The index is persisted under ``DATA_DIR/search/``: ``records.parquet`` (the
catalogue), ``embeddings.npy`` + ``embedding_texts.json`` (so a rebuild embeds
only new texts) and ``state.json`` (the store state it reflects).

>>> from eolink.stores import open_store
>>> searcher = Searcher(open_store(None), None, dense=False)
>>> searcher.search("maize").total
0
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from eolink.ontology import EOL, GEO, GEOF, RDFS
from eolink.search.index import SearchIndex, SearchResults
from eolink.search.parse import Vocabulary
from eolink.search.places import Gazetteer
from eolink.search.records import CatalogueRecord, build_records
from eolink.search.store_io import load_records, save_records
from eolink.stores.base import Store

__all__ = ["Searcher", "store_state", "SPATIAL_BACKENDS"]

#: How place filters are evaluated: ``memory`` (STRtree of the footprints), ``store`` (SPARQL geof:sfIntersects
#: through the store's spatial index and planner).
SPATIAL_BACKENDS = ("memory", "store")
_FORMAT_VERSION = 1


def store_state(store: Store) -> str:
    """A fingerprint of what the catalogue depends on (cheap: no full scan of the store)."""
    generation = getattr(store, "generation", None)
    if generation is not None:
        return f"generation:{generation}"
    from eolink.search.records import PRODUCT_TYPES_BY_CLASS

    classes = " ".join(f"<{c}>" for c in PRODUCT_TYPES_BY_CLASS)
    rows = store.query(f"SELECT ?g ?c WHERE {{ VALUES ?c {{ {classes} }} GRAPH ?g {{ ?g a ?c }} }}").rows
    graphs = sorted(f"{g.value} {c.value}" for g, c in rows)
    index = getattr(store, "index", None)
    size = len(index) if index is not None else -1
    return json.dumps([graphs, size])


class Searcher:
    """Search over ``store``; the index lives in ``directory`` (``None``: memory only).

    Parameters
    ----------
    store
        The store to search.
    directory
        Where the index is persisted (``DATA_DIR/search``).
    dense
        Use embeddings (``None``: when the model is installed).
    spatial
        One of :data:`SPATIAL_BACKENDS`.
    """

    def __init__(self, store: Store, directory: Path | None, *, dense: bool | None = None, spatial: str = "memory") -> None:
        from eolink.errors import InputError

        if spatial not in SPATIAL_BACKENDS:
            raise InputError(f"unknown spatial backend {spatial!r}; use one of {', '.join(SPATIAL_BACKENDS)}")
        self.store = store
        self.directory = directory
        self.dense = dense
        self.spatial = spatial
        self._index: SearchIndex | None = None
        self._state: str | None = None
        self._lock = threading.Lock()

    # -- index life cycle -------------------------------------------------------------------

    def index(self) -> SearchIndex:
        """The index, rebuilt first if the store changed since it was built."""
        state = store_state(self.store)
        with self._lock:
            if self._index is None or state != self._state:
                self._index = self._load(state) or self._build(state)
                self._state = state
            return self._index

    def _make(self, records: list[CatalogueRecord], embeddings: tuple[list[str], np.ndarray] | None) -> SearchIndex:
        return SearchIndex(
            records,
            vocabulary=Vocabulary.from_store(self.store),
            gazetteer=self._gazetteer(),
            dense=self.dense,
            embeddings=embeddings,
            concept_geometry=self._concept_geometry,
            spatial_filter=self._store_spatial_filter if self.spatial == "store" else None,
        )

    def _build(self, state: str) -> SearchIndex:
        index = self._make(build_records(self.store), self._saved_embeddings())
        if self.directory is not None:
            self._save(index, state)
        return index

    def _saved_embeddings(self) -> tuple[list[str], np.ndarray] | None:
        if self.directory is None:
            return None
        texts_path, matrix_path = self.directory / "embedding_texts.json", self.directory / "embeddings.npy"
        if not (texts_path.exists() and matrix_path.exists()):
            return None
        try:
            texts = json.loads(texts_path.read_text(encoding="utf-8"))
            matrix = np.load(matrix_path)
        except (OSError, ValueError):
            return None
        return (texts, matrix) if len(texts) == len(matrix) else None

    def _load(self, state: str) -> SearchIndex | None:
        if self.directory is None:
            return None
        try:
            saved = json.loads((self.directory / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if saved.get("state") != state or saved.get("version") != _FORMAT_VERSION:
            return None
        try:
            records = load_records(self.directory / "records.parquet")
        except (OSError, ValueError, KeyError):
            return None
        return self._make(records, self._saved_embeddings())

    def _save(self, index: SearchIndex, state: str) -> None:
        directory = self.directory
        assert directory is not None
        directory.mkdir(parents=True, exist_ok=True)
        save_records(index.records, directory / "records.parquet")
        if index.has_dense:
            np.save(directory / "embeddings.npy.tmp.npy", index.dense_matrix)
            os.replace(directory / "embeddings.npy.tmp.npy", directory / "embeddings.npy")
            (directory / "embedding_texts.json").write_text(json.dumps(index.dense_texts), encoding="utf-8")
        tmp = directory / "state.json.tmp"
        tmp.write_text(json.dumps({"version": _FORMAT_VERSION, "state": state, "records": len(index.records)}), encoding="utf-8")
        os.replace(tmp, directory / "state.json")

    # -- store look-ups ---------------------------------------------------------------------

    def _gazetteer(self) -> Gazetteer:
        from eolink.search.records import footprints_crs84

        gaz = Gazetteer.builtin()
        rows = self.store.query(
            f"SELECT ?name ?wkt WHERE {{ ?f <{RDFS}label> ?name ; <{GEO}hasGeometry>/<{GEO}asWKT> ?wkt }}"
        ).rows
        if rows:
            geoms = footprints_crs84([wkt.value for _, wkt in rows])
            grouped: dict[str, list[Any]] = {}
            for (name, _), geom in zip(rows, geoms):
                grouped.setdefault(name.value, []).append(geom)
            gaz.add_store_names({name: shapely.union_all(parts) for name, parts in grouped.items()})
        return gaz

    def _concept_geometry(self, concept: str) -> Any:
        from eolink.search.records import CONTENT_PROPERTIES, footprints_crs84

        props = " ".join(f"<{p}>" for p in CONTENT_PROPERTIES)
        rows = self.store.query(
            f"SELECT ?wkt WHERE {{ VALUES ?p {{ {props} }} ?f ?p <{concept}> ; <{GEO}hasGeometry>/<{GEO}asWKT> ?wkt }}"
        ).rows
        geoms = footprints_crs84([r[0].value for r in rows])
        return shapely.union_all(geoms) if len(geoms) else None

    def _store_spatial_filter(self, geometry: Any, candidates: np.ndarray) -> np.ndarray:
        """Footprint ∩ place through SPARQL geof:sfIntersects (the planner answers it from the spatial index).

        Scenes are tested on their footprint literal; products (whose footprint is the hull of their
        features, not a literal in the store) on the in-memory hull.
        """
        index = self._index
        assert index is not None
        n = len(index.records)
        mask = np.zeros(n, dtype=bool)
        wkt = shapely.to_wkt(geometry, rounding_precision=-1)
        rows = self.store.query(
            f"""SELECT ?s WHERE {{ ?s a <{EOL}Scene> ; <{GEO}hasGeometry>/<{GEO}asWKT> ?wkt
            FILTER(<{GEOF}sfIntersects>(?wkt, "{wkt}"^^<{GEO}wktLiteral>)) }}"""
        ).rows
        for (s,) in rows:  # matching scenes only
            i = index.iri_index.get(s.value)
            if i is not None:
                mask[i] = True
        products = np.flatnonzero(np.array([r.kind == "product" and r.footprint is not None for r in index.records], dtype=bool))
        if len(products):
            mask[products] = shapely.intersects(index.footprints[products], geometry)
        return mask

    # -- searching --------------------------------------------------------------------------

    def search(self, query: str, **kwargs: Any) -> SearchResults:
        """:meth:`SearchIndex.search` on the up-to-date index."""
        return self.index().search(query, **kwargs)

    def records(self) -> list[CatalogueRecord]:
        """The current catalogue."""
        return self.index().records


