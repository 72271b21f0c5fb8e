"""``/api/layers``: map layers from SPARQL queries on the local store, and CRS definitions for the browser.

``POST /api/layers`` runs a SELECT query, picks its geometry column, reprojects to
CRS84 and keeps the layer in memory; the answer says how the browser should draw
it (GeoJSON for small layers, vector tiles from ``/tiles/{id}/{z}/{x}/{y}.mvt`` for
large ones), with its columns, numeric ranges, categories and time range.
``GET /api/crs?iri=`` gives the proj4 definition of a CRS so that the browser can
reproject layers from remote endpoints itself.
"""

from __future__ import annotations

import json
import threading
import warnings

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from eolink.app.dependencies import get_settings, get_store
from eolink.app.routers._layers import LayerRegistry, layer_from_result, layer_id
from eolink.config import Settings
from eolink.errors import CRSError, InputError, PayloadTooLargeError
from eolink.stores.embedded import EmbeddedStore

__all__ = ["router", "registry", "LAYER_ROW_LIMIT"]

router = APIRouter(tags=["map"])

#: Most rows one layer query may return.
LAYER_ROW_LIMIT = 2_000_000
_registry_lock = threading.Lock()


def registry(request: Request) -> LayerRegistry:
    """The app's layer registry (created on first use)."""
    state = request.app.state
    with _registry_lock:
        if getattr(state, "layers", None) is None:
            state.layers = LayerRegistry()
        return state.layers


@router.post("/api/layers", summary="Build a map layer from a SELECT query on the local store")
def add_layer(
    spec: dict = Body(..., examples=[{"query": "SELECT ?f ?wkt WHERE { ?f geo:hasGeometry/geo:asWKT ?wkt }", "title": "features"}]),
    store: EmbeddedStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
    layers: LayerRegistry = Depends(registry),
) -> dict[str, object]:
    query = spec.get("query")
    if not isinstance(query, str) or not query.strip():
        raise InputError("give the layer's SPARQL SELECT query as 'query'")
    if len(query.encode()) > settings.max_query_bytes:
        raise PayloadTooLargeError(f"the query is longer than {settings.max_query_bytes} bytes")
    title = str(spec.get("title") or "layer")[:200]
    key = layer_id(query)
    # Always re-run: the store may have changed since the same query was last drawn (its tiles are dropped too).
    result = store.query(query, limit=LAYER_ROW_LIMIT, max_depth=settings.max_query_depth)
    if result.kind != "select":
        raise InputError("a layer needs a SELECT query")
    layer = layer_from_result(result, title=title, id=key)
    layers.add(layer)
    summary = layer.summary()
    summary["truncated"] = result.truncated
    return summary


@router.get("/api/layers/{layer}", summary="A layer's summary")
def get_layer(layer: str, layers: LayerRegistry = Depends(registry)) -> dict[str, object]:
    return layers.get(layer).summary()


@router.get("/api/layers/{layer}/features.geojson", summary="A layer as GeoJSON (CRS84)")
def layer_geojson(layer: str, layers: LayerRegistry = Depends(registry)) -> Response:
    body = json.dumps(layers.get(layer).geojson(), separators=(",", ":"), default=str)
    headers = {"Content-Disposition": f'inline; filename="{layer}.geojson"'}
    return Response(body, media_type="application/geo+json", headers=headers)


@router.get("/api/layers/{layer}/rows", summary="A page of a layer's table")
def layer_rows(
    layer: str,
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    layers: LayerRegistry = Depends(registry),
) -> dict[str, object]:
    return layers.get(layer).rows(offset=offset, limit=limit)


@router.get("/api/crs", summary="proj4 definition of a CRS IRI (for reprojection in the browser)")
def crs_definition(iri: str = Query(..., max_length=200)) -> dict[str, str]:
    from eolink.sparql.geosparql.literals import crs_from_iri

    try:
        crs = crs_from_iri(iri)
    except CRSError:
        raise
    except Exception as err:  # pyproj raises its own errors for unknown codes
        raise CRSError(f"unknown CRS {iri!r}: {err}") from err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "you will likely lose information": fine for display
        proj4 = crs.to_proj4()
    if not proj4:
        raise CRSError(f"CRS {iri!r} has no proj4 form")
    # EPSG geographic CRSs are latitude-first in WKT literals; tell the browser.
    axis = "neu" if crs.is_geographic and crs.axis_info and crs.axis_info[0].direction.lower() == "north" else "enu"
    return {"iri": iri, "proj4": proj4, "axis": axis}
