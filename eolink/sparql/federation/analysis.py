"""What the federator needs to know about a query: its triple patterns, top-level filters, SERVICE clauses.

The query is parsed with rdflib's SPARQL algebra. Triple patterns reachable from
the root through joins, filters, projections, groups and the left side of
``OPTIONAL`` are *required* (every solution matches them); the others (optional
sides, ``UNION`` branches, ``MINUS``, ``EXISTS``, subqueries, property-path
closures) are fetched without join restrictions. Filters written directly in the
outer group are found on the query text so that they can be sent to sources as
written (with the query's prefixes).

>>> a = analyse_query("SELECT * WHERE { ?s <http://ex/p> ?o FILTER(?o > 3) OPTIONAL { ?o <http://ex/q> ?z } }")
>>> [(p.render(), p.required) for p in a.patterns]
[('?s <http://ex/p> ?o', True), ('?o <http://ex/q> ?z', False)]
>>> a.filters[0].text, sorted(a.filters[0].variables)
('(?o > 3)', ['o'])
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from eolink.errors import FederationError, QueryError

__all__ = ["TriplePattern", "TopFilter", "ServiceClause", "QueryAnalysis", "analyse_query", "find_services", "prologue", "blank_strings"]

_GEOF = "http://www.opengis.net/def/function/geosparql/"
_VAR = re.compile(r"[?$]([A-Za-z0-9_\u00B7-\uFFFF]+)")
_WKT = re.compile(r'"((?:[^"\\]|\\.)*)"\s*\^\^\s*(?:<http://www\.opengis\.net/ont/geosparql#wktLiteral>|\w*:wktLiteral)')
_PREFIX_DECL = re.compile(r"(?:PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)", re.IGNORECASE)
#: geof: relations that can only hold when the two geometries' envelopes intersect.
_INTERSECTING = {
    "sfIntersects", "sfWithin", "sfContains", "sfOverlaps", "sfTouches", "sfCrosses", "sfEquals",
    "ehEquals", "ehCovers", "ehCoveredBy", "ehInside", "ehContains", "ehOverlap", "ehMeet",
    "rcc8eq", "rcc8ntpp", "rcc8ntppi", "rcc8tpp", "rcc8tppi", "rcc8po", "rcc8ec",
}


@dataclass(frozen=True)
class TriplePattern:
    """One triple pattern (rdflib terms; blank nodes act as variables)."""

    s: object
    p: object
    o: object
    required: bool = True

    def _term(self, term: object) -> str:
        from rdflib import BNode, Variable

        if isinstance(term, Variable):
            return "?" + str(term)
        if isinstance(term, BNode):
            return "?_b" + re.sub(r"\W", "_", str(term))
        return term.n3()  # type: ignore[attr-defined]

    def render(self) -> str:
        """The pattern as SPARQL text."""
        return f"{self._term(self.s)} {self._term(self.p)} {self._term(self.o)}"

    @property
    def variables(self) -> set[str]:
        """Names of the variables (blank nodes as ``_b…``)."""
        from rdflib import BNode, Variable

        out = set()
        for term in (self.s, self.p, self.o):
            if isinstance(term, Variable):
                out.add(str(term))
            elif isinstance(term, BNode):
                out.add("_b" + re.sub(r"\W", "_", str(term)))
        return out

    def constant(self, position: str) -> str | None:
        """The IRI or literal text at ``s``/``p``/``o`` when it is not a variable."""
        from rdflib import BNode, Variable

        term = getattr(self, position)
        return None if isinstance(term, (Variable, BNode)) else str(term)


@dataclass(frozen=True)
class TopFilter:
    """A ``FILTER`` of the outer group: its text (as written), variables, and spatial content."""

    text: str
    variables: frozenset[str]
    geof: bool
    exists: bool
    spatial_constant: object | None = None
    spatial_variable: str | None = None
    #: variable -> (lowest, highest) lexical date/dateTime it may take ("" = unbounded), from ``&&``-joined comparisons
    time_bounds: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class ServiceClause:
    """``SERVICE [SILENT] <iri> { … }``: where it is in the text, and its group."""

    iri: str
    silent: bool
    start: int
    end: int
    group: str


@dataclass
class QueryAnalysis:
    """See the module docstring."""

    form: str
    patterns: list[TriplePattern] = field(default_factory=list)
    filters: list[TopFilter] = field(default_factory=list)
    has_subquery: bool = False
    has_graph: bool = False

    @property
    def required_variables(self) -> set[str]:
        return set().union(*(p.variables for p in self.patterns if p.required)) if self.patterns else set()


def blank_strings(query: str) -> str:
    """The query with the inside of strings, IRIs and comments replaced by spaces (positions kept).

    >>> blank_strings('SELECT ?x { ?x ?p "a { b" }')
    'SELECT ?x { ?x ?p "     " }'
    """
    from eolink.sparql.guard import LEXICAL_TOKENS

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("#"):
            return " " * len(text)
        quote = 3 if text[:3] in ('"""', "'''") else 1
        return text[:quote] + " " * (len(text) - 2 * quote) + text[-quote:]

    return LEXICAL_TOKENS.sub(blank, query)


def _matching(blank: str, start: int, open_char: str, close_char: str) -> int:
    depth = 0
    for index in range(start, len(blank)):
        if blank[index] == open_char:
            depth += 1
        elif blank[index] == close_char:
            depth -= 1
            if depth == 0:
                return index
    raise QueryError(f"unbalanced {open_char}{close_char} in the query")


def prologue(query: str) -> str:
    """The ``PREFIX``/``BASE`` declarations of the query, one per line."""
    blank = blank_strings(query)
    return "\n".join(query[m.start() : m.end()] for m in _PREFIX_DECL.finditer(blank))


def find_services(query: str) -> list[ServiceClause]:
    """The ``SERVICE`` clauses of the query, outermost first (a variable IRI is refused)."""
    blank = blank_strings(query)
    out = []
    for match in re.finditer(r"(?<![?$:\w])SERVICE(\s+SILENT)?\s+(<[^>]*>|[?$]\w+|[\w.-]*:[\w.-]*)\s*\{", blank, re.IGNORECASE):
        target = query[match.start(2) : match.end(2)]
        if not target.startswith("<"):
            raise QueryError(f"SERVICE {target}: the federator accepts only SERVICE with a written-out endpoint IRI")
        open_at = match.end() - 1
        close_at = _matching(blank, open_at, "{", "}")
        if out and out[-1].start < match.start() < out[-1].end:
            continue  # nested inside an earlier SERVICE: that source evaluates it
        out.append(ServiceClause(target[1:-1], bool(match.group(1)), match.start(), close_at + 1, query[open_at + 1 : close_at]))
    return out


def _outer_group(blank: str) -> tuple[int, int] | None:
    where = re.search(r"(?<![?$:\w])WHERE\s*\{", blank, re.IGNORECASE)
    if where:
        start = where.end() - 1
    else:
        form = re.search(r"(?<![?$:\w])(SELECT|ASK|DESCRIBE)(?![\w])", blank, re.IGNORECASE)
        if not form:
            return None
        start = blank.find("{", form.end())
        if start < 0:
            return None
    return start, _matching(blank, start, "{", "}")


def _top_filters(query: str, blank: str) -> list[TopFilter]:
    span = _outer_group(blank)
    if span is None:
        return []
    start, end = span
    out = []
    depth = 0
    index = start + 1
    while index < end:
        char = blank[index]
        if char in "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and blank[index : index + 6].upper() == "FILTER" and not re.match(r"[\w?$:]", blank[index - 1]):
            cursor = index + 6
            while cursor < end and blank[cursor].isspace():
                cursor += 1
            paren = blank.find("(", cursor)
            if paren < 0 or paren > end:
                break
            close = _matching(blank, paren, "(", ")")
            text = query[cursor : close + 1]
            upper = blank[cursor : close + 1].upper()
            out.append(_describe_filter(text, "EXISTS" in upper))
            index = close
        index += 1
    return out


def _describe_filter(text: str, exists: bool) -> TopFilter:
    from eolink.sparql.geosparql import parse_wkt_literal

    variables = frozenset(_VAR.findall(blank_strings(text)))
    geof = "geof:" in text or _GEOF in text
    constant = variable = None
    call = re.match(r"\(?\s*(?:geof:|<" + re.escape(_GEOF) + r")(\w+)>?\s*\(\s*[?$](\w+)\s*,\s*(.*?)\s*\)\s*\)?\s*$", text, re.DOTALL)
    if call is None:
        call = re.match(r"\(?\s*(?:geof:|<" + re.escape(_GEOF) + r")(\w+)>?\s*\(\s*(.*?)\s*,\s*[?$](\w+)\s*\)\s*\)?\s*$", text, re.DOTALL)
        if call is not None:
            call = (call.group(1), call.group(3), call.group(2))
    else:
        call = (call.group(1), call.group(2), call.group(3))
    if call is not None and call[0] in _INTERSECTING and len(variables) == 1:
        literal = _WKT.fullmatch(call[2].strip())
        if literal:
            try:
                geometry, crs = parse_wkt_literal(literal.group(1).encode().decode("unicode_escape"))
                from eolink.sparql.geosparql import to_crs84

                constant, variable = to_crs84(geometry, crs), call[1]
            except Exception:  # noqa: BLE001 - an unparsable constant only disables pruning
                constant = variable = None
    return TopFilter(text, variables, geof, exists, constant, variable, _time_bounds(text))


_COMPARISON = re.compile(
    r'[?$](\w+)\s*(<=|>=|<|>|=)\s*"([^"]*)"\s*\^\^\s*(?:<http://www\.w3\.org/2001/XMLSchema#(?:date|dateTime)>|xsd:(?:date|dateTime))(?![\w])'
)


def _time_bounds(text: str) -> tuple[tuple[str, str, str], ...]:
    """Date ranges implied by a conjunction of comparisons ``?v OP "…"^^xsd:date(Time)`` (none if ``||`` or ``!``)."""
    blank = blank_strings(text)
    if "||" in blank or "!" in blank.replace("!=", "") or "!=" in blank:
        return ()
    bounds: dict[str, list[str]] = {}
    for var, op, value in _COMPARISON.findall(text):
        low, high = bounds.setdefault(var, ["", ""])
        if op in (">", ">=", "="):
            bounds[var][0] = max(low, value)
        if op in ("<", "<=", "="):
            bounds[var][1] = value if not high else min(high, value)
    return tuple((var, low, high) for var, (low, high) in bounds.items())


def _path_patterns(s: object, path: object, o: object, required: bool, fresh: itertools.count) -> list[TriplePattern]:
    from rdflib import URIRef, Variable
    from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath

    if isinstance(path, URIRef):
        return [TriplePattern(s, path, o, required)]
    if isinstance(path, InvPath):
        return _path_patterns(o, path.arg, s, required, fresh)
    if isinstance(path, SequencePath):
        out: list[TriplePattern] = []
        current = s
        for number, step in enumerate(path.args):
            target = o if number == len(path.args) - 1 else Variable(f"_path{next(fresh)}")
            out += _path_patterns(current, step, target, required, fresh)
            current = target
        return out
    if isinstance(path, AlternativePath):
        return [p for arg in path.args for p in _path_patterns(Variable(f"_path{next(fresh)}"), arg, Variable(f"_path{next(fresh)}"), False, fresh)]
    if isinstance(path, MulPath):
        return _path_patterns(Variable(f"_path{next(fresh)}"), path.path, Variable(f"_path{next(fresh)}"), False, fresh)
    if isinstance(path, NegatedPath):
        return [TriplePattern(Variable(f"_path{next(fresh)}"), Variable(f"_path{next(fresh)}"), Variable(f"_path{next(fresh)}"), False)]
    raise FederationError(f"unsupported property path {path!r}")


_UNARY = {"Filter", "Project", "Distinct", "Reduced", "Slice", "OrderBy", "Group", "AggregateJoin", "Extend",
          "SelectQuery", "AskQuery", "ConstructQuery", "DescribeQuery"}


def _keeps_required(name: str, key: str) -> bool:
    if name == "Join":
        return key in ("p1", "p2")
    if name in ("LeftJoin", "Minus"):
        return key == "p1"
    return name in _UNARY and key == "p"


def analyse_query(query: str) -> QueryAnalysis:
    """Parse ``query`` and collect its patterns and outer filters (see the module docstring)."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except ParseException as err:
        raise QueryError(f"SPARQL syntax error: {err}") from err
    except Exception as err:  # noqa: BLE001 - rdflib raises many kinds on odd queries
        raise QueryError(f"cannot analyse the query: {err}") from err
    analysis = QueryAnalysis(algebra.name.replace("Query", "").upper())
    fresh = itertools.count()
    seen: set[tuple[str, bool]] = set()

    def add(pattern: TriplePattern) -> None:
        key = (pattern.render(), pattern.required)
        if key not in seen:
            seen.add(key)
            analysis.patterns.append(pattern)

    def walk(node: object, required: bool) -> None:
        if isinstance(node, CompValue):
            name = node.name
            if name == "BGP":
                for s, p, o in node.triples:
                    for pattern in _path_patterns(s, p, o, required, fresh):
                        add(pattern)
                return
            if name == "Graph":
                analysis.has_graph = True
            if name == "ToMultiSet":
                analysis.has_subquery = True
            for key, value in node.items():
                if key.startswith("_"):
                    continue
                keeps = required and _keeps_required(name, key)
                walk(value, keeps)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item, required)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value, required)

    walk(algebra, True)
    # a subquery's variables are its own scope: its patterns are never join-restricted
    if analysis.has_subquery:
        analysis.patterns = [TriplePattern(p.s, p.p, p.o, p.required and not _inside_subquery(algebra, p)) for p in analysis.patterns]
    blank = blank_strings(query)
    analysis.filters = _top_filters(query, blank)
    return analysis


def _inside_subquery(algebra: object, pattern: TriplePattern) -> bool:
    from rdflib.plugins.sparql.parserutils import CompValue

    def contains(node: object, inside: bool) -> bool:
        if isinstance(node, CompValue):
            if node.name == "BGP":
                return inside and any((s, p, o) == (pattern.s, pattern.p, pattern.o) for s, p, o in node.triples)
            return any(contains(v, inside or node.name == "ToMultiSet") for k, v in node.items() if not k.startswith("_"))
        if isinstance(node, (list, tuple)):
            return any(contains(item, inside) for item in node)
        return False

    return contains(algebra, False)
