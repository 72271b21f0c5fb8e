"""``/api/maps``: saved maps (layers, styles, view) stored as RDF, one named graph per map.

A map ``ID`` lives in the graph ``https://w3id.org/eolink/resource/map/ID`` (the
map's IRI), reopened in the browser at ``/map?map=ID``, exported as JSON
(``GET /api/maps/ID``) or Turtle (``?format=ttl`` or ``Accept: text/turtle``) and
imported from either (``POST /api/maps`` with ``application/json`` or ``text/turtle``).

Writing (create, replace, delete) needs the bearer token when the server has one;
without a token it is allowed only to clients on the loopback interface whose
``Origin`` (when the browser sends one) is this server — so another web site open
in the same browser cannot write maps.

The RDF uses (``eol:`` = ``https://w3id.org/eolink/ontology#``)::

    <map> a eol:SavedMap ; dct:identifier "ID" ; dct:title "…" ; dct:modified "…"^^xsd:dateTime ;
          eol:viewCenter "POINT (lon lat)"^^geo:wktLiteral ; eol:viewZoom 9.5 ; eol:hasLayer <map/ID/layer/0> .
    <map/ID/layer/0> a eol:MapLayer ; eol:position 0 ; dct:title "…" ; eol:sparqlQuery "…" ;
          eol:endpoint "" ; eol:visible true ; eol:opacity 0.8 ; eol:style "{…}"^^rdf:JSON .

>>> spec = validate_spec({"title": "t", "view": {"center": [24.9, 60.2], "zoom": 9}, "layers": []})
>>> spec["view"]["zoom"]
9.0
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from datetime import datetime, timezone

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from eolink.app.dependencies import get_store, require_token
from eolink.errors import AccessDeniedError, InputError, PayloadTooLargeError
from eolink.ontology import DCT, EOL, GEO, RDF, RESOURCE, XSD
from eolink.stores.embedded import EmbeddedStore

__all__ = ["router", "validate_spec", "spec_to_triples", "load_spec", "map_iri", "MAX_LAYERS"]

router = APIRouter(tags=["map"])

#: Most layers one saved map may hold.
MAX_LAYERS = 50
_MAX_BODY = 1_000_000
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RDF_JSON = f"{RDF}JSON"


def map_iri(map_id: str) -> str:
    """IRI (and graph) of saved map ``map_id``.

    >>> map_iri("abc")
    'https://w3id.org/eolink/resource/map/abc'
    """
    if not _ID.fullmatch(map_id):
        raise InputError(f"invalid map id {map_id!r}: use letters, digits, '-' and '_' (at most 64)")
    return f"{RESOURCE}map/{map_id}"


def _number(value: object, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= float(value) <= high:
        raise InputError(f"{name} must be a number in [{low}, {high}]")
    return float(value)


def validate_spec(spec: object) -> dict[str, object]:
    """Check a map's JSON description and return it normalised (unknown keys dropped).

    Raises :class:`~eolink.errors.InputError` naming the first problem.
    """
    if not isinstance(spec, dict):
        raise InputError("a map is a JSON object with 'title', 'view' and 'layers'")
    title = spec.get("title") or "Untitled map"
    if not isinstance(title, str) or len(title) > 200:
        raise InputError("title must be a string of at most 200 characters")
    view = spec.get("view") or {}
    if not isinstance(view, dict):
        raise InputError("view must be an object with 'center' [lon, lat] and 'zoom'")
    center = view.get("center", [0.0, 0.0])
    if not isinstance(center, (list, tuple)) or len(center) != 2:
        raise InputError("view.center must be [lon, lat]")
    lon = _number(center[0], "view.center[0]", -180, 180)
    lat = _number(center[1], "view.center[1]", -90, 90)
    zoom = _number(view.get("zoom", 2), "view.zoom", 0, 24)
    layers = spec.get("layers") or []
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise InputError(f"layers must be a list of at most {MAX_LAYERS} layers")
    clean_layers = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise InputError(f"layers[{i}] must be an object")
        query = layer.get("query")
        if not isinstance(query, str) or not query.strip() or len(query) > 100_000:
            raise InputError(f"layers[{i}].query must be a non-empty SPARQL query (at most 100 000 characters)")
        endpoint = layer.get("endpoint") or ""
        if not isinstance(endpoint, str) or (endpoint and not re.fullmatch(r"https?://\S{1,2000}", endpoint)):
            raise InputError(f"layers[{i}].endpoint must be empty (this server) or an http(s) URL")
        style = layer.get("style") or {}
        if not isinstance(style, dict) or len(json.dumps(style)) > 20_000:
            raise InputError(f"layers[{i}].style must be a JSON object (at most 20 000 characters)")
        ltitle = layer.get("title") or f"layer {i + 1}"
        if not isinstance(ltitle, str) or len(ltitle) > 200:
            raise InputError(f"layers[{i}].title must be a string of at most 200 characters")
        clean_layers.append(
            {
                "title": ltitle,
                "endpoint": endpoint,
                "query": query,
                "visible": bool(layer.get("visible", True)),
                "opacity": _number(layer.get("opacity", 1.0), f"layers[{i}].opacity", 0, 1),
                "style": style,
            }
        )
    return {"title": title, "view": {"center": [lon, lat], "zoom": zoom}, "layers": clean_layers}


def spec_to_triples(map_id: str, spec: dict[str, object], *, modified: datetime | None = None) -> list[ox.Triple]:
    """The RDF of a validated map description.

    >>> triples = spec_to_triples("m1", validate_spec({"layers": [{"query": "SELECT * {}"}]}))
    >>> sum(t.predicate.value.endswith("sparqlQuery") for t in triples)
    1
    """
    iri = ox.NamedNode(map_iri(map_id))
    when = (modified or datetime.now(timezone.utc)).isoformat(timespec="seconds").replace("+00:00", "Z")
    lon, lat = spec["view"]["center"]
    p = lambda local: ox.NamedNode(f"{EOL}{local}")  # noqa: E731 - local shorthand
    triples = [
        ox.Triple(iri, ox.NamedNode(f"{RDF}type"), p("SavedMap")),
        ox.Triple(iri, ox.NamedNode(f"{DCT}identifier"), ox.Literal(map_id)),
        ox.Triple(iri, ox.NamedNode(f"{DCT}title"), ox.Literal(spec["title"])),
        ox.Triple(iri, ox.NamedNode(f"{DCT}modified"), ox.Literal(when, datatype=ox.NamedNode(f"{XSD}dateTime"))),
        ox.Triple(iri, p("viewCenter"), ox.Literal(f"POINT ({lon!r} {lat!r})", datatype=ox.NamedNode(f"{GEO}wktLiteral"))),
        ox.Triple(iri, p("viewZoom"), ox.Literal(repr(spec["view"]["zoom"]), datatype=ox.NamedNode(f"{XSD}double"))),
    ]
    for i, layer in enumerate(spec["layers"]):
        node = ox.NamedNode(f"{iri.value}/layer/{i}")
        triples += [
            ox.Triple(iri, p("hasLayer"), node),
            ox.Triple(node, ox.NamedNode(f"{RDF}type"), p("MapLayer")),
            ox.Triple(node, p("position"), ox.Literal(str(i), datatype=ox.NamedNode(f"{XSD}integer"))),
            ox.Triple(node, ox.NamedNode(f"{DCT}title"), ox.Literal(layer["title"])),
            ox.Triple(node, p("sparqlQuery"), ox.Literal(layer["query"])),
            ox.Triple(node, p("endpoint"), ox.Literal(layer["endpoint"])),
            ox.Triple(node, p("visible"), ox.Literal("true" if layer["visible"] else "false", datatype=ox.NamedNode(f"{XSD}boolean"))),
            ox.Triple(node, p("opacity"), ox.Literal(repr(layer["opacity"]), datatype=ox.NamedNode(f"{XSD}double"))),
            ox.Triple(node, p("style"), ox.Literal(json.dumps(layer["style"], sort_keys=True), datatype=ox.NamedNode(_RDF_JSON))),
        ]
    return triples


def load_spec(store: EmbeddedStore, map_id: str) -> dict[str, object]:
    """The JSON description of saved map ``map_id`` read back from its graph (404 when absent)."""
    iri = map_iri(map_id)
    if not store.has_graph(iri):
        raise _NotFound(f"no saved map {map_id!r}")
    head = store.query(
        f"""SELECT ?title ?modified ?center ?zoom WHERE {{ GRAPH <{iri}> {{
            <{iri}> <{DCT}title> ?title ; <{EOL}viewCenter> ?center ; <{EOL}viewZoom> ?zoom .
            OPTIONAL {{ <{iri}> <{DCT}modified> ?modified }} }} }}"""
    ).rows
    if not head:
        raise InputError(f"graph <{iri}> is not a saved map")
    title, modified, center, zoom = head[0]
    lon, lat = (float(v) for v in re.findall(r"-?[\d.eE+-]+", center.value.split("(", 1)[1])[:2])
    rows = store.query(
        f"""SELECT ?pos ?title ?query ?endpoint ?visible ?opacity ?style WHERE {{ GRAPH <{iri}> {{
            <{iri}> <{EOL}hasLayer> ?l . ?l <{EOL}position> ?pos ; <{EOL}sparqlQuery> ?query .
            OPTIONAL {{ ?l <{DCT}title> ?title }} OPTIONAL {{ ?l <{EOL}endpoint> ?endpoint }}
            OPTIONAL {{ ?l <{EOL}visible> ?visible }} OPTIONAL {{ ?l <{EOL}opacity> ?opacity }}
            OPTIONAL {{ ?l <{EOL}style> ?style }} }} }} ORDER BY ?pos"""
    ).rows
    layers = []
    for _, ltitle, query, endpoint, visible, opacity, style in rows:
        layers.append(
            {
                "title": ltitle.value if ltitle else "",
                "endpoint": endpoint.value if endpoint else "",
                "query": query.value,
                "visible": visible is None or visible.value == "true",
                "opacity": float(opacity.value) if opacity else 1.0,
                "style": json.loads(style.value) if style else {},
            }
        )
    return {
        "id": map_id,
        "title": title.value,
        "modified": modified.value if modified else None,
        "view": {"center": [lon, lat], "zoom": float(zoom.value)},
        "layers": layers,
    }


def _spec_from_turtle(text: str) -> dict[str, object]:
    scratch = EmbeddedStore(None)
    try:
        try:
            triples = list(ox.parse(text, format=ox.RdfFormat.TURTLE))
        except SyntaxError as err:
            raise InputError(f"cannot parse the Turtle map: {err}") from err
        maps = {t.subject.value for t in triples if t.predicate.value == f"{RDF}type" and t.object.value == f"{EOL}SavedMap"}
        if len(maps) != 1:
            raise InputError("the Turtle must describe exactly one eol:SavedMap")
        iri = maps.pop()
        source_id = "imported"
        graph = map_iri(source_id)
        def rename(term: object) -> object:
            if isinstance(term, ox.NamedNode) and term.value.startswith(iri):
                return ox.NamedNode(graph + term.value[len(iri):])
            return term

        renamed = [ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples]
        scratch.load(graph, ox.serialize(renamed, format=ox.RdfFormat.N_TRIPLES), fmt="nt")
        spec = load_spec(scratch, source_id)
    finally:
        scratch.close()
    return spec


def _guard_write(request: Request) -> None:
    """Token when configured; otherwise loopback clients from this server's own pages only."""
    if request.app.state.settings.token:
        require_token(request)
        return
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in ("localhost", "testclient")
    if not loopback:
        raise AccessDeniedError("saving maps needs the server's token, or a client on the same machine")
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") not in {f"{request.url.scheme}://{request.headers.get('host', '')}"}:
        raise AccessDeniedError(f"saving maps from another site ({origin}) is not allowed")


async def _read_spec(request: Request) -> dict[str, object]:
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise PayloadTooLargeError(f"a map description is at most {_MAX_BODY} bytes")
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    text = body.decode("utf-8", errors="strict") if body else ""
    if kind in ("text/turtle", "application/x-turtle"):
        return validate_spec(_spec_from_turtle(text))
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"the map is not valid JSON: {err}") from err
    return validate_spec(spec)


def _save(store: EmbeddedStore, map_id: str, spec: dict[str, object]) -> dict[str, object]:
    data = ox.serialize(spec_to_triples(map_id, spec), format=ox.RdfFormat.N_TRIPLES)
    store.load(map_iri(map_id), data, fmt="nt", count=False)
    return {"id": map_id, "iri": map_iri(map_id), "url": f"/map?map={map_id}"}


@router.get("/api/maps", summary="Saved maps")
def list_maps(store: EmbeddedStore = Depends(get_store)) -> list[dict[str, object]]:
    rows = store.query(
        f"""SELECT ?id ?title ?modified (COUNT(?l) AS ?layers) WHERE {{ GRAPH ?g {{
            ?g a <{EOL}SavedMap> ; <{DCT}identifier> ?id ; <{DCT}title> ?title .
            OPTIONAL {{ ?g <{DCT}modified> ?modified }} OPTIONAL {{ ?g <{EOL}hasLayer> ?l }} }}
            FILTER(STRSTARTS(STR(?g), "{RESOURCE}map/")) }} GROUP BY ?id ?title ?modified ORDER BY DESC(?modified) ?id"""
    ).rows
    return [
        {"id": i.value, "title": t.value, "modified": m.value if m else None, "layers": int(n.value), "url": f"/map?map={i.value}"}
        for i, t, m, n in rows
    ]


@router.post("/api/maps", status_code=201, summary="Save a new map (JSON or Turtle body)", dependencies=[Depends(_guard_write)])
async def create_map(request: Request, store: EmbeddedStore = Depends(get_store)) -> dict[str, object]:
    spec = await _read_spec(request)
    return _save(store, uuid.uuid4().hex[:12], spec)


@router.put("/api/maps/{map_id}", summary="Replace a saved map", dependencies=[Depends(_guard_write)])
async def replace_map(map_id: str, request: Request, store: EmbeddedStore = Depends(get_store)) -> dict[str, object]:
    map_iri(map_id)
    spec = await _read_spec(request)
    return _save(store, map_id, spec)


@router.delete("/api/maps/{map_id}", status_code=204, summary="Delete a saved map", dependencies=[Depends(_guard_write)])
def delete_map(map_id: str, store: EmbeddedStore = Depends(get_store)) -> Response:
    if not store.drop(map_iri(map_id)):
        raise _NotFound(f"no saved map {map_id!r}")
    return Response(status_code=204)


@router.get("/api/maps/{map_id}", summary="A saved map as JSON, or Turtle (format=ttl or Accept: text/turtle)")
def get_map(
    map_id: str,
    request: Request,
    format: str | None = Query(None, pattern="^(json|ttl)$"),
    download: bool = False,
    store: EmbeddedStore = Depends(get_store),
) -> Response:
    spec = load_spec(store, map_id)
    turtle = format == "ttl" or (format is None and "text/turtle" in request.headers.get("accept", ""))
    disposition = {"Content-Disposition": f'attachment; filename="map-{map_id}.{"ttl" if turtle else "json"}"'} if download else {}
    if turtle:
        body = ox.serialize(
            spec_to_triples(map_id, validate_spec(spec), modified=_parse_time(spec.get("modified"))),
            format=ox.RdfFormat.TURTLE,
            prefixes={"eol": EOL, "dct": DCT, "geo": GEO, "xsd": XSD, "rdf": RDF},
        )
        return Response(body, media_type="text/turtle", headers=disposition)
    return Response(json.dumps(spec), media_type="application/json", headers=disposition)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class _NotFound(InputError):
    status = 404
    title = "Not found"
