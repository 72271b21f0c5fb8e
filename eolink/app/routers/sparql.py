"""``/sparql``: the SPARQL 1.1 Protocol (query via GET, POST form, POST sparql-query; update with a token).

Without a query, ``GET /sparql`` answers with the SPARQL Service Description
(Turtle by default, other RDF formats by content negotiation), which links the
VoID description at ``/void``. Queries run in worker processes with a per-query
timeout (``Settings.query_timeout_s``; a query over time is cancelled and answers
503); at most ``Settings.max_concurrent_queries`` run at once, more get 503 with
``Retry-After``. At most ``Settings.result_limit`` rows come back; a cut result
says so in ``X-Eolink-Truncated: true`` (with ``X-Eolink-Result-Limit``).

When the app serves a federation (``eolink federate serve``), queries are answered
over its sources; ``partial=true`` lets a query succeed without a failing source,
flagged by ``X-Eolink-Partial: true`` and ``X-Eolink-Failed-Sources``.

>>> "sd:Service" in service_description("http://localhost/sparql")
True
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from eolink.app.dependencies import get_executor, get_federation, get_settings, get_store, require_token, store_changed
from eolink.app.routers._executor import EndpointBusyError, QueryCall
from eolink.config import Settings
from eolink.errors import InputError, PayloadTooLargeError, QueryError, QueryTimeoutError
from eolink.sparql.guard import check_query
from eolink.sparql.results import RDF_FORMATS, RESULT_FORMATS, negotiate, serialize
from eolink.stores.embedded import EmbeddedStore

__all__ = ["router", "service_description", "busy_response"]

router = APIRouter(tags=["sparql"])

_FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
}


def service_description(endpoint: str, *, void: str | None = None, federation: bool = False) -> str:
    """SPARQL 1.1 Service Description of the endpoint, in Turtle (``void``: the VoID document's URL)."""
    formats = "".join(f"    sd:resultFormat <http://www.w3.org/ns/formats/{name}> ;\n" for name in _FORMAT_IRIS.values())
    functions = "".join(
        f"    sd:extensionFunction <http://www.opengis.net/def/function/geosparql/{name}> ;\n"
        for name in ("sfIntersects", "sfWithin", "sfContains", "distance", "buffer", "area", "envelope", "union")
    )
    see_also = f"    rdfs:seeAlso <{void}> ;\n" if void else ""
    language = "sd:SPARQL11Query" if federation else "sd:SPARQL11Query, sd:SPARQL11Update"
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage {language} ;
{formats}    dct:conformsTo <https://datatracker.ietf.org/doc/html/rfc7946> ;
    sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
{functions}{see_also}    sd:defaultDataset [ a sd:Dataset, void:Dataset ; void:sparqlEndpoint <{endpoint}> ; sd:defaultGraph [ a sd:Graph ] ] .
"""


def busy_response(err: EndpointBusyError) -> JSONResponse:
    """503 problem body with ``Retry-After``."""
    return JSONResponse(err.problem(), status_code=503, media_type="application/problem+json", headers={"Retry-After": str(err.retry_after)})


def _federation_slots(request: Request, settings: Settings) -> asyncio.Semaphore:
    slots = getattr(request.app.state, "federation_slots", None)
    if slots is None:
        slots = asyncio.Semaphore(settings.max_concurrent_queries)
        request.app.state.federation_slots = slots
    return slots


async def _run_federated(request: Request, federation: object, sparql: str, params: dict[str, list[str]], settings: Settings) -> Response:
    slots = _federation_slots(request, settings)
    if slots.locked():
        return busy_response(EndpointBusyError(f"all {settings.max_concurrent_queries} query slots are busy; retry shortly"))
    partial = (params.get("partial") or ["false"])[0].lower() in ("true", "1", "yes")
    async with slots:
        try:
            answer = await asyncio.wait_for(
                federation.query(sparql, partial=partial, limit=settings.result_limit, max_depth=settings.max_query_depth),  # type: ignore[attr-defined]
                settings.query_timeout_s,
            )
        except asyncio.TimeoutError as err:
            raise QueryTimeoutError(f"the federated query ran longer than {settings.query_timeout_s:g} s and was cancelled") from err
    result = answer.result
    fmt = negotiate(request.headers.get("accept"), result.kind, (params.get("format") or [None])[0])
    headers = _limit_headers(result.truncated, settings)
    if answer.partial:
        headers["X-Eolink-Partial"] = "true"
        headers["X-Eolink-Failed-Sources"] = ",".join(answer.failed)
    headers["X-Eolink-Source-Requests"] = ",".join(f"{k}={v}" for k, v in answer.requests.items())
    media = (RDF_FORMATS if result.kind == "graph" else RESULT_FORMATS)[fmt]
    return Response(serialize(result, fmt), media_type=media, headers=headers)


def _limit_headers(truncated: bool, settings: Settings) -> dict[str, str]:
    headers = {"X-Eolink-Result-Limit": str(settings.result_limit)}
    if truncated:
        headers["X-Eolink-Truncated"] = "true"
    return headers


async def _run_query(request: Request, sparql: str, params: dict[str, list[str]], store: EmbeddedStore, settings: Settings) -> Response:
    if len(sparql.encode()) > settings.max_query_bytes:
        raise PayloadTooLargeError(f"query is larger than {settings.max_query_bytes} bytes")
    federation = get_federation(request)
    if federation is not None:
        return await _run_federated(request, federation, sparql, params, settings)
    check_query(sparql, max_bytes=settings.max_query_bytes, max_depth=settings.max_query_depth)
    kwargs: dict[str, object] = {
        "limit": settings.result_limit,
        "max_depth": settings.max_query_depth,
        "default_graph_uris": params.get("default-graph-uri") or None,
        "named_graph_uris": params.get("named-graph-uri") or None,
    }
    call = QueryCall(sparql, kwargs, request.headers.get("accept"), (params.get("format") or [None])[0])
    try:
        answer = await get_executor(request).run(call)
    except EndpointBusyError as err:
        return busy_response(err)
    media = (RDF_FORMATS if answer.kind == "graph" else RESULT_FORMATS)[answer.fmt]
    return Response(answer.body, media_type=media, headers=_limit_headers(answer.truncated, settings))


async def _run_update(request: Request, sparql: str, store: EmbeddedStore, settings: Settings) -> Response:
    from starlette.concurrency import run_in_threadpool

    require_token(request)
    if get_federation(request) is not None:
        raise QueryError("updates are not supported over a federation; send them to the source")
    if len(sparql.encode()) > settings.max_query_bytes:
        raise PayloadTooLargeError(f"update is larger than {settings.max_query_bytes} bytes")
    try:
        await run_in_threadpool(store.update, sparql, max_depth=settings.max_query_depth)
    finally:
        store_changed(request)
    return Response(status_code=204)


def _describe_service(request: Request) -> Response:
    endpoint = str(request.url).split("?", 1)[0]
    void = endpoint.rsplit("/", 1)[0] + "/void"
    text = service_description(endpoint, void=void, federation=get_federation(request) is not None)
    fmt = negotiate(request.headers.get("accept"), "graph")
    if fmt == "turtle":
        return Response(text, media_type="text/turtle")
    from eolink.sparql.results import QueryResult

    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(text, format=ox.RdfFormat.TURTLE)]
    return Response(serialize(QueryResult.graph(triples), fmt), media_type=RDF_FORMATS[fmt])


@router.get("/sparql", summary="SPARQL query via GET (or the service description)")
async def sparql_get(request: Request, store: EmbeddedStore = Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "update" in params:
        raise QueryError("updates must be sent with POST")
    queries = params.get("query")
    if not queries:
        return _describe_service(request)
    if len(queries) > 1:
        raise QueryError("exactly one query parameter is allowed")
    return await _run_query(request, queries[0], params, store, settings)


@router.post("/sparql", summary="SPARQL query or update via POST")
async def sparql_post(request: Request, store: EmbeddedStore = Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = int(request.headers.get("content-length") or 0)
    if length > settings.max_query_bytes * 2:
        raise PayloadTooLargeError(f"request body is larger than {settings.max_query_bytes * 2} bytes")
    body = await request.body()
    if len(body) > settings.max_query_bytes * 2:
        raise PayloadTooLargeError(f"request body is larger than {settings.max_query_bytes * 2} bytes")
    params = parse_qs(request.url.query, keep_blank_values=True)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError("the request body is not UTF-8") from err
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        for key, values in form.items():
            params.setdefault(key, []).extend(values)
        if "update" in form:
            return await _run_update(request, form["update"][0], store, settings)
        if "query" not in form:
            raise QueryError("the form has neither a query nor an update parameter")
        return await _run_query(request, form["query"][0], params, store, settings)
    if content_type == "application/sparql-query":
        return await _run_query(request, text, params, store, settings)
    if content_type == "application/sparql-update":
        return await _run_update(request, text, store, settings)
    raise InputError(f"unsupported content type {content_type or '(none)'}: use application/sparql-query, application/sparql-update or a form")
