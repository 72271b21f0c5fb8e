"""``/sparql``: the SPARQL 1.1 Protocol (query via GET, POST form, POST sparql-query; update with a token).

Without a query, ``GET /sparql`` answers with the SPARQL Service Description.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from eolink.app.dependencies import get_settings, get_store, require_token
from eolink.config import Settings
from eolink.errors import InputError, PayloadTooLargeError, QueryError
from eolink.sparql.results import RDF_FORMATS, RESULT_FORMATS, negotiate, serialize
from eolink.stores.embedded import EmbeddedStore

__all__ = ["router", "service_description"]

router = APIRouter(tags=["sparql"])
_slots: dict[int, threading.BoundedSemaphore] = {}


def service_description(endpoint: str) -> str:
    """SPARQL 1.1 Service Description of the endpoint, in Turtle."""
    formats = "".join(f"    sd:resultFormat <http://www.w3.org/ns/formats/{name}> ;\n" for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML"))
    return f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update ;
{formats}    sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
    sd:extensionFunction <http://www.opengis.net/def/function/geosparql/sfIntersects> ;
    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .
"""


def _slot(settings: Settings) -> threading.BoundedSemaphore:
    key = id(settings)
    if key not in _slots:
        _slots[key] = threading.BoundedSemaphore(settings.max_concurrent_queries)
    return _slots[key]


def _run_query(request: Request, sparql: str, params: dict[str, list[str]], store: EmbeddedStore, settings: Settings) -> Response:
    if len(sparql.encode()) > settings.max_query_bytes:
        raise PayloadTooLargeError(f"query is larger than {settings.max_query_bytes} bytes")
    slot = _slot(settings)
    if not slot.acquire(timeout=settings.query_timeout_s):
        raise QueryError("the endpoint is busy; try again")
    try:
        result = store.query(
            sparql,
            limit=settings.result_limit,
            max_depth=settings.max_query_depth,
            default_graph_uris=params.get("default-graph-uri") or None,
            named_graph_uris=params.get("named-graph-uri") or None,
        )
    finally:
        slot.release()
    requested = (params.get("format") or [None])[0]
    fmt = negotiate(request.headers.get("accept"), result.kind, requested)
    media = (RDF_FORMATS if result.kind == "graph" else RESULT_FORMATS)[fmt]
    headers = {"X-Eolink-Truncated": "true"} if result.truncated else {}
    return Response(serialize(result, fmt), media_type=media, headers=headers)


def _run_update(request: Request, sparql: str, store: EmbeddedStore, settings: Settings) -> Response:
    require_token(request)
    if len(sparql.encode()) > settings.max_query_bytes:
        raise PayloadTooLargeError(f"update is larger than {settings.max_query_bytes} bytes")
    store.update(sparql, max_depth=settings.max_query_depth)
    return Response(status_code=204)


@router.get("/sparql", summary="SPARQL query via GET (or the service description)")
def sparql_get(request: Request, store: EmbeddedStore = Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "update" in params:
        raise QueryError("updates must be sent with POST")
    queries = params.get("query")
    if not queries:
        endpoint = str(request.url).split("?", 1)[0]
        return Response(service_description(endpoint), media_type="text/turtle")
    if len(queries) > 1:
        raise QueryError("exactly one query parameter is allowed")
    return _run_query(request, queries[0], params, store, settings)


@router.post("/sparql", summary="SPARQL query or update via POST")
async def sparql_post(request: Request, store: EmbeddedStore = Depends(get_store), settings: Settings = Depends(get_settings)) -> Response:
    from starlette.concurrency import run_in_threadpool

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
            return await run_in_threadpool(_run_update, request, form["update"][0], store, settings)
        if "query" not in form:
            raise QueryError("the form has neither a query nor an update parameter")
        return await run_in_threadpool(_run_query, request, form["query"][0], params, store, settings)
    if content_type == "application/sparql-query":
        return await run_in_threadpool(_run_query, request, text, params, store, settings)
    if content_type == "application/sparql-update":
        return await run_in_threadpool(_run_update, request, text, store, settings)
    raise InputError(f"unsupported content type {content_type or '(none)'}: use application/sparql-query, application/sparql-update or a form")
