"""``/map`` and the small JSON API the map page reads: products and their features as GeoJSON."""

from __future__ import annotations

import json

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response

from eolink.app.dependencies import get_store
from eolink.errors import InputError
from eolink.ontology import DCT, EOL, GEO, RESOURCE, SKOS
from eolink.sparql.geosparql.literals import parse_wkt_array, to_crs84
from eolink.stores.embedded import EmbeddedStore

__all__ = ["router", "list_products", "product_geojson"]

router = APIRouter(tags=["map"])

#: Properties whose value is the concept a feature is coloured by, in order of preference.
CATEGORY_PROPERTIES = ("cropType", "changeClass", "stageOfDevelopmentA", "polygonType", "featureType")


def list_products(store: EmbeddedStore) -> list[dict[str, object]]:
    """Every product graph with its type, title, time span and feature count."""
    query = f"""
        SELECT ?p ?type ?title ?start ?end (COUNT(DISTINCT ?f) AS ?features) WHERE {{
            GRAPH ?p {{
                ?p a ?type ; <{DCT}title> ?title .
                FILTER(STRSTARTS(STR(?type), "{EOL}"))
                OPTIONAL {{ ?p <{EOL}timeStart> ?start }}
                OPTIONAL {{ ?p <{EOL}timeEnd> ?end }}
                OPTIONAL {{ ?f <{GEO}hasDefaultGeometry> ?g }}
            }}
        }} GROUP BY ?p ?type ?title ?start ?end ORDER BY ?p"""
    products = []
    for p, kind, title, start, end, n in store.query(query).rows:
        products.append(
            {
                "iri": p.value,
                "id": p.value.rsplit("/", 1)[-1],
                "type": kind.value.rsplit("#", 1)[-1],
                "title": title.value,
                "start": start.value if start else None,
                "end": end.value if end else None,
                "features": int(n.value),
            }
        )
    return products


def product_geojson(store: EmbeddedStore, product_id: str, *, limit: int = 50_000) -> dict[str, object]:
    """The features of one product as a GeoJSON FeatureCollection in CRS84, with category label and colour."""
    graph = f"{RESOURCE}product/{product_id}"
    if not store.has_graph(graph):
        raise InputError(f"no product {product_id!r}")
    alternatives = " UNION ".join(f"{{ ?f <{EOL}{name}> ?cat }}" for name in CATEGORY_PROPERTIES)
    query = f"""
        SELECT ?f ?wkt (SAMPLE(?c) AS ?cat) (SAMPLE(?l) AS ?label) (SAMPLE(?col) AS ?colour) WHERE {{
            GRAPH <{graph}> {{ ?f <{GEO}hasDefaultGeometry> ?g . ?g <{GEO}asWKT> ?wkt .
                               OPTIONAL {{ {alternatives} }} }}
            OPTIONAL {{ ?cat <{SKOS}prefLabel> ?l FILTER(LANG(?l) = "en" || LANG(?l) = "") }}
            OPTIONAL {{ ?cat <{EOL}colour> ?col }}
            BIND(?cat AS ?c)
        }} GROUP BY ?f ?wkt ORDER BY ?f LIMIT {int(limit)}"""
    rows = store.query(query).rows
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    geometries, crss = parse_wkt_array([row[1].value for row in rows])
    for crs in np.unique(crss):
        mask = crss == crs
        geometries[mask] = to_crs84(geometries[mask], str(crs))
    encoded = shapely.to_geojson(geometries)
    features = []
    for row, geometry in zip(rows, encoded):
        iri, _, cat, label, colour = row
        features.append(
            {
                "type": "Feature",
                "id": iri.value,
                "geometry": json.loads(geometry),
                "properties": {
                    "iri": iri.value,
                    "category": cat.value if cat else None,
                    "label": label.value if label else None,
                    "colour": colour.value if colour else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@router.get("/map", include_in_schema=False)
def map_page() -> FileResponse:
    from eolink.app.main import STATIC_DIR

    return FileResponse(STATIC_DIR / "map.html", media_type="text/html")


@router.get("/api/products", summary="Products in the store")
def products(store: EmbeddedStore = Depends(get_store)) -> list[dict[str, object]]:
    return list_products(store)


@router.get("/api/products/{product_id}/features.geojson", summary="Features of a product as GeoJSON (CRS84)")
def features(product_id: str, limit: int = Query(50_000, ge=1, le=1_000_000), store: EmbeddedStore = Depends(get_store)) -> Response:
    body = json.dumps(product_geojson(store, product_id, limit=limit), separators=(",", ":"))
    return Response(body, media_type="application/geo+json")
