"""``/tiles/{layer}/{z}/{x}/{y}.mvt``: vector tiles of map layers and of the offline basemap.

Tiles are cut on demand from the layer's features (see :mod:`eolink.app.routers._layers`)
and cached. The basemap layers ``basemap-land`` and ``basemap-borders`` come from
Natural Earth 1:10m (npm ``world-atlas``, built into ``static/vendor/basemap`` by
``make web``).
"""

from __future__ import annotations

import threading

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from eolink.app.routers._layers import LayerRegistry, layer_from_arrays
from eolink.app.routers.layers import registry
from eolink.errors import InputError

__all__ = ["router", "BASEMAP_LAYERS", "load_basemap"]

router = APIRouter(tags=["map"])

#: Basemap layer id -> file under static/vendor/basemap.
BASEMAP_LAYERS = {"basemap-land": "land.geojson", "basemap-borders": "borders.geojson"}
_basemap_lock = threading.Lock()


def load_basemap(layers: LayerRegistry, name: str) -> None:
    """Register basemap layer ``name`` (its polygons/lines split into parts) unless it is there."""
    from eolink.app.main import STATIC_DIR

    with _basemap_lock:
        if layers.find(name) is not None:
            return
        path = STATIC_DIR / "vendor" / "basemap" / BASEMAP_LAYERS[name]
        if not path.exists():
            raise InputError(f"the basemap is not built: run `make web` (missing {path.name})")
        collection = shapely.from_geojson(path.read_text())
        parts = shapely.get_parts(shapely.get_parts(collection))
        parts = parts[~shapely.is_empty(parts)]
        layers.add(layer_from_arrays(name, name, parts, {}))
        layers.capacity += 1


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", summary="A vector tile (Mapbox Vector Tile 2.1)")
def tile(
    layer: str,
    z: int = Path(..., ge=0, le=24),
    x: int = Path(..., ge=0),
    y: int = Path(..., ge=0),
    layers: LayerRegistry = Depends(registry),
) -> Response:
    if layer in BASEMAP_LAYERS:
        load_basemap(layers, layer)
    data = layers.tile(layer, z, x, y)
    return Response(data, media_type="application/vnd.mapbox-vector-tile", headers={"Cache-Control": "max-age=60"})
