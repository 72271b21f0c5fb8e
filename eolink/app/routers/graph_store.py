"""``/rdf-graphs/service``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect graph identification).

``?graph=IRI`` names a product graph. GET (and HEAD) return it in the negotiated RDF
format; PUT replaces it, POST adds to it, DELETE drops it — writes only with the
bearer token, each one atomic (the store's ``load``/``drop``: a failed write leaves
the graph as it was). ``?default`` reads the default graph, which is the union of
all graphs (writes to it are refused: write to a named graph).

>>> sorted({r.path for r in router.routes})
['/graph-store', '/rdf-graphs/service']
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from eolink.app.dependencies import get_settings, get_store, require_token, store_changed
from eolink.config import Settings
from eolink.errors import EolinkError, InputError, PayloadTooLargeError, QueryError
from eolink.sparql.results import RDF_FORMATS, negotiate

__all__ = ["router", "MEDIA_TO_FORMAT"]

router = APIRouter(tags=["graph store"])

#: Request media types → store format names.
MEDIA_TO_FORMAT = {
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "rdf",
    "application/ld+json": "jsonld",
    "application/n-quads": "nq",
    "application/trig": "trig",
}
_DUMP = {"turtle": "ttl", "ntriples": "nt", "rdfxml": "rdf", "jsonld": "jsonld"}
PATHS = ("/rdf-graphs/service", "/graph-store")


class NotFoundError(EolinkError, LookupError):
    """The named graph does not exist."""

    status = 404
    title = "Not found"


def _target(request: Request) -> str | None:
    params = request.query_params
    if "graph" in params and "default" in params:
        raise InputError("give either ?graph=IRI or ?default, not both")
    if "graph" in params:
        graph = params["graph"]
        if not graph:
            raise InputError("?graph needs an IRI")
        return graph
    if "default" in params:
        return None
    raise InputError("name the graph with ?graph=IRI (or ?default)")


async def _read(request: Request, store, settings: Settings, head: bool) -> Response:  # noqa: ANN001
    graph = _target(request)
    fmt = negotiate(request.headers.get("accept"), "graph", request.query_params.get("format"))
    if graph is None:
        from eolink.sparql.results import serialize

        result = await run_in_threadpool(store.query, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", limit=settings.result_limit)
        body = serialize(result, fmt)
        headers = {"X-Eolink-Truncated": "true"} if result.truncated else {}
    else:
        if not store.has_graph(graph):
            raise NotFoundError(f"there is no graph <{graph}>")
        body = await run_in_threadpool(store.dump, graph, _DUMP[fmt])
        headers = {}
    return Response(b"" if head else body, media_type=RDF_FORMATS[fmt], headers=headers)


async def _write(request: Request, store, settings: Settings, replace: bool) -> Response:  # noqa: ANN001
    require_token(request)
    graph = _target(request)
    if graph is None:
        raise QueryError("the default graph is the union of all graphs; write to a named graph (?graph=IRI)")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in MEDIA_TO_FORMAT:
        raise InputError(f"unsupported RDF media type {media or '(none)'}; use one of {', '.join(sorted(MEDIA_TO_FORMAT))}")
    if int(request.headers.get("content-length") or 0) > settings.max_upload_bytes:
        raise PayloadTooLargeError(f"the upload is larger than {settings.max_upload_bytes} bytes")
    body = await request.body()
    if len(body) > settings.max_upload_bytes:
        raise PayloadTooLargeError(f"the upload is larger than {settings.max_upload_bytes} bytes")
    existed = store.has_graph(graph)
    try:
        await run_in_threadpool(lambda: store.load(graph, body, fmt=MEDIA_TO_FORMAT[media], replace=replace, base_iri=graph, count=False))
    finally:
        store_changed(request)
    return Response(status_code=204 if existed else 201)


def _route(path: str) -> None:
    @router.get(path, summary="Graph Store Protocol: read a graph")
    async def get_graph(request: Request, store=Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:  # noqa: ANN001
        return await _read(request, store, settings, head=False)

    @router.head(path, include_in_schema=False)
    async def head_graph(request: Request, store=Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:  # noqa: ANN001
        return await _read(request, store, settings, head=True)

    @router.put(path, summary="Graph Store Protocol: replace a graph (token)")
    async def put_graph(request: Request, store=Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:  # noqa: ANN001
        return await _write(request, store, settings, replace=True)

    @router.post(path, summary="Graph Store Protocol: add to a graph (token)")
    async def post_graph(request: Request, store=Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:  # noqa: ANN001
        return await _write(request, store, settings, replace=False)

    @router.delete(path, summary="Graph Store Protocol: drop a graph (token)")
    async def delete_graph(request: Request, store=Depends(get_store)) -> Response:  # noqa: ANN001
        require_token(request)
        graph = _target(request)
        if graph is None:
            raise QueryError("the default graph is the union of all graphs; drop named graphs instead")
        try:
            existed = await run_in_threadpool(store.drop, graph)
        finally:
            store_changed(request)
        if not existed:
            raise NotFoundError(f"there is no graph <{graph}>")
        return Response(status_code=204)


for _path in PATHS:
    _route(_path)
