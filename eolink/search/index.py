"""The search index: catalogue records as columns, a BM25 index, embeddings, a footprint tree — and the ranker.

:meth:`SearchIndex.search` evaluates a :class:`~eolink.search.parse.ParsedQuery`
over all records at once (numpy masks; shapely STRtree for places):

1. **structured filters** (all must hold): kind / product type, platform,
   mission, level, tile, orbit, cloud cover, time (interval overlap, or month of
   any year), place (footprint intersects the place), concepts (the product's
   features carry the concept, optionally with an area bound; or — when the
   query asks for another kind of record, as in *change masks touching maize
   fields* — the footprint intersects the features that carry it), lineage
   (scenes a product was derived from);
2. **ranking** of what passes: ``0.5 · BM25/max + 0.5 · cosine`` (the dense half
   only when the embedding model is available) plus small bonuses for how well
   the structured parts are met (share of the place covered, concept area, low
   cloud);
3. **explanations**: every hit lists the constraints it satisfied and how.

A query without any structured constraint returns records the keywords hit or
whose embedding is close (cosine ≥ :data:`DENSE_MIN`); nonsense returns nothing.
``mode="bm25"`` is the plain keyword baseline (no parsing, no filters).

>>> from eolink.search.records import CatalogueRecord
>>> import shapely
>>> recs = [CatalogueRecord("http://x/a", "a", "scene", "scene", platform="Sentinel-2", cloud_cover=5.0,
...                         footprint=shapely.box(24, 60, 25, 61))]
>>> index = SearchIndex(recs, dense=False)
>>> [h.record.identifier for h in index.search("Sentinel-2 scenes over Helsinki").hits]
['a']
>>> index.search("Sentinel-1 scenes").hits
[]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

import numpy as np
import pandas as pd
import shapely

from eolink.errors import InputError
from eolink.search.bm25 import BM25Index
from eolink.search.describe import dense_text, lexical_text
from eolink.search.parse import PRODUCT_TYPE_LABELS, ConceptMatch, ParsedQuery, Vocabulary, parse_query
from eolink.search.places import Gazetteer
from eolink.search.records import CatalogueRecord
from eolink.search.text import tokenize

__all__ = ["SearchIndex", "SearchHit", "SearchResults", "DENSE_MIN", "MODES", "MAX_LIMIT"]

#: Smallest cosine similarity that makes a record a hit for a query with no structured constraint.
DENSE_MIN = 0.35
#: Retrieval modes: hybrid (default), bm25 (keyword baseline), structured+bm25 (no embeddings), dense only.
MODES = ("hybrid", "bm25", "lexical", "dense")
#: Largest ``limit`` accepted.
MAX_LIMIT = 1000

# Words that remain after parsing but carry no content worth an embedding ("tile", "acquired", "near", …).
_FILLER = frozenset(
    "tile tiles orbit orbits relative absolute acquired acquisition taken captured recorded near around nearby covering "
    "cover touching intersecting overlapping inside within located data imagery satellite products product show find "
    "list recent latest available about also only just please need want looking".split()
)

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal,
}


@dataclass
class SearchHit:
    """One result: the record, its score, and which parts of the query it satisfied."""

    record: CatalogueRecord
    score: float
    matched: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"score": round(self.score, 4), **self.record.as_dict(), "matched": self.matched}


@dataclass
class SearchResults:
    """The answer to one query."""

    query: str
    parsed: ParsedQuery | None
    hits: list[SearchHit]
    total: int
    took_ms: float
    mode: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "query": self.query, "mode": self.mode, "total": self.total, "took_ms": round(self.took_ms, 2),
            "understood": self.parsed.describe() if self.parsed else {}, "notes": self.notes,
            "results": [h.as_dict() for h in self.hits],
        }


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, dict[Any, int]]:
    codes, uniques = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=True)
    return codes.astype(np.int32), {v: i for i, v in enumerate(uniques)}


def _seconds(values: Sequence[datetime | None]) -> np.ndarray:
    return np.array([v.timestamp() if v is not None else np.nan for v in values], dtype=np.float64)


class SearchIndex:
    """Columns, lexical and dense indexes over catalogue records (see the module docstring).

    Parameters
    ----------
    records
        The catalogue (:func:`~eolink.search.records.build_records`).
    vocabulary
        Concept labels for query understanding.
    gazetteer
        Place names (default: the built-in gazetteer).
    dense
        Use the embedding model (``None``: when installed).
    embeddings
        Precomputed ``(texts, matrix)`` of dense texts (from a persisted index); missing texts are embedded.
    concept_geometry
        Callable giving the CRS84 geometry of the features carrying a concept (for concept-as-place queries).
    spatial_filter
        Optional callable ``(place geometry, record indices) -> bool mask`` replacing the in-memory footprint test
        (the store-backed filter of :class:`~eolink.search.service.Searcher`).
    """

    def __init__(
        self,
        records: Sequence[CatalogueRecord],
        *,
        vocabulary: Vocabulary | None = None,
        gazetteer: Gazetteer | None = None,
        dense: bool | None = None,
        embeddings: tuple[list[str], np.ndarray] | None = None,
        concept_geometry: Callable[[str], Any] | None = None,
        spatial_filter: Callable[[Any, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.records = list(records)
        self.vocabulary = vocabulary or Vocabulary()
        self.gazetteer = gazetteer or Gazetteer.builtin()
        self.concept_geometry = concept_geometry
        self.spatial_filter = spatial_filter
        self._concept_geometry_cache: dict[str, Any] = {}
        n = len(self.records)
        rec = self.records
        self.kind, self._kind = _codes([r.kind for r in rec])
        self.ptype, self._ptype = _codes([r.product_type for r in rec])
        self.platform, self._platform = _codes([r.platform for r in rec])
        self.mission, self._mission = _codes([r.mission for r in rec])
        self.level, self._level = _codes([r.processing_level for r in rec])
        self.scene_type, self._scene_type = _codes([r.scene_type for r in rec])
        self.instrument, self._instrument = _codes([r.instrument for r in rec])
        self.tile, self._tile = _codes([r.mgrs_tile for r in rec])
        self.rel_orbit = np.array([r.relative_orbit if r.relative_orbit is not None else -1 for r in rec], dtype=np.int64)
        self.abs_orbit = np.array([r.absolute_orbit if r.absolute_orbit is not None else -1 for r in rec], dtype=np.int64)
        self.cloud = np.array([r.cloud_cover if r.cloud_cover is not None else np.nan for r in rec], dtype=np.float64)
        self.start = _seconds([r.start for r in rec])
        self.end = _seconds([r.end if r.end is not None else r.start for r in rec])
        start_m = pd.to_datetime(self.start, unit="s", utc=True)
        end_m = pd.to_datetime(self.end, unit="s", utc=True)
        self.month_start = np.where(np.isnan(self.start), -1, start_m.year * 12 + start_m.month - 1).astype(np.int64)
        self.month_end = np.where(np.isnan(self.end), -1, end_m.year * 12 + end_m.month - 1).astype(np.int64)
        self.footprints = np.array([r.footprint for r in rec] if n else [], dtype=object)
        # scenes of one tile share their footprint: the tree holds each distinct footprint once
        wkb = np.array([None if g is None else shapely.to_wkb(g) for g in self.footprints], dtype=object)
        has = np.array([g is not None for g in self.footprints], dtype=bool)
        codes, uniques = pd.factorize(pd.Series(wkb[has], dtype=object))
        self._footprint_code = np.full(n, -1, dtype=np.int64)
        self._footprint_code[has] = codes
        first = np.full(len(uniques), -1, dtype=np.int64)
        first[codes[::-1]] = np.flatnonzero(has)[::-1]  # one record per distinct footprint
        self._unique_footprints = self.footprints[first] if len(first) else np.empty(0, dtype=object)
        self.tree = shapely.STRtree(self._unique_footprints) if len(first) else None
        self.iri_index = {r.iri: i for i, r in enumerate(rec)}
        # concepts: concept -> (record indices, areas)
        concept_rows: dict[str, list[tuple[int, float]]] = {}
        for i, r in enumerate(rec):  # products carry contents; scenes none: a short loop
            for c in r.contents:
                concept_rows.setdefault(c.concept, []).append((i, c.area_ha if c.area_ha is not None else np.nan))
        self.concepts = {c: (np.array([i for i, _ in v]), np.array([a for _, a in v])) for c, v in concept_rows.items()}
        self.derived = {i: {self.iri_index[s] for s in r.derived_from if s in self.iri_index} for i, r in enumerate(rec) if r.derived_from}
        alt: dict[str, list[str]] = {}
        for label, entries in self.vocabulary.labels.items():
            for concept, _, _ in entries:
                alt.setdefault(concept, []).append(label)
        self.bm25 = BM25Index.build([tokenize(lexical_text(r, alt)) for r in rec])
        self.embedder = None
        self.dense_matrix = np.zeros((0, 384), dtype=np.float32)
        self.dense_row = np.zeros(n, dtype=np.int64)
        self.dense_texts: list[str] = []
        if dense is None:
            from eolink.models.text_embedding import embedding_available

            dense = embedding_available()
        if dense and n:
            self._build_dense(embeddings)

    # -- dense -----------------------------------------------------------------------------

    def _build_dense(self, embeddings: tuple[list[str], np.ndarray] | None) -> None:
        from eolink.models.text_embedding import get_embedder

        self.embedder = get_embedder()
        texts = [dense_text(r) for r in self.records]
        codes, uniques = pd.factorize(pd.Series(texts, dtype=object))
        self.dense_texts = list(uniques)
        self.dense_row = codes.astype(np.int64)
        known = dict(zip(embeddings[0], embeddings[1])) if embeddings else {}
        missing = [t for t in self.dense_texts if t not in known]
        if missing:
            known.update(zip(missing, self.embedder.encode(missing)))
        self.dense_matrix = np.stack([known[t] for t in self.dense_texts]).astype(np.float32)

    @property
    def has_dense(self) -> bool:
        """Whether embeddings are available for ranking."""
        return self.embedder is not None

    # -- filters ---------------------------------------------------------------------------

    def _in(self, codes: np.ndarray, table: dict[Any, int], values: Sequence[Any]) -> np.ndarray:
        wanted = [table[v] for v in values if v in table]
        return np.isin(codes, wanted) if wanted else np.zeros(len(codes), dtype=bool)

    def _time_mask(self, constraint: Any) -> np.ndarray:
        if constraint.months:
            span = self.month_end - self.month_start
            ok = np.zeros(len(self.records), dtype=bool)
            for month in constraint.months:
                ok |= (span >= 11) | (((month - 1) - self.month_start % 12) % 12 <= span)
            return ok & (self.month_start >= 0)
        lo = constraint.start.timestamp() if constraint.start else -np.inf
        hi = constraint.end.timestamp() if constraint.end else np.inf
        with np.errstate(invalid="ignore"):
            return (self.start < hi) & (self.end >= lo)

    def place_mask(self, geometry: Any, candidates: np.ndarray | None = None) -> np.ndarray:
        """Records whose footprint intersects ``geometry`` (CRS84)."""
        n = len(self.records)
        if self.spatial_filter is not None:
            return self.spatial_filter(geometry, np.arange(n) if candidates is None else candidates)
        if self.tree is None:
            return np.zeros(n, dtype=bool)
        hit = np.zeros(len(self._unique_footprints) + 1, dtype=bool)  # last slot: records without a footprint
        hit[self.tree.query(geometry, predicate="intersects")] = True
        return hit[self._footprint_code]

    def _concept_geometry(self, concepts: tuple[str, ...]) -> Any:
        key = "|".join(concepts)
        if key not in self._concept_geometry_cache:
            geoms = [self.concept_geometry(c) for c in concepts] if self.concept_geometry else []
            geoms = [g for g in geoms if g is not None]
            self._concept_geometry_cache[key] = shapely.union_all(geoms) if geoms else None
        return self._concept_geometry_cache[key]

    def _concept_mask(self, match: ConceptMatch, requested: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """(mask, area in ha per record) for one concept phrase."""
        n = len(self.records)
        contains = np.zeros(n, dtype=bool)
        area = np.zeros(n)
        for concept in match.concepts:
            rows, areas = self.concepts.get(concept, (np.empty(0, int), np.empty(0)))
            contains[rows] = True
            area[rows] += np.nan_to_num(areas)
        if match.area is not None:
            contains &= _OPS[match.area[0]](area, match.area[1])
        natural = match.product_types
        if requested and not requested <= natural:
            geometry = self._concept_geometry(match.concepts)
            spatial = self.place_mask(geometry) if geometry is not None else np.zeros(n, dtype=bool)
            in_natural = self._in(self.ptype, self._ptype, list(natural))
            return np.where(in_natural, contains, spatial), area
        return contains, area

    # -- search ----------------------------------------------------------------------------

    def parse(self, text: str) -> ParsedQuery:
        """Parse ``text`` with this index's vocabulary and gazetteer."""
        return parse_query(text, self.vocabulary, self.gazetteer)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        mode: str = "hybrid",
        bbox: tuple[float, float, float, float] | None = None,
    ) -> SearchResults:
        """Search the catalogue.

        Parameters
        ----------
        query
            Free text (≤ 1000 characters).
        limit
            Number of hits returned (1–1000).
        mode
            One of :data:`MODES`.
        bbox
            Extra spatial filter ``(minlon, minlat, maxlon, maxlat)``.

        Returns
        -------
        SearchResults

        Raises
        ------
        InputError
            Bad limit, mode or bbox, or a query that is too long.
        """
        began = time.perf_counter()
        if mode not in MODES:
            raise InputError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}")
        if bbox is not None:
            if len(bbox) != 4 or not all(np.isfinite(bbox)) or bbox[0] > bbox[2] or bbox[1] > bbox[3]:
                raise InputError("bbox must be minlon,minlat,maxlon,maxlat with min ≤ max")
        parsed = self.parse(query)
        n = len(self.records)
        notes: list[str] = []
        tokens = tokenize(query)
        if n == 0 or (not tokens and not parsed.structured and bbox is None):
            return SearchResults(query, parsed, [], 0, (time.perf_counter() - began) * 1000, mode, notes)
        if mode == "bm25":
            lexical = self.bm25.score(tokens)
            order = np.flatnonzero(lexical > 0)
            order = order[np.lexsort((order, -lexical[order]))][:limit]
            hits = [SearchHit(self.records[i], float(lexical[i]), [{"part": "keywords", "terms": self.bm25.matched_terms(i, tokens)}]) for i in order]
            return SearchResults(query, None, hits, int((lexical > 0).sum()), (time.perf_counter() - began) * 1000, mode, notes)

        # keywords: what the parser did not turn into a filter (places, dates, types are filters), plus concept phrases
        tokens = tokenize(" ".join([parsed.residual, *(c.phrase for c in parsed.concepts)]))
        lexical = self.bm25.score(tokens)
        mask = np.ones(n, dtype=bool)
        bonus = np.zeros(n)
        parts: list[tuple[str, np.ndarray | None, Callable[[int], str] | None]] = []

        def require(label: str, ok: np.ndarray, detail: Callable[[int], str] | None = None) -> None:
            nonlocal mask
            mask &= ok
            parts.append((label, ok, detail))

        kinds = set(parsed.kinds)
        types = set(parsed.product_types)
        scene_mask = np.ones(n, dtype=bool) if parsed.from_scenes else None
        scene_parts: list[str] = []

        def require_scene(label: str, ok: np.ndarray, detail: Callable[[int], str] | None = None) -> None:
            # with "products derived from <scenes>", scene attributes constrain the source scenes
            if scene_mask is not None:
                scene_mask[:] &= ok
                scene_parts.append(label)
            else:
                require(label, ok, detail)

        if parsed.lineage_of:
            sources = np.zeros(n, dtype=bool)
            for t in parsed.lineage_of:
                for i in np.flatnonzero(self._in(self.ptype, self._ptype, [t])):
                    sources[list(self.derived.get(int(i), ()))] = True
            require("source scenes of " + " / ".join(PRODUCT_TYPE_LABELS[t] for t in parsed.lineage_of), sources)
        if kinds or types:
            ok = np.zeros(n, dtype=bool)
            if "scene" in kinds:
                ok |= self._in(self.kind, self._kind, ["scene"])
            if types:
                ok |= self._in(self.ptype, self._ptype, list(types))
            require("type: " + " or ".join(sorted(PRODUCT_TYPE_LABELS.get(t, t) for t in (types | ({"scene"} & kinds)))), ok)
        for label, codes, table, values in (
            ("platform", self.platform, self._platform, parsed.platforms),
            ("mission", self.mission, self._mission, parsed.missions),
            ("processing level", self.level, self._level, parsed.levels),
            ("product type", self.scene_type, self._scene_type, parsed.scene_types),
            ("instrument mode", self.instrument, self._instrument, parsed.instruments),
            ("tile", self.tile, self._tile, parsed.tiles),
        ):
            if values:
                require_scene(f"{label}: {' or '.join(values)}", self._in(codes, table, values))
        if parsed.orbits:
            require_scene(f"relative orbit {' or '.join(map(str, parsed.orbits))}", np.isin(self.rel_orbit, parsed.orbits))
        if parsed.absolute_orbits:
            require_scene(f"absolute orbit {' or '.join(map(str, parsed.absolute_orbits))}", np.isin(self.abs_orbit, parsed.absolute_orbits))
        if parsed.cloud:
            op, value = parsed.cloud
            with np.errstate(invalid="ignore"):
                ok = _OPS[op](self.cloud, value) & ~np.isnan(self.cloud)
            require_scene(f"cloud cover {op} {value:g} %", ok, lambda i: f"cloud cover {self.cloud[i]:g} %")
            if op in ("<", "<="):
                bonus += 0.1 * np.clip(1 - np.nan_to_num(self.cloud, nan=100.0) / max(value, 1e-6), 0, 1)
        for constraint in parsed.times:
            require_scene(f"time: {constraint.describe()}", self._time_mask(constraint), self._time_detail)
        if scene_mask is not None:
            scene_mask &= self._in(self.kind, self._kind, ["scene"])
            derived = np.zeros(n, dtype=bool)
            for i, sources in self.derived.items():
                derived[i] = bool(sources) and bool(scene_mask[list(sources)].any())
            require("derived from scenes" + (" with " + ", ".join(scene_parts) if scene_parts else ""), derived)
        for place in parsed.places:
            ok = self.place_mask(place.geometry, np.flatnonzero(mask))
            require(f"place: {place.name} ({place.kind})", ok)
            bonus += self._overlap_bonus(place.geometry, np.flatnonzero(mask & ok))
        if bbox is not None:
            require(f"bbox: {','.join(f'{v:g}' for v in bbox)}", self.place_mask(shapely.box(*bbox), np.flatnonzero(mask)))
        requested = types | ({"scene"} & kinds)
        for match in parsed.concepts:
            present = any(c in self.concepts for c in match.concepts)
            if not present and not (requested and not requested <= match.product_types):
                notes.append(f"{match.label!r} occurs in no product; used as keywords only")
                continue
            ok, area = self._concept_mask(match, requested)
            require(f"contains or touches: {match.label}" + (f" ({match.area[0]} {match.area[1]:g} ha)" if match.area else ""), ok,
                    (lambda i, a=area, m=match: f"{m.label}: {a[i]:.1f} ha" if a[i] > 0 else f"touches {m.label}"))
            if area.max(initial=0) > 0:
                bonus += 0.15 * area / area.max()

        candidates = np.flatnonzero(mask)
        similarity = np.zeros(n, dtype=np.float32)
        use_dense = self.has_dense and mode in ("hybrid", "dense")
        if use_dense and mode == "hybrid" and parsed.structured:
            # the filters already say what is wanted; embeddings re-rank only when free words remain
            use_dense = any(len(t) > 2 and not t.isdigit() and t not in _FILLER for t in tokenize(parsed.residual))
        if use_dense and len(candidates):
            q = self.embedder.encode([query])[0]
            similarity = (self.dense_matrix @ q)[self.dense_row]
        if not parsed.structured and bbox is None:
            # free text only: a keyword hit must cover at least half of the informative words
            # (so fragments of code or markup — "?s", "1", "org" — do not make a result)
            informative = [t for t in tokens if len(t) > 2 and not t.isdigit()]
            covered = self.bm25.coverage(informative)
            hit = (covered >= max(1, len(informative)) / 2) & (lexical > 0) if informative else np.zeros(n, dtype=bool)
            if mode == "dense":
                hit[:] = False
            if use_dense:
                hit |= similarity >= DENSE_MIN
            mask &= hit
            candidates = np.flatnonzero(mask)
        lex_max = float(lexical[candidates].max()) if len(candidates) else 0.0
        lex_norm = lexical / lex_max if lex_max > 0 else np.zeros(n)
        if mode == "dense":
            base = np.maximum(similarity, 0)
        elif use_dense:
            base = 0.5 * lex_norm + 0.5 * np.maximum(similarity, 0)
        else:
            base = lex_norm
        score = base + bonus
        order = self._top(candidates, score, limit)
        hits = []
        for i in order[:limit]:  # only the returned hits are explained
            matched = []
            for label, ok, detail in parts:
                entry: dict[str, Any] = {"part": label, "satisfied": bool(ok[i]) if ok is not None else True}
                if detail is not None:
                    entry["detail"] = detail(int(i))
                matched.append(entry)
            terms = self.bm25.matched_terms(int(i), tokens)
            if terms:
                matched.append({"part": "keywords", "terms": terms})
            if use_dense:
                matched.append({"part": "semantic similarity", "cosine": round(float(similarity[i]), 3)})
            hits.append(SearchHit(self.records[int(i)], float(score[i]), matched))
        return SearchResults(query, parsed, hits, int(len(candidates)), (time.perf_counter() - began) * 1000, mode, notes)

    def _top(self, candidates: np.ndarray, score: np.ndarray, limit: int) -> np.ndarray:
        """The best ``limit`` candidates: score, then newest, then catalogue order (partition first, sort the few)."""
        if len(candidates) > 4 * limit:
            key = score[candidates]
            kth = np.partition(key, len(key) - limit)[len(key) - limit]
            candidates = candidates[key >= kth]  # ties at the boundary stay in
        start = np.nan_to_num(self.start[candidates], nan=0)
        return candidates[np.lexsort((candidates, -start, -score[candidates]))]

    def _time_detail(self, i: int) -> str:
        r = self.records[i]
        if r.start is None:
            return ""
        if r.end and r.end.date() != r.start.date():
            return f"{r.start:%Y-%m-%d} – {r.end:%Y-%m-%d}"
        return f"acquired {r.start:%Y-%m-%d %H:%M} UTC"

    def _overlap_bonus(self, geometry: Any, rows: np.ndarray) -> np.ndarray:
        """0.1 · (share of the place covered + share of the footprint inside the place), for up to 5000 rows."""
        bonus = np.zeros(len(self.records))
        if len(rows) == 0 or len(rows) > 5000:
            return bonus
        fps = self.footprints[rows]
        ok = np.array([g is not None for g in fps])
        rows, fps = rows[ok], fps[ok]
        if not len(rows):
            return bonus
        inter = shapely.area(shapely.intersection(fps, geometry))
        place_area = max(shapely.area(geometry), 1e-12)
        fp_area = np.maximum(shapely.area(fps), 1e-12)
        bonus[rows] = 0.1 * (inter / place_area + inter / fp_area)
        return bonus
