"""Cheap checks that run before a query reaches any SPARQL parser.

pyoxigraph aborts the whole process on a query nested a few thousand groups deep
(see PITFALLS.md), and its ``LOAD``/``SERVICE`` would fetch arbitrary URLs. So every
query and update passes :func:`check_query` first: size, nesting depth, and the
keywords that reach the network, found on the query text with its strings, IRIs
and comments blanked out.

>>> check_query("SELECT * WHERE { ?s ?p ?o }")
>>> check_query("SELECT * WHERE { SERVICE <http://evil/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
eolink.errors.QueryError: SERVICE <http://evil/> is not a configured federation source
"""

from __future__ import annotations

import re
from collections.abc import Collection

from eolink.errors import PayloadTooLargeError, QueryError

__all__ = ["check_query", "strip_literals", "nesting_depth", "service_iris", "LEXICAL_TOKENS"]

#: Strings, IRIs and comments of SPARQL text (one alternative each; none can start where another does).
LEXICAL_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
    re.DOTALL,
)
_SERVICE = re.compile(r"(?<![?$:\w])SERVICE(?:\s+SILENT)?\s+(<[^>]*>|\S+)", re.IGNORECASE)
_LOAD = re.compile(r"(?<![?$:\w])LOAD(?![\w:])", re.IGNORECASE)


def strip_literals(query: str, *, keep_iris: bool = True) -> str:
    """The query with strings blanked to ``""``, IRIs kept (or blanked to ``<>``), and comments removed.

    >>> strip_literals('SELECT ?x { ?x ?p "a { b" } # }')
    'SELECT ?x { ?x ?p "" } '
    """

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("#"):
            return ""
        if text.startswith("<"):
            return text if keep_iris else "<>"
        return '""'

    return LEXICAL_TOKENS.sub(blank, query)


def nesting_depth(query: str) -> int:
    """Deepest nesting of ``{}`` and ``()`` in the query (strings and comments ignored).

    >>> nesting_depth("SELECT * { { ?s ?p ?o } }")
    2
    """
    depth = best = 0
    for char in strip_literals(query):
        if char in "{(":
            depth += 1
            best = max(best, depth)
        elif char in "})":
            depth -= 1
    return best


def service_iris(query: str) -> list[str]:
    """The targets of ``SERVICE`` clauses, as written (IRIs with brackets, or variables/prefixed names)."""
    return [m.group(1) for m in _SERVICE.finditer(strip_literals(query))]


def check_query(
    query: str,
    *,
    max_bytes: int = 1_000_000,
    max_depth: int = 200,
    allowed_services: Collection[str] = (),
    allow_load: bool = False,
) -> None:
    """Raise :class:`~eolink.errors.QueryError` if the query must not reach the engine.

    ``allowed_services`` are IRIs (without brackets) that ``SERVICE`` may name.
    """
    if not isinstance(query, str) or not query.strip():
        raise QueryError("empty query")
    size = len(query.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise PayloadTooLargeError(f"query is {size} bytes; the limit is {max_bytes}")
    depth = nesting_depth(query)
    if depth > max_depth:
        raise QueryError(f"query nests {depth} levels deep; the limit is {max_depth}")
    for target in service_iris(query):
        iri = target[1:-1] if target.startswith("<") else target
        if iri not in allowed_services:
            raise QueryError(f"SERVICE {target} is not a configured federation source")
    if not allow_load and _LOAD.search(strip_literals(query, keep_iris=False)):
        raise QueryError("LOAD is not allowed: load files with `eolink load` or the Graph Store protocol")
