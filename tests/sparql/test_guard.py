"""Query guards run before any parser sees a query."""

from __future__ import annotations

import pytest

from eolink.errors import PayloadTooLargeError, QueryError
from eolink.sparql.guard import check_query, nesting_depth, service_iris


def test_depth_ignores_braces_in_strings_iris_and_comments():
    q = 'SELECT * WHERE { ?s ?p "{{{{" . ?s ?p \'\'\'}}}\'\'\' # {{{{\n }'
    assert nesting_depth(q) == 1


def test_deep_nesting_is_refused_before_parsing():
    with pytest.raises(QueryError, match="nests"):
        check_query("SELECT * WHERE " + "{" * 2500 + "?s ?p ?o" + "}" * 2500)


def test_size_limit():
    with pytest.raises(PayloadTooLargeError):
        check_query("SELECT * WHERE { ?s ?p ?o } #" + "x" * 2000, max_bytes=1000)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service silent <http://evil/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "PREFIX x: <http://evil/> SELECT * WHERE { SERVICE x:sparql { ?s ?p ?o } }",
    ],
)
def test_unconfigured_services_are_refused(query):
    with pytest.raises(QueryError, match="not a configured"):
        check_query(query)


def test_configured_service_and_lookalikes_pass():
    check_query("SELECT * WHERE { SERVICE <http://ok/sparql> { ?s ?p ?o } }", allowed_services={"http://ok/sparql"})
    check_query('SELECT ?service WHERE { ?service <http://e/p> "SERVICE <http://evil/>" . ?s <http://e/load> ?o }')
    assert service_iris("SELECT * { ?s ?p ?o }") == []


def test_load_is_refused():
    with pytest.raises(QueryError, match="LOAD"):
        check_query("LOAD <http://example.org/x.ttl> INTO GRAPH <http://g>")


def test_empty_query():
    with pytest.raises(QueryError):
        check_query("   ")
