"""Namespace constants of the two RML vocabularies (and the function namespaces).

The current RML (``http://w3id.org/rml/``) carries everything in one namespace; the
legacy RML that GeoTriples used splits it over ``rml:`` (sources, references),
R2RML ``rr:`` (term maps), ``ql:`` (reference formulations) and ``fnml:``/``fno:``
(functions). :data:`PROPERTY` lists, for each concept, the IRIs that name it in
either vocabulary so that the parser reads both with one code path.

>>> str(RML.subjectMap)
'http://w3id.org/rml/subjectMap'
>>> [str(p) for p in PROPERTY["reference"]][:2]
['http://w3id.org/rml/reference', 'http://semweb.mmlab.be/ns/rml#reference']
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import RDF

__all__ = [
    "RML",
    "RML_LEGACY",
    "RR",
    "QL",
    "FNML",
    "FNO",
    "RRX",
    "RRXF",
    "EOLF",
    "GREL",
    "GREL_NEW",
    "GEO",
    "CSVW",
    "D2RQ",
    "EOLR",
    "RDF",
    "PROPERTY",
    "TERM_TYPES",
    "REFERENCE_FORMULATIONS",
    "DEFAULT_GRAPHS",
    "TRIPLES_MAP_CLASSES",
]

RML = Namespace("http://w3id.org/rml/")
RML_LEGACY = Namespace("http://semweb.mmlab.be/ns/rml#")
RR = Namespace("http://www.w3.org/ns/r2rml#")
QL = Namespace("http://semweb.mmlab.be/ns/ql#")
FNML = Namespace("http://semweb.mmlab.be/ns/fnml#")
FNO = Namespace("https://w3id.org/function/ontology#")
#: GeoTriples' R2RML extension (``rrx:function`` + ``rrx:argumentMap``) and its functions.
RRX = Namespace("http://www.w3.org/ns/r2rml-ext#")
RRXF = Namespace("http://www.w3.org/ns/r2rml-ext/functions/def/")
#: eolink's own FNML functions (geometry serialisations and measures).
EOLF = Namespace("https://w3id.org/eolink/functions#")
GREL = Namespace("http://users.ugent.be/~bjdmeest/function/grel.ttl#")
GREL_NEW = Namespace("https://w3id.org/grel#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
#: D2RQ database descriptions (``rml:source [ a d2rq:Database; d2rq:jdbcDSN "jdbc:postgresql://…" ]``).
D2RQ = Namespace("http://www.wiwiss.fu-berlin.de/suhl/bizer/D2RQ/0.1#")
#: eolink's RML extensions: the ``eolr:Features`` reference formulation (vector files read by the readers).
EOLR = Namespace("https://w3id.org/eolink/rml#")


def _both(name: str, *extra: URIRef) -> tuple[URIRef, ...]:
    return (RML[name], RML_LEGACY[name], RR[name], *extra)


#: concept -> IRIs naming it (current RML first, then legacy RML, then R2RML).
PROPERTY: dict[str, tuple[URIRef, ...]] = {
    "logicalSource": (RML.logicalSource, RML_LEGACY.logicalSource),
    "logicalTable": (RR.logicalTable,),
    "tableName": (RR.tableName,),
    "sqlQuery": (RR.sqlQuery, RML_LEGACY.query, RML.query),
    "source": (RML.source, RML_LEGACY.source),
    "path": (RML.path, CSVW.url),
    "root": (RML.root,),
    "iterator": (RML.iterator, RML_LEGACY.iterator),
    "referenceFormulation": (RML.referenceFormulation, RML_LEGACY.referenceFormulation),
    "subjectMap": (RML.subjectMap, RR.subjectMap),
    "subject": (RML.subject, RR.subject),
    "predicateObjectMap": (RML.predicateObjectMap, RR.predicateObjectMap),
    "predicateMap": (RML.predicateMap, RR.predicateMap),
    "predicate": (RML.predicate, RR.predicate),
    "objectMap": (RML.objectMap, RR.objectMap),
    "object": (RML.object, RR.object),
    "graphMap": (RML.graphMap, RR.graphMap),
    "graph": (RML.graph, RR.graph),
    "class": (RML["class"], RR["class"]),
    "template": (RML.template, RR.template),
    "reference": (RML.reference, RML_LEGACY.reference, RR.column),
    "constant": (RML.constant, RR.constant),
    "termType": (RML.termType, RR.termType),
    "datatype": (RML.datatype, RR.datatype),
    "language": (RML.language, RR.language),
    "languageMap": (RML.languageMap, RML_LEGACY.languageMap),
    "parentTriplesMap": (RML.parentTriplesMap, RR.parentTriplesMap),
    "joinCondition": (RML.joinCondition, RR.joinCondition),
    "child": (RML.child, RR.child),
    "parent": (RML.parent, RR.parent),
    # current RML-FNML
    "functionExecution": (RML.functionExecution,),
    "return": (RML["return"],),
    "returnMap": (RML.returnMap,),
    "function": (RML.function,),
    "functionMap": (RML.functionMap,),
    "input": (RML.input,),
    "parameter": (RML.parameter,),
    "parameterMap": (RML.parameterMap,),
    "inputValue": (RML.inputValue,),
    "inputValueMap": (RML.inputValueMap,),
    # legacy FNML and GeoTriples
    "functionValue": (FNML.functionValue,),
    "executes": (FNO.executes, URIRef("http://w3id.org/function/ontology#executes")),
    "rrxFunction": (RRX.function,),
    "rrxArguments": (RRX.argumentMap,),
}

#: term-type IRI -> "IRI" | "BlankNode" | "Literal".
TERM_TYPES: dict[URIRef, str] = {
    RML.IRI: "IRI",
    RML.URI: "IRI",
    RR.IRI: "IRI",
    RML.BlankNode: "BlankNode",
    RR.BlankNode: "BlankNode",
    RML.Literal: "Literal",
    RR.Literal: "Literal",
}

#: reference-formulation IRI -> "CSV" | "JSONPath" | "XPath" | "Features" | "SQL".
REFERENCE_FORMULATIONS: dict[URIRef, str] = {
    EOLR.Features: "Features",
    QL.SQL2008: "SQL",
    RML.SQL2008Table: "SQL",
    RML.SQL2008Query: "SQL",
    RR.SQL2008: "SQL",
    QL.CSV: "CSV",
    QL.JSONPath: "JSONPath",
    QL.XPath: "XPath",
    RML.CSV: "CSV",
    RML.JSONPath: "JSONPath",
    RML.XPath: "XPath",
}

DEFAULT_GRAPHS = frozenset({RR.defaultGraph, RML.defaultGraph})
TRIPLES_MAP_CLASSES = frozenset({RR.TriplesMap, RML.TriplesMap})
