"""Result formats round-trip through independent parsers (rdflib, csv, json)."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql.results.xmlresults import XMLResultParser

from eolink.sparql.results import QueryResult, negotiate, serialize, term_from_json, term_to_json

ROWS = [
    (ox.NamedNode("http://ex/a"), ox.Literal("chat", language="fr"), ox.Literal("1.5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#double"))),
    (ox.BlankNode("b0"), ox.Literal('quote " and, comma\nnewline'), None),
]
RESULT = QueryResult.select(["s", "label", "value"], ROWS)


def test_json_round_trip():
    data = json.loads(serialize(RESULT, "json"))
    assert data["head"]["vars"] == ["s", "label", "value"]
    back = [tuple(term_from_json(b[v]) if v in b else None for v in ["s", "label", "value"]) for b in data["results"]["bindings"]]
    assert back == ROWS


def test_xml_parses_with_rdflib():
    parsed = XMLResultParser().parse(io.BytesIO(serialize(RESULT, "xml")))
    assert [str(v) for v in parsed.vars] == ["s", "label", "value"]
    rows = list(parsed.bindings)
    assert str(rows[0][next(v for v in parsed.vars if str(v) == "label")]) == "chat"
    assert len(rows) == 2


def test_csv_and_tsv():
    rows = list(csv.reader(io.StringIO(serialize(RESULT, "csv").decode())))
    assert rows[0] == ["s", "label", "value"]
    assert rows[2][1] == 'quote " and, comma\nnewline'
    tsv = serialize(RESULT, "tsv").decode().split("\n")
    assert tsv[0] == "?s\t?label\t?value"
    assert tsv[1].startswith("<http://ex/a>\t\"chat\"@fr")


def test_ask_and_graph():
    assert json.loads(serialize(QueryResult.ask(False), "json")) == {"head": {}, "boolean": False}
    assert b"<boolean>true</boolean>" in serialize(QueryResult.ask(True), "xml")
    triple = ox.Triple(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("x"))
    assert serialize(QueryResult.graph([triple]), "ntriples").strip() == b'<http://e/a> <http://e/p> "x" .'


@pytest.mark.parametrize(
    ("accept", "kind", "expected"),
    [
        ("application/sparql-results+xml", "select", "xml"),
        ("text/tab-separated-values;q=0.5, text/csv;q=0.9", "select", "csv"),
        ("application/json", "select", "json"),
        ("*/*", "select", "json"),
        ("application/ld+json", "graph", "jsonld"),
        ("text/html", "graph", "turtle"),
    ],
)
def test_negotiation(accept, kind, expected):
    assert negotiate(accept, kind) == expected


def test_term_json_literal_typing():
    assert term_to_json(ox.Literal("x")) == {"type": "literal", "value": "x"}
