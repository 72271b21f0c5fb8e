"""The search catalogue: every scene and every ingested product as one DCAT/STAC-compatible record.

Records are computed from the store with SPARQL only (the Store protocol), so the
catalogue is whatever the store holds: scenes (``eol:Scene``) with their
name-derived metadata and footprint; products (``dcat:Dataset`` named graphs)
with type, title, time span, lineage (``prov:wasDerivedFrom``) and content
summaries — the code-list concepts their features carry (crop types with their
area in hectares, ice stages, change classes, OSM feature types) — and a
footprint: the convex hull of their features in CRS84.

>>> from eolink.stores import open_store
>>> store = open_store(None)
>>> build_records(store)
[]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from eolink.ontology import DCAT, DCT, EOL, GEO, PROV, RDFS, SKOS
from eolink.stores.base import Store

__all__ = ["CatalogueRecord", "ConceptSummary", "build_records", "footprints_crs84", "PRODUCT_TYPES_BY_CLASS", "CONTENT_PROPERTIES"]

#: eol: product class -> product type name (docs/vocabulary.md).
PRODUCT_TYPES_BY_CLASS: dict[str, str] = {
    EOL + "ChangeMask": "change-mask",
    EOL + "CropTypeMap": "crop-type-map",
    EOL + "SeaIceChart": "sea-ice-chart",
    EOL + "OSMExtract": "osm-extract",
    EOL + "SceneCatalogue": "scene-catalogue",
}

#: Feature properties whose concept values summarise a product's content.
CONTENT_PROPERTIES: tuple[str, ...] = tuple(
    EOL + p
    for p in (
        "cropType", "changeClass", "stageOfDevelopmentA", "stageOfDevelopmentB", "stageOfDevelopmentC",
        "totalConcentration", "formOfIceA", "formOfIceB", "polygonType", "featureType",
    )
)

_PREFIXES = f"""PREFIX eol: <{EOL}> PREFIX dct: <{DCT}> PREFIX dcat: <{DCAT}> PREFIX geo: <{GEO}>
PREFIX prov: <{PROV}> PREFIX skos: <{SKOS}> PREFIX rdfs: <{RDFS}>
"""


@dataclass(frozen=True)
class ConceptSummary:
    """One code-list concept present in a product: how many features, how much area."""

    concept: str
    scheme: str
    label: str
    features: int
    area_ha: float | None


@dataclass
class CatalogueRecord:
    """A scene or a product as a catalogue record (fields named after DCAT/STAC where they exist)."""

    iri: str
    identifier: str
    kind: str  # "scene" or "product"
    product_type: str  # "scene" for scenes, else a product type (change-mask, …)
    title: str = ""
    description: str = ""
    platform: str | None = None
    mission: str | None = None
    instrument: str | None = None
    processing_level: str | None = None
    scene_type: str | None = None  # MSIL2A, GRDH, …
    start: datetime | None = None
    end: datetime | None = None
    footprint: Any = None  # shapely geometry, CRS84
    mgrs_tile: str | None = None
    relative_orbit: int | None = None
    absolute_orbit: int | None = None
    cloud_cover: float | None = None
    polarisation: str | None = None
    resolution_m: float | None = None
    in_product: str | None = None
    synthetic: bool | None = None
    derived_from: tuple[str, ...] = ()
    contents: tuple[ConceptSummary, ...] = ()
    names: tuple[str, ...] = ()  # feature names (OSM labels)
    change_area_ha: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def concept_iris(self) -> set[str]:
        """The concepts present in the record's features."""
        return {c.concept for c in self.contents}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (footprint as a GeoJSON-like bbox; times ISO).

        >>> CatalogueRecord("http://x/s", "s", "scene", "scene").as_dict()["kind"]
        'scene'
        """
        out: dict[str, Any] = {
            "iri": self.iri, "identifier": self.identifier, "kind": self.kind, "product_type": self.product_type,
            "title": self.title, "platform": self.platform, "mission": self.mission, "instrument": self.instrument,
            "processing_level": self.processing_level, "scene_type": self.scene_type,
            "start": _iso(self.start), "end": _iso(self.end), "mgrs_tile": self.mgrs_tile,
            "relative_orbit": self.relative_orbit, "absolute_orbit": self.absolute_orbit,
            "cloud_cover": self.cloud_cover, "polarisation": self.polarisation, "in_product": self.in_product,
            "derived_from": list(self.derived_from), "change_area_ha": self.change_area_ha,
            "bbox": None if self.footprint is None else [round(v, 6) for v in self.footprint.bounds],
            "contents": [
                {"concept": c.concept, "label": c.label, "features": c.features, "area_ha": c.area_ha}
                for c in self.contents
            ],
        }
        return {k: v for k, v in out.items() if v not in (None, [], "")}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(term: Any) -> str | None:
    return None if term is None else term.value


def _time(term: Any) -> datetime | None:
    if term is None:
        return None
    text = term.value.replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _rows(store: Store, sparql: str) -> list[tuple]:
    return store.query(_PREFIXES + sparql).rows


def footprints_crs84(lexicals: list[str]) -> np.ndarray:
    """CRS84 geometries of ``geo:wktLiteral`` lexical forms (vectorised per CRS).

    >>> g = footprints_crs84(["<http://www.opengis.net/def/crs/EPSG/0/32635> POINT (385900 6672300)"])[0]
    >>> round(g.x, 3), round(g.y, 3)
    (24.943, 60.172)
    """
    from eolink.sparql.geosparql.literals import parse_wkt_array, to_crs84

    if not lexicals:
        return np.empty(0, dtype=object)
    geoms, crss = parse_wkt_array(lexicals)
    out = np.asarray(geoms, dtype=object)
    for crs in set(crss.tolist()):
        mask = crss == crs
        out[mask] = to_crs84(out[mask], crs)
    return out


_SCENE_PROPS = {
    "identifier": DCT + "identifier", "product": EOL + "inProduct", "mission": EOL + "mission", "platform": EOL + "platform",
    "mode": EOL + "instrumentMode", "ptype": EOL + "productType", "level": EOL + "processingLevel",
    "start": EOL + "sensingStart", "end": EOL + "sensingEnd", "rel": EOL + "relativeOrbit", "abs": EOL + "absoluteOrbit",
    "tile": EOL + "mgrsTile", "cloud": EOL + "cloudCover", "pol": EOL + "polarisation",
}


def _scene_records(store: Store) -> list[CatalogueRecord]:
    # one narrow query per property (pivoted here) is far cheaper for pyoxigraph than one row per scene with
    # fourteen OPTIONALs: at 100 k scenes seconds instead of minutes
    values: dict[str, dict[str, Any]] = {}
    for key, prop in _SCENE_PROPS.items():
        for s, o in _rows(store, f"SELECT ?s ?o WHERE {{ ?s a eol:Scene ; <{prop}> ?o }}"):
            values.setdefault(key, {}).setdefault(s.value, o)
    wkts = dict((s.value, w.value) for s, w in _rows(store, "SELECT ?s ?wkt WHERE { ?s a eol:Scene ; geo:hasGeometry/geo:asWKT ?wkt }"))
    order = sorted(values.get("identifier", {}))
    get = {key: values.get(key, {}) for key in _SCENE_PROPS}
    records = []
    for iri in order:  # one record object per scene
        v = {key: get[key].get(iri) for key in _SCENE_PROPS}
        platform_text = _value(v["platform"])
        if platform_text is None and v["mission"] is not None:
            platform_text = "Sentinel-2" if v["mission"].value.startswith("S2") else "Sentinel-1"
        ident = v["identifier"].value
        records.append(CatalogueRecord(
            iri=iri, identifier=ident, kind="scene", product_type="scene",
            title=f"{platform_text or 'Scene'} {_value(v['ptype']) or ''} {ident}".replace("  ", " ").strip(),
            platform=platform_text, mission=_value(v["mission"]), instrument=_value(v["mode"]),
            processing_level=_value(v["level"]), scene_type=_value(v["ptype"]), start=_time(v["start"]),
            end=_time(v["end"]) or _time(v["start"]), mgrs_tile=_value(v["tile"]),
            relative_orbit=int(v["rel"].value) if v["rel"] is not None else None,
            absolute_orbit=int(v["abs"].value) if v["abs"] is not None else None,
            cloud_cover=float(v["cloud"].value) if v["cloud"] is not None else None, polarisation=_value(v["pol"]),
            in_product=_value(v["product"]),
        ))
    lexicals = [wkts.get(r.iri, "POINT EMPTY") for r in records]
    distinct = list(dict.fromkeys(lexicals))  # scenes of one tile share a footprint literal: parse it once
    parsed = dict(zip(distinct, footprints_crs84(distinct)))
    for record, lexical in zip(records, lexicals):
        geom = parsed[lexical]
        record.footprint = None if geom is None or shapely.is_empty(geom) else geom
    return records


def _concept_labels(store: Store) -> dict[str, tuple[str, str]]:
    rows = _rows(store, """SELECT ?c ?scheme ?label WHERE {
  ?c skos:inScheme ?scheme ; skos:prefLabel ?label FILTER(lang(?label) = "en" || lang(?label) = "") }""")
    return {c.value: (scheme.value, label.value) for c, scheme, label in rows}


def _product_records(store: Store) -> list[CatalogueRecord]:
    classes = " ".join(f"<{c}>" for c in PRODUCT_TYPES_BY_CLASS)
    rows = _rows(store, f"""
SELECT ?p ?class ?id ?title ?desc ?start ?end ?res ?syn WHERE {{
  VALUES ?class {{ {classes} }}
  GRAPH ?p {{ ?p a ?class ; dct:identifier ?id .
    OPTIONAL {{ ?p dct:title ?title }} OPTIONAL {{ ?p dct:description ?desc }}
    OPTIONAL {{ ?p eol:timeStart ?start }} OPTIONAL {{ ?p eol:timeEnd ?end }}
    OPTIONAL {{ ?p dcat:spatialResolutionInMeters ?res }} OPTIONAL {{ ?p eol:synthetic ?syn }} }}
}}""")
    records: dict[str, CatalogueRecord] = {}
    for p, cls, ident, title, desc, start, end, res, syn in rows:
        if p.value in records:
            continue
        records[p.value] = CatalogueRecord(
            iri=p.value, identifier=ident.value, kind="product", product_type=PRODUCT_TYPES_BY_CLASS[cls.value],
            title=_value(title) or ident.value, description=_value(desc) or "", start=_time(start), end=_time(end),
            resolution_m=float(res.value) if res is not None else None,
            synthetic=(syn.value == "true") if syn is not None else None,
        )
    if not records:
        return []
    lineage: dict[str, list[str]] = defaultdict(list)
    for p, scene in _rows(store, "SELECT ?p ?s WHERE { GRAPH ?p { ?p prov:wasDerivedFrom ?s } }"):
        if p.value in records:
            lineage[p.value].append(scene.value)
    labels = _concept_labels(store)
    props = " ".join(f"<{p}>" for p in CONTENT_PROPERTIES)
    contents: dict[str, dict[str, list]] = defaultdict(dict)
    for p, c, n, area in _rows(store, f"""
SELECT ?p ?c (COUNT(DISTINCT ?f) AS ?n) (SUM(?a) AS ?area) WHERE {{
  VALUES ?prop {{ {props} }} ?f eol:inProduct ?p ; ?prop ?c . OPTIONAL {{ ?f eol:areaM2 ?a }} }} GROUP BY ?p ?c"""):
        if p.value in records and c is not None:
            scheme, label = labels.get(c.value, ("", c.value.rsplit("/", 1)[-1]))
            contents[p.value][c.value] = [scheme, label, int(n.value), float(area.value) / 1e4 if area is not None else None]
    names: dict[str, set[str]] = defaultdict(set)
    for p, name in _rows(store, "SELECT DISTINCT ?p ?name WHERE { ?f eol:inProduct ?p ; rdfs:label ?name }"):
        names[p.value].add(name.value)
    hulls = _product_hulls(store, set(records) - {r for r, rec in records.items() if rec.product_type == "scene-catalogue"})
    for iri, record in records.items():
        record.derived_from = tuple(sorted(set(lineage.get(iri, ()))))
        record.contents = tuple(
            ConceptSummary(c, v[0], v[1], v[2], None if v[3] is None else round(v[3], 4))
            for c, v in sorted(contents.get(iri, {}).items())
        )
        record.names = tuple(sorted(names.get(iri, ())))
        record.footprint = hulls.get(iri)
        if record.product_type == "change-mask":
            record.change_area_ha = round(
                sum(c.area_ha or 0.0 for c in record.contents if not c.concept.endswith("/change-class/0")), 4
            )
    return list(records.values())


def _product_hulls(store: Store, products: set[str]) -> dict[str, Any]:
    """Convex hull (CRS84) of the features of each product."""
    out: dict[str, Any] = {}
    for product in sorted(products):  # a handful of products; each is one vectorised parse + hull
        rows = _rows(store, f"SELECT ?wkt WHERE {{ GRAPH <{product}> {{ ?f geo:hasGeometry/geo:asWKT ?wkt }} }}")
        geoms = footprints_crs84([r[0].value for r in rows])
        geoms = geoms[~shapely.is_empty(geoms)] if len(geoms) else geoms
        if len(geoms):
            out[product] = shapely.convex_hull(shapely.GeometryCollection(list(geoms)))
    return out


def build_records(store: Store) -> list[CatalogueRecord]:
    """All catalogue records of ``store``: its scenes, then its products (sorted by IRI within each kind).

    Parameters
    ----------
    store
        Any :class:`~eolink.stores.base.Store`.

    Returns
    -------
    list of CatalogueRecord
    """
    scenes = sorted(_scene_records(store), key=lambda r: r.iri)
    products = sorted(_product_records(store), key=lambda r: r.iri)
    scene_iris = {r.iri for r in scenes}
    for record in products:
        if record.product_type == "scene-catalogue":
            members = [s.footprint for s in scenes if s.in_product == record.iri and s.footprint is not None]
            record.extra["scenes"] = len(members)
            if members:
                record.footprint = shapely.convex_hull(shapely.GeometryCollection(members))
        record.derived_from = tuple(s for s in record.derived_from if s in scene_iris) or record.derived_from
    return scenes + products
