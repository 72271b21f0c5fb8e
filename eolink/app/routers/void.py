"""``/void``: the VoID description of the endpoint's data (predicates, classes, spatial and time extent).

Over the local store it is built with the federation's description queries and cached
until the next write; over a federation it lists every source's description.

>>> router.routes[0].path
'/void'
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from eolink.app.dependencies import get_federation, get_store
from eolink.sparql.results import RDF_FORMATS, QueryResult, negotiate, serialize

__all__ = ["router", "void_turtle"]

router = APIRouter(tags=["sparql"])


async def void_turtle(request: Request, store: object) -> str:
    """The VoID Turtle of the app's data (cached until the store changes)."""
    from eolink.sparql.federation.description import describe_source, descriptions_to_turtle
    from eolink.sparql.federation.sources import LocalSource, SourceConfig

    endpoint = str(request.base_url).rstrip("/") + "/sparql"
    federation = get_federation(request)
    if federation is not None:
        descriptions = federation.descriptions or await federation.describe(save=False)
        text = descriptions_to_turtle(descriptions.values())
        subsets = " , ".join(f"<urn:eolink:source:{name}>" for name in descriptions)
        return text + f"\n<{endpoint}#dataset> a <http://rdfs.org/ns/void#Dataset> ; <http://rdfs.org/ns/void#sparqlEndpoint> <{endpoint}> ; <http://rdfs.org/ns/void#subset> {subsets} .\n"
    cached = getattr(request.app.state, "void_cache", None)
    if cached is not None:
        return cached
    description = await describe_source(LocalSource(SourceConfig("eolink", "local", endpoint=endpoint), store))
    text = descriptions_to_turtle([description])
    request.app.state.void_cache = text
    return text


@router.get("/void", summary="VoID description of the data behind /sparql")
async def void(request: Request, store: object = Depends(get_store)) -> Response:
    text = await void_turtle(request, store)
    fmt = negotiate(request.headers.get("accept"), "graph", request.query_params.get("format"))
    if fmt == "turtle":
        return Response(text, media_type="text/turtle")
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(text, format=ox.RdfFormat.TURTLE)]
    return Response(serialize(QueryResult.graph(triples), fmt), media_type=RDF_FORMATS[fmt])
