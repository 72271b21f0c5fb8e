"""A GeoFedBench-like dataset and workload, generated with a fixed seed, split over sources.

Administrative units (a grid of polygons with names) and crop-type codes live in
one source; parcels (small rectangles with a crop type, an area and the unit they
are registered in) are split west/east of 13°E over two sources; dated snow
observations of parcels sit with the eastern parcels. Used by the federation
tests and ``benchmarks/federation.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EX", "generate", "WORKLOAD", "SPATIAL_QUERIES", "Dataset"]

EX = "http://example.org/gfb/"
GEO = "http://www.opengis.net/ont/geosparql#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
CROPS = ["Wheat", "Maize", "Barley", "Rapeseed", "Potato", "Grassland", "Sugar beet", "Oats"]
WEST, SOUTH, EAST, NORTH = 10.0, 46.0, 16.0, 49.0
PREFIXES = f"""PREFIX ex: <{EX}>
PREFIX geo: <{GEO}>
PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
PREFIX xsd: <{XSD}>
PREFIX skos: <{SKOS}>
"""


@dataclass
class Dataset:
    """N-Triples per source name, and the geometry of every parcel (for brute-force checks)."""

    parts: dict[str, str]
    parcel_wkt: dict[str, str]

    @property
    def union(self) -> str:
        return "".join(self.parts.values())


def _wkt(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"POLYGON (({x0:.6f} {y0:.6f}, {x1:.6f} {y0:.6f}, {x1:.6f} {y1:.6f}, {x0:.6f} {y1:.6f}, {x0:.6f} {y0:.6f}))"


def generate(units: int = 24, parcels: int = 600, observations: int = 200, *, seed: int = 7) -> Dataset:
    """The dataset: ``units`` admin units (a near-square grid), ``parcels`` parcels, ``observations`` observations."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(units * 2)))
    rows = int(np.ceil(units / cols))
    width, height = (EAST - WEST) / cols, (NORTH - SOUTH) / rows
    admin: list[str] = []
    for k, crop in enumerate(CROPS):
        admin.append(f'<{EX}crop/{k}> <{SKOS}prefLabel> "{crop}"@en .\n')
    for i in range(units):
        c, r = i % cols, i // cols
        x0, y0 = WEST + c * width, SOUTH + r * height
        u = f"<{EX}unit/{i}>"
        admin.append(f"{u} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}AdminUnit> .\n")
        admin.append(f'{u} <{EX}name> "Unit {i}" .\n')
        admin.append(f"{u} <{GEO}hasGeometry> <{EX}unit/{i}/geom> .\n")
        admin.append(f'<{EX}unit/{i}/geom> <{GEO}asWKT> "{_wkt(x0, y0, x0 + width, y0 + height)}"^^<{GEO}wktLiteral> .\n')
    west: list[str] = []
    east: list[str] = []
    wkts: dict[str, str] = {}
    xs = rng.uniform(WEST, EAST - 0.02, parcels)
    ys = rng.uniform(SOUTH, NORTH - 0.02, parcels)
    sizes = rng.uniform(0.002, 0.02, parcels)
    crops = rng.integers(0, len(CROPS), parcels)
    for j in range(parcels):
        p = f"<{EX}parcel/{j}>"
        unit = min(int((xs[j] - WEST) / width), cols - 1) + cols * min(int((ys[j] - SOUTH) / height), rows - 1)
        wkt = _wkt(xs[j], ys[j], xs[j] + sizes[j], ys[j] + sizes[j])
        wkts[f"{EX}parcel/{j}"] = wkt
        target = west if xs[j] < 13.0 else east
        target.append(f"{p} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Parcel> .\n")
        target.append(f"{p} <{EX}cropType> <{EX}crop/{crops[j]}> .\n")
        target.append(f'{p} <{EX}area> "{sizes[j] * sizes[j] * 1e4:.4f}"^^<{XSD}decimal> .\n')
        if unit < units:
            target.append(f"{p} <{EX}inUnit> <{EX}unit/{unit}> .\n")
        target.append(f"{p} <{GEO}hasGeometry> <{EX}parcel/{j}/geom> .\n")
        target.append(f'<{EX}parcel/{j}/geom> <{GEO}asWKT> "{wkt}"^^<{GEO}wktLiteral> .\n')
    days = rng.integers(0, 90, observations)
    depth = rng.integers(0, 120, observations)
    observed = rng.integers(0, parcels, observations)
    for k in range(observations):
        o = f"<{EX}obs/{k}>"
        day = np.datetime64("2024-01-01") + int(days[k])
        east.append(f"{o} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Observation> .\n")
        east.append(f"{o} <{EX}ofParcel> <{EX}parcel/{observed[k]}> .\n")
        east.append(f'{o} <{EX}snowDepth> "{depth[k]}"^^<{XSD}integer> .\n')
        east.append(f'{o} <{EX}date> "{day}"^^<{XSD}date> .\n')
    return Dataset({"admin": "".join(admin), "west": "".join(west), "east": "".join(east)}, wkts)


WINDOW = _wkt(11.0, 46.5, 11.6, 47.2)
#: name -> (kind, query). Kinds: thematic, spatial, temporal.
WORKLOAD: dict[str, tuple[str, str]] = {
    "Q1-crops-in-unit": ("thematic", PREFIXES + """SELECT ?label (COUNT(?p) AS ?n) WHERE {
  ?u ex:name "Unit 5" . ?p ex:inUnit ?u ; ex:cropType ?c . ?c skos:prefLabel ?label } GROUP BY ?label"""),
    "Q2-large-maize": ("thematic", PREFIXES + """SELECT ?p ?a WHERE {
  ?c skos:prefLabel "Maize"@en . ?p ex:cropType ?c ; ex:area ?a . FILTER(?a > 2.0) }"""),
    "Q3-parcel-unit-names": ("thematic", PREFIXES + """SELECT ?p ?name WHERE {
  ?p a ex:Parcel ; ex:inUnit ?u . ?u ex:name ?name . FILTER(STRSTARTS(?name, "Unit 1")) }"""),
    "Q4-window": ("spatial", PREFIXES + f"""SELECT ?p WHERE {{
  ?p a ex:Parcel ; geo:hasGeometry ?g . ?g geo:asWKT ?w .
  FILTER(geof:sfIntersects(?w, "{WINDOW}"^^geo:wktLiteral)) }}"""),
    "Q5-parcels-within-unit": ("spatial", PREFIXES + """SELECT ?p WHERE {
  ?u ex:name "Unit 3" ; geo:hasGeometry ?ug . ?ug geo:asWKT ?uw .
  ?p a ex:Parcel ; geo:hasGeometry ?pg . ?pg geo:asWKT ?pw . FILTER(geof:sfWithin(?pw, ?uw)) }"""),
    "Q6-january-deep-snow": ("temporal", PREFIXES + """SELECT ?o ?p ?label ?d WHERE {
  ?o ex:ofParcel ?p ; ex:date ?d ; ex:snowDepth ?s .
  FILTER(?d >= "2024-01-01"^^xsd:date && ?d < "2024-02-01"^^xsd:date && ?s > 60)
  ?p ex:cropType ?c . ?c skos:prefLabel ?label }"""),
    "Q7-snow-per-unit": ("temporal", PREFIXES + """SELECT ?name (COUNT(?o) AS ?n) (MAX(?s) AS ?deepest) WHERE {
  ?o ex:ofParcel ?p ; ex:date ?d ; ex:snowDepth ?s . FILTER(?d >= "2024-02-01"^^xsd:date)
  ?p ex:inUnit ?u . ?u ex:name ?name } GROUP BY ?name"""),
    "Q8-units-optional-obs": ("thematic", PREFIXES + """SELECT ?u ?o WHERE {
  ?u a ex:AdminUnit ; ex:name "Unit 2" . OPTIONAL { ?p ex:inUnit ?u . ?o ex:ofParcel ?p } }"""),
}
SPATIAL_QUERIES = {name for name, (kind, _) in WORKLOAD.items() if kind == "spatial"}
