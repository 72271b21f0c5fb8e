"""Dereferenceable IRIs: ``/resource/{path}`` for ``https://w3id.org/eolink/resource/{path}``, ``/ontology``.

A resource answers, by content negotiation, with HTML (a readable page: its triples,
the triples pointing at it, and a small MapLibre map of its geometry), Turtle,
N-Triples, JSON-LD or RDF/XML (``?format=`` overrides ``Accept``). Unknown IRIs
answer 404. ``/ontology`` serves the eolink ontology (the IRIs
``https://w3id.org/eolink/ontology#X`` resolve there; the HTML page has an anchor per term).

>>> local_path("https://w3id.org/eolink/resource/parcel/1")
'/resource/parcel/1'
>>> local_path("http://example.org/x") is None
True
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from eolink.app.dependencies import get_executor, get_store
from eolink.app.routers._executor import EndpointBusyError, QueryCall
from eolink.app.routers.graph_store import NotFoundError
from eolink.ontology import EOL, GEO, RESOURCE
from eolink.sparql.results import RDF_FORMATS, QueryResult, serialize

__all__ = ["router", "local_path", "wants_html"]

router = APIRouter(tags=["resources"])
_ONTOLOGY_FILE = Path(__file__).resolve().parents[2] / "ontology" / "eolink.ttl"
_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml", "html": "html"}


def local_path(iri: str) -> str | None:
    """The path on this server that dereferences ``iri``, or ``None`` for foreign IRIs."""
    if iri.startswith(RESOURCE):
        return "/resource/" + iri[len(RESOURCE) :]
    if iri.startswith(EOL.rstrip("#")):
        return "/ontology" + iri[len(EOL.rstrip("#")) :]
    return None


def wants_html(accept: str | None, requested: str | None) -> str:
    """``html`` or an RDF format name, from ``?format=`` or the ``Accept`` header (browsers get HTML).

    >>> wants_html("text/html,application/xhtml+xml,*/*;q=0.8", None)
    'html'
    >>> wants_html("application/ld+json", None)
    'jsonld'
    """
    from eolink.sparql.results import negotiate

    if requested:
        name = _ALIASES.get(requested.lower(), requested.lower())
        return "html" if name == "html" else negotiate(None, "graph", name)
    offers = []
    for position, part in enumerate((accept or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        q = next((float(p[2:]) for p in pieces[1:] if p.startswith("q=") and p[2:].replace(".", "", 1).isdigit()), 1.0)
        offers.append((-q, position, pieces[0].lower()))
    for _, _, media in sorted(offers):
        if media in ("text/html", "application/xhtml+xml"):
            return "html"
        if media in RDF_FORMATS.values() or media in ("application/json", "text/plain"):
            return negotiate(media, "graph")
    return "html" if not accept or "*/*" in accept else "turtle"


async def _triples(request: Request, iri: str) -> tuple[list[ox.Triple], list[ox.Triple]]:
    node = f"<{iri}>"
    query = (
        f"CONSTRUCT {{ {node} ?p ?o . ?s ?q {node} . ?g <{GEO}asWKT> ?w }} WHERE {{ "
        f"{{ {node} ?p ?o }} UNION {{ ?s ?q {node} }} UNION {{ {node} <{GEO}hasGeometry> ?g . ?g <{GEO}asWKT> ?w }} }}"
    )
    try:
        answer = await get_executor(request).run(QueryCall(query, {"limit": 10_000}, None, "ntriples"))
    except EndpointBusyError as err:
        raise err
    triples = list(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
    about = [ox.Triple(t.subject, t.predicate, t.object) for t in triples if t.subject == ox.NamedNode(iri) or t.object == ox.NamedNode(iri)]
    geometry = [ox.Triple(t.subject, t.predicate, t.object) for t in triples if t.predicate == ox.NamedNode(GEO + "asWKT")]
    return about, geometry


def _cell(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        href = local_path(term.value) or term.value
        return f'<a href="{html.escape(href)}">{html.escape(term.value)}</a>'
    if isinstance(term, ox.Literal):
        suffix = f" <small>@{html.escape(term.language)}</small>" if term.language else f" <small>{html.escape(term.datatype.value.rsplit('#', 1)[-1])}</small>"
        value = term.value if len(term.value) < 400 else term.value[:400] + "…"
        return f"{html.escape(value)}{suffix}"
    return html.escape(str(term))


def _geojson(geometry: list[ox.Triple]) -> dict[str, object]:
    from eolink.sparql.results import geojson_features

    rows = [(t.object,) for t in geometry if isinstance(t.object, ox.Literal)]
    return geojson_features(QueryResult.select(["geometry"], rows))


def _page(title: str, body: str, geojson: dict[str, object] | None) -> str:
    map_block = ""
    if geojson and any(f["geometry"] for f in geojson["features"]):  # type: ignore[index]
        data = json.dumps(geojson).replace("</", "<\\/")
        map_block = f"""<div id="map" style="height:320px;border:1px solid #ccc"></div>
<link rel="stylesheet" href="/static/vendor/maplibre-gl/maplibre-gl.css">
<script src="/static/vendor/maplibre-gl/maplibre-gl.js"></script>
<script id="geometry" type="application/geo+json">{data}</script>
<script>
const data = JSON.parse(document.getElementById('geometry').textContent);
const bounds = new maplibregl.LngLatBounds();
const walk = c => typeof c[0] === 'number' ? bounds.extend(c) : c.forEach(walk);
data.features.forEach(f => f.geometry && walk(f.geometry.coordinates));
const map = new maplibregl.Map({{container: 'map', style: {{version: 8, sources: {{}}, layers: [{{id: 'bg', type: 'background', paint: {{'background-color': '#f4f1ea'}}}}]}}, bounds, fitBoundsOptions: {{padding: 40, maxZoom: 15}}}});
map.on('load', () => {{
  map.addSource('g', {{type: 'geojson', data}});
  map.addLayer({{id: 'fill', type: 'fill', source: 'g', filter: ['==', '$type', 'Polygon'], paint: {{'fill-color': '#3b7dd8', 'fill-opacity': 0.35}}}});
  map.addLayer({{id: 'line', type: 'line', source: 'g', paint: {{'line-color': '#1d4f91', 'line-width': 2}}}});
  map.addLayer({{id: 'point', type: 'circle', source: 'g', filter: ['==', '$type', 'Point'], paint: {{'circle-radius': 6, 'circle-color': '#d83b3b'}}}});
  map.once('idle', () => {{ window.mapReady = true; }});
}});
</script>"""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} — eolink</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;word-break:break-all}}</style>
</head><body><h1>{html.escape(title)}</h1>
{map_block}
{body}
<p><small>Also as <a href="?format=turtle">Turtle</a>, <a href="?format=jsonld">JSON-LD</a>, <a href="?format=ntriples">N-Triples</a>.</small></p>
</body></html>"""


def _rows(triples: list[ox.Triple], columns: tuple[str, str]) -> str:
    rows = "".join(f"<tr><td>{_cell(getattr(t, columns[0]))}</td><td>{_cell(getattr(t, columns[1]))}</td></tr>" for t in triples)
    return rows


@router.get("/resource/{path:path}", summary="Dereference an eolink resource IRI (HTML, Turtle, JSON-LD…)")
async def resource(path: str, request: Request, store: object = Depends(get_store)) -> Response:
    iri = RESOURCE + path
    about, geometry = await _triples(request, iri)
    if not about:
        raise NotFoundError(f"nothing is known about <{iri}>")
    fmt = wants_html(request.headers.get("accept"), request.query_params.get("format"))
    headers = {"Vary": "Accept"}
    if fmt != "html":
        return Response(serialize(QueryResult.graph(about), fmt), media_type=RDF_FORMATS[fmt], headers=headers)
    node = ox.NamedNode(iri)
    outgoing = sorted((t for t in about if t.subject == node), key=lambda t: (t.predicate.value, str(t.object)))
    incoming = sorted((t for t in about if t.object == node and t.subject != node), key=lambda t: (t.predicate.value, str(t.subject)))
    body = f"<p><code>{html.escape(iri)}</code></p><h2>Properties</h2><table><tr><th>property</th><th>value</th></tr>{_rows(outgoing, ('predicate', 'object'))}</table>"
    if incoming:
        body += f"<h2>Referenced by</h2><table><tr><th>subject</th><th>property</th></tr>{_rows(incoming, ('subject', 'predicate'))}</table>"
    labels = [t.object.value for t in outgoing if t.predicate.value.endswith(("#label", "/name", "#prefLabel", "/title")) and isinstance(t.object, ox.Literal)]
    return HTMLResponse(_page(labels[0] if labels else path, body, _geojson(geometry)), headers=headers)


@router.get("/ontology", summary="The eolink ontology (HTML, Turtle, JSON-LD…)")
async def ontology(request: Request) -> Response:
    fmt = wants_html(request.headers.get("accept"), request.query_params.get("format"))
    text = _ONTOLOGY_FILE.read_bytes()
    if fmt == "turtle":
        return Response(text, media_type="text/turtle", headers={"Vary": "Accept"})
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(text, format=ox.RdfFormat.TURTLE)]
    if fmt != "html":
        return Response(serialize(QueryResult.graph(triples), fmt), media_type=RDF_FORMATS[fmt], headers={"Vary": "Accept"})
    terms: dict[str, dict[str, list[object]]] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(EOL):
            terms.setdefault(t.subject.value, {}).setdefault(t.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], []).append(t.object)
    sections = []
    for term in sorted(terms):
        name = term[len(EOL) :]
        props = "".join(f"<tr><td>{html.escape(k)}</td><td>{'<br>'.join(_cell(v) for v in vs)}</td></tr>" for k, vs in sorted(terms[term].items()))
        sections.append(f'<h2 id="{html.escape(name)}">{html.escape(name)}</h2><table>{props}</table>')
    return HTMLResponse(_page("eolink ontology", f"<p><code>{html.escape(EOL)}</code></p>" + "".join(sections), None), headers={"Vary": "Accept"})
