"""The eolink ontology, code lists and SHACL shapes, and the namespace constants.

``EOL`` is the one namespace of eolink's own terms; code-list concepts and minted
resources have their own bases below. All Turtle files live beside this module.

>>> EOL + "CropField"
'https://w3id.org/eolink/ontology#CropField'
>>> codelist_iri("crop-type", 2)
'https://w3id.org/eolink/codelist/crop-type/2'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = [
    "EOL",
    "CODELIST",
    "RESOURCE",
    "LINKS_GRAPH",
    "GEO",
    "GEOF",
    "SF",
    "CRS84",
    "EPSG",
    "UOM",
    "PROV",
    "DCAT",
    "DCT",
    "SOSA",
    "SKOS",
    "TIME",
    "XSD",
    "RDF",
    "RDFS",
    "OWL",
    "OSM_KEY",
    "ONTOLOGY_DIR",
    "codelist_iri",
    "crs_iri",
    "ontology_files",
]

EOL = "https://w3id.org/eolink/ontology#"
CODELIST = "https://w3id.org/eolink/codelist/"
RESOURCE = "https://w3id.org/eolink/resource/"
LINKS_GRAPH = RESOURCE + "graph/links"

GEO = "http://www.opengis.net/ont/geosparql#"
GEOF = "http://www.opengis.net/def/function/geosparql/"
SF = "http://www.opengis.net/ont/sf#"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
UOM = "http://www.opengis.net/def/uom/OGC/1.0/"
PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SOSA = "http://www.w3.org/ns/sosa/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TIME = "http://www.w3.org/2006/time#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
OSM_KEY = "https://www.openstreetmap.org/wiki/Key:"

ONTOLOGY_DIR = Path(str(resources.files(__name__)))


def codelist_iri(scheme: str, code: object) -> str:
    """IRI of the concept ``code`` in the code list ``scheme``.

    >>> codelist_iri("ice-stage", "93")
    'https://w3id.org/eolink/codelist/ice-stage/93'
    """
    return f"{CODELIST}{scheme}/{code}"


def crs_iri(epsg: int | None) -> str:
    """GeoSPARQL CRS IRI for an EPSG code; ``None`` or 4326-as-lon/lat callers pass CRS84 themselves.

    >>> crs_iri(32635)
    'http://www.opengis.net/def/crs/EPSG/0/32635'
    >>> crs_iri(None)
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    """
    return CRS84 if epsg is None else f"{EPSG}{epsg}"


def ontology_files() -> list[Path]:
    """Every Turtle file of the ontology: ``eolink.ttl`` and the code lists (not the shapes).

    >>> any(p.name == "eolink.ttl" for p in ontology_files())
    True
    """
    files = [ONTOLOGY_DIR / "eolink.ttl"]
    files += sorted((ONTOLOGY_DIR / "codelists").glob("*.ttl"))
    return files
