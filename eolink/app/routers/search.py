"""``/search``: semantic product search (``GET /search?q=…``) and the catalogue as STAC (``GET /search/stac``)."""

from __future__ import annotations

import os
import threading
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from eolink.app.dependencies import get_settings, get_store
from eolink.config import Settings
from eolink.errors import InputError
from eolink.stores.embedded import EmbeddedStore

__all__ = ["router", "searcher_for"]

router = APIRouter(tags=["search"])
_searchers: dict[int, Any] = {}
_lock = threading.Lock()


def searcher_for(request: Request, store: EmbeddedStore, settings: Settings) -> Any:
    """The app's :class:`~eolink.search.Searcher` (one per app, index under ``DATA_DIR/search``)."""
    from eolink.search import Searcher

    key = id(request.app)
    with _lock:
        searcher = _searchers.get(key)
        if searcher is None or searcher.store is not store:
            directory = None if getattr(store, "path", None) is None else settings.data_dir / "search"
            # EOLINK_SEARCH_DENSE=0 serves without the embedding model (lexical + structured only)
            dense = None if os.environ.get("EOLINK_SEARCH_DENSE", "") == "" else os.environ["EOLINK_SEARCH_DENSE"] not in ("0", "false", "no")
            searcher = _searchers[key] = Searcher(store, directory, dense=dense)
        return searcher


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError as err:
        raise InputError("bbox must be four numbers: minlon,minlat,maxlon,maxlat") from err
    if len(values) != 4:
        raise InputError("bbox must be four numbers: minlon,minlat,maxlon,maxlat")
    return values  # type: ignore[return-value]


@router.get("/search", summary="Search scenes and products in words")
def search(
    request: Request,
    q: str = Query("", description="Free-text query, e.g. 'Sentinel-2 over Espoo, summer 2021, cloud below 20 %'"),
    limit: int = Query(10, description="Number of results (1–1000)"),
    mode: str = Query("hybrid", description="hybrid, bm25, lexical or dense"),
    bbox: str | None = Query(None, description="minlon,minlat,maxlon,maxlat"),
    store: EmbeddedStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    """Ranked scenes and products with what each satisfied; an empty query gives no results."""
    box = _bbox(bbox)
    return searcher_for(request, store, settings).search(q, limit=limit, mode=mode, bbox=box).as_dict()


@router.get("/search/stac", summary="The catalogue (or a query's results) as a STAC ItemCollection")
def stac(
    request: Request,
    q: str | None = Query(None, description="Only the results of this query"),
    limit: int = Query(1000, description="At most this many items (1–1000) when q is given"),
    store: EmbeddedStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> dict[str, Any]:
    """A STAC ItemCollection of every record, or of the hits of ``q``."""
    from eolink.search.stac import STAC_VERSION, record_to_item

    searcher = searcher_for(request, store, settings)
    if q is not None:
        records = [h.record for h in searcher.search(q, limit=limit).hits]
    else:
        records = searcher.records()
    by_iri = {r.iri: r for r in searcher.records()}
    return {"type": "FeatureCollection", "stac_version": STAC_VERSION,
            "features": [record_to_item(r, by_iri=by_iri) for r in records]}
