"""The spatial query planner: answer spatial filters from the index, hand the rest to pyoxigraph.

The planner rewrites query *text*. For each ``FILTER`` it recognises, it adds a
``VALUES`` block to the filter's group that restricts the filtered variable(s) to
the geometry literals that satisfy it. The index proposes candidates by envelope;
for topological relations the planner then decides each candidate exactly with
the functions' own semantics, vectorised (:func:`exact_relation`: the same
parsing, the second geometry reprojected into the first one's CRS, the same GEOS
predicates and DE-9IM patterns), and removes the now-decided ``FILTER``; distance
filters are decided the same way (:mod:`eolink.sparql.distances`: vectorised, with the
function itself near the threshold). Answers equal
those without the planner provided the restricted variable is bound by a
mandatory ``geo:asWKT``/``asGML``/… triple pattern of the same group (or of a
``GRAPH`` block directly inside it) — the planner checks exactly that and
otherwise leaves the filter alone — which the planner-on/off property tests check.

Recognised forms (function IRIs written with any prefix or in full):

* selection: ``FILTER(geof:sfIntersects(?w, "…"^^geo:wktLiteral))``, any of the
  simple-feature, Egenhofer and RCC8 relations except the disjointness ones
  (``sfDisjoint``, ``ehDisjoint``, ``rcc8dc``), the constant on either side;
* distance: ``FILTER(geof:distance(?w, "…"^^geo:wktLiteral, uom:metre) < 100)``
  (also ``<=``, ``metricDistance``, units metre, degree, radian);
* join: ``FILTER(geof:sfIntersects(?w1, ?w2))`` — the literals one variable can
  take are read from the store first (the group's patterns, without filters, that
  bind it; the first side with at most :data:`MAX_SIDE_BINDINGS`), the index pairs
  each with every indexed literal whose envelope meets it, and the pairs become
  ``VALUES (?w1 ?w2)``.

Feature chains: when the filter's group is a plain basic graph pattern holding the chain
``?f a C ; geo:hasGeometry ?g . ?g geo:asWKT ?w`` (or its path form), the store's
feature view gives the chain's solutions for the accepted literals and the group
becomes a ``VALUES`` block of them plus its other patterns (see :mod:`eolink.sparql.chains`);
a query that is nothing but ``SELECT [DISTINCT] ?vars`` over such a group is answered
without pyoxigraph (:class:`DirectAnswer`). pyoxigraph would otherwise look up three
triples per answer row, which on a store of a million features costs more than the
whole spatial decision.

>>> from eolink.stores.embedded.spatial import SpatialIndex
>>> index = SpatialIndex(None)
>>> _ = index.add([("POINT (24.94 60.17)", GEO + "wktLiteral"), ("POINT (0 0)", GEO + "wktLiteral")])
>>> q = '''PREFIX geo: <http://www.opengis.net/ont/geosparql#>
... PREFIX geof: <http://www.opengis.net/def/function/geosparql/>
... SELECT ?f WHERE { ?f geo:asWKT ?w .
...   FILTER(geof:sfWithin(?w, "POLYGON((24 60, 26 60, 26 61, 24 61, 24 60))"^^geo:wktLiteral)) }'''
>>> plan = plan_query(q, index)
>>> plan.rewrites
1
>>> "VALUES ?w" in plan.query and "POINT (0 0)" not in plan.query
True
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

from eolink.errors import EolinkError
from eolink.sparql.guard import LEXICAL_TOKENS
from eolink.ontology import GEO, GEOF, UOM
from eolink.sparql.chains import (
    LITERAL, Chain, chain_barrier, chain_solutions, find_chain, pair_product, parse_triples, side_keys, values_block,
)
from eolink.stores.embedded.features import FeatureView
from eolink.stores.embedded.spatial import GEOMETRY_DATATYPES, GEOMETRY_PREDICATES, SpatialIndex

__all__ = ["Plan", "plan_query", "mask_query", "PREFIX_DECL", "SELECTION_RELATIONS", "MAX_JOIN_PAIRS", "MAX_SIDE_BINDINGS", "INLINE_VALUES_ROWS"]

#: Relations that imply the geometries' envelopes intersect (so the index can prune).
SELECTION_RELATIONS = frozenset(
    [f"sf{n}" for n in ("Equals", "Intersects", "Touches", "Crosses", "Within", "Contains", "Overlaps")]
    + [f"eh{n}" for n in ("Equals", "Meet", "Overlap", "Covers", "CoveredBy", "Inside", "Contains")]
    + [f"rcc8{n}" for n in ("eq", "ec", "po", "tppi", "tpp", "ntpp", "ntppi")]
)
_DISTANCE_FUNCTIONS = frozenset(["distance", "metricDistance"])
#: Above this many candidate pairs a join is left to the engine unrewritten (the VALUES text would be too large).
MAX_JOIN_PAIRS = 2_000_000
#: Selections with at most this many matching literals (or 1 % of the index) inline their VALUES block.
INLINE_VALUES_ROWS = 1_000
#: A join side with more distinct geometries than this is not materialised.
MAX_SIDE_BINDINGS = 200_000

PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)
_BASE_DECL = re.compile(r"BASE\s+<([^>]*)>", re.IGNORECASE)
_NAME = r"(?:<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|:[\w.-]*)"
_VAR = r"[?$][A-Za-z_][\w]*"
_STRING = r'(?:"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')'
_LITERAL = rf"{_STRING}\^\^{_NAME}"
_ARG = rf"(?:{_VAR}|{_LITERAL})"
_NUMBER = r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
_FILTER_CALL = re.compile(
    rf"FILTER\s*\(\s*(?P<fn>{_NAME})\s*\(\s*(?P<a>{_ARG})\s*,\s*(?P<b>{_ARG})\s*(?:,\s*(?P<u>{_NAME})\s*)?\)"
    rf"\s*(?:(?P<op><=|<)\s*(?P<d>{_NUMBER})\s*)?\)",
    re.IGNORECASE,
)


@dataclass
class DirectAnswer:
    """A query the planner answered whole: ``SELECT [DISTINCT] ?a ?b WHERE { chain FILTER }``.

    ``columns`` maps variable names to their values (pyoxigraph terms), ``rows`` long;
    variables of the projection that are not columns are unbound.
    """

    variables: list[str]
    columns: dict[str, np.ndarray]
    rows: int
    distinct: bool

    def solutions(self) -> list[tuple]:
        """The rows, in the order of ``variables`` (duplicates removed for ``DISTINCT``)."""
        unbound = np.full(self.rows, None, dtype=object)
        table = [self.columns.get(v, unbound).tolist() for v in self.variables]
        rows = list(zip(*table)) if table else [()] * self.rows
        return list(dict.fromkeys(rows)) if self.distinct else rows


@dataclass
class Plan:
    """A rewritten query and what the planner did."""

    query: str
    rewrites: int = 0
    notes: list[str] = field(default_factory=list)
    #: set when the planner's rewrite is the whole answer (the store then skips the engine)
    answer: DirectAnswer | None = None


def mask_query(query: str) -> str:
    """The query with the inside of strings and comments replaced by spaces (same length, same positions).

    >>> mask_query('SELECT ?x { ?x ?p "a { b" } # {')
    'SELECT ?x { ?x ?p "     " }    '
    >>> mask_query('SELECT * { ?x <http://e/o#p> ?y }')
    'SELECT * { ?x <http://e/o#p> ?y }'
    """

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("<"):
            return text  # IRIs stay (a '#' inside one is no comment)
        if text.startswith("#"):
            return " " * len(text)
        quote = 3 if text[:3] in ('"""', "'''") else 1
        return text[:quote] + " " * (len(text) - 2 * quote) + text[-quote:]

    return LEXICAL_TOKENS.sub(blank, query)


def _depths(masked: str) -> np.ndarray:
    """Brace depth at each character (the depth *inside* after an opening brace)."""
    codes = np.frombuffer(masked.encode("utf-32-le"), dtype=np.uint32)
    step = (codes == ord("{")).astype(np.int32) - (codes == ord("}")).astype(np.int32)
    depth = np.cumsum(step)
    # a closing brace belongs to the group it closes
    depth[codes == ord("}")] += 1
    return depth


class _Names:
    """Prefix resolution of one query."""

    def __init__(self, query: str) -> None:
        self.prefixes = {(m.group(1) or ""): m.group(2) for m in PREFIX_DECL.finditer(query)}

    def iri(self, name: str) -> str | None:
        if name.startswith("<"):
            return name[1:-1]
        prefix, _, local = name.partition(":")
        base = self.prefixes.get(prefix)
        return None if base is None else base + local

    def spellings(self, iri: str) -> list[str]:
        """Every way the query can write ``iri`` (full or prefixed)."""
        out = [re.escape(f"<{iri}>")]
        for prefix, base in self.prefixes.items():
            if iri.startswith(base) and re.fullmatch(r"[\w.-]*", iri[len(base):]):
                out.append(re.escape(f"{prefix}:{iri[len(base):]}") + r"(?![\w.:-])")
        return out


def _group_span(depth: np.ndarray, masked: str, position: int) -> tuple[int, int] | None:
    """(index of the ``{`` opening the group around ``position``, index of its ``}``)."""
    level = int(depth[position])
    if level <= 0:
        return None
    start = masked.rfind("{", 0, position)
    while start >= 0 and depth[start] != level:
        start = masked.rfind("{", 0, start)
    if start < 0:
        return None
    end = start + 1
    while end < len(masked):
        if masked[end] == "}" and depth[end] == level:
            return start, end
        end += 1
    return None


def _graph_blocks(masked: str, depth: np.ndarray, start: int, end: int, level: int) -> list[tuple[int, int]]:
    """Spans of ``GRAPH term { … }`` blocks directly inside the group (their patterns are mandatory too)."""
    blocks = []
    for match in re.finditer(rf"GRAPH\s+(?:{_VAR}|{_NAME})\s*\{{", masked[start:end], re.IGNORECASE):
        brace = start + match.end() - 1
        if depth[brace] != level + 1:
            continue
        close = brace + 1
        while close < end and not (masked[close] == "}" and depth[close] == level + 1):
            close += 1
        blocks.append((brace, close))
    return blocks


def _bound_by_geometry_pattern(
    masked: str, depth: np.ndarray, span: tuple[int, int], variable: str, names: _Names
) -> bool:
    """Whether ``variable`` is the object of a geometry-serialisation predicate, mandatory in the group."""
    start, end = span
    level = int(depth[start])
    spellings = [s for p in GEOMETRY_PREDICATES for s in names.spellings(p)]
    pattern = re.compile(rf"(?:{'|'.join(spellings)})\s+{re.escape(variable)}(?![\w])")
    allowed = [(start, end)] + _graph_blocks(masked, depth, start, end, level)
    for match in pattern.finditer(masked, start, end):
        at = match.start()
        for block_start, block_end in allowed:
            block_level = int(depth[block_start])
            if block_start <= at <= block_end and depth[at] == block_level:
                return True
    return False


@lru_cache(maxsize=1024)
def engine_number(text: str) -> float | None:
    """The value pyoxigraph gives a numeric literal written ``text`` when comparing it with a double.

    Not always Python's ``float(text)``: pyoxigraph's decimals hold 18 digits after the point
    (a longer one has no value) and their conversion to double is not correctly rounded.

    >>> engine_number("200"), engine_number("1e-3")
    (200.0, 0.001)
    >>> engine_number("0.1234567890123456789") is None
    True
    """
    import pyoxigraph as ox

    rows = list(ox.Store().query(f"SELECT ?d WHERE {{ BIND(<{XSD_DOUBLE}>({text}) AS ?d) }}"))
    value = rows[0]["d"] if rows else None
    return float(value.value) if isinstance(value, ox.Literal) else None


XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"


def _constant(text: str, names: _Names) -> tuple[str, str] | None:
    """(lexical, datatype) of a literal argument written ``"…"^^dt``; None when not a geometry literal."""
    match = re.fullmatch(rf"({_STRING})\^\^({_NAME})", text, re.DOTALL)
    if not match:
        return None
    datatype = names.iri(match.group(2))
    if datatype not in GEOMETRY_DATATYPES:
        return None
    raw = match.group(1)[1:-1]
    lexical = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), raw)
    return lexical, datatype


def _constant_value(literal: tuple[str, str]) -> tuple[object, str] | None:
    """The constant parsed exactly as the geof: functions parse it; None when it does not parse."""
    from eolink.sparql.geosparql.terms import parse_geometry

    try:
        value = parse_geometry(*literal)
    except EolinkError:
        return None
    return value.geometry, value.crs


def _envelope(geometry: object, crs: str) -> tuple[float, float, float, float] | None:
    from eolink.stores.embedded.spatial import _envelopes_crs84

    env = _envelopes_crs84(np.array([geometry], dtype=object), np.array([crs], dtype=object))[0]
    return None if np.isnan(env).any() else tuple(float(v) for v in env)  # type: ignore[return-value]


def exact_relation(
    relation: str, a: np.ndarray, a_crs: np.ndarray, b: np.ndarray, b_crs: np.ndarray
) -> np.ndarray:
    """Vectorised ``geof:<relation>(a[i], b[i])`` with the functions' semantics (``b`` reprojected into ``a``'s CRS).

    Pairs where a geometry is missing or cannot be reprojected are False (the function gives an error there).
    """
    from eolink.sparql.geosparql.literals import transform_geometry
    from eolink.sparql.geosparql.relations import EGENHOFER_PATTERNS, RCC8_PATTERNS

    n = len(a)
    ok = ~(shapely.is_missing(a) | shapely.is_missing(b))
    aligned = np.array(b, dtype=object, copy=True)
    for ca, cb in set(zip(a_crs[ok].tolist(), b_crs[ok].tolist())):
        if ca == cb:
            continue
        mask = ok & (a_crs == ca) & (b_crs == cb)
        try:
            moved = transform_geometry(aligned[mask], cb, ca)
        except EolinkError:
            ok &= ~mask
            continue
        aligned[mask] = moved
        finite = np.array([np.isfinite(shapely.get_coordinates(g)).all() for g in moved], dtype=bool)
        bad = np.flatnonzero(mask)[~finite]
        ok[bad] = False
    result = np.zeros(n, dtype=bool)
    if not ok.any():
        return result
    left, right = a[ok], aligned[ok]
    if relation in _SF_PREDICATES:
        result[ok] = _SF_PREDICATES[relation](left, right)
    else:
        patterns = {**EGENHOFER_PATTERNS, **RCC8_PATTERNS}[relation]
        hit = np.zeros(len(left), dtype=bool)
        for pattern in patterns:
            hit |= shapely.relate_pattern(left, right, pattern)
        result[ok] = hit
    return result


def _transpose(pattern: str) -> str:
    """The DE-9IM pattern of the converse relation (rows and columns swapped).

    >>> _transpose("T*F**FFF*")
    'T*F**FFF*'
    >>> _transpose("TFF*TFT**")
    'T*TFT*FF*'
    """
    return "".join(pattern[3 * j + i] for i in range(3) for j in range(3))


#: The Simple Features relations as GEOS's vectorised predicates (what the geof: functions use).
_SF_PREDICATES = {
    "sfEquals": shapely.equals, "sfIntersects": shapely.intersects, "sfTouches": shapely.touches,
    "sfCrosses": shapely.crosses, "sfWithin": shapely.within, "sfContains": shapely.contains,
    "sfOverlaps": shapely.overlaps,
}
_CONVERSE = {
    "sfEquals": "sfEquals", "sfIntersects": "sfIntersects", "sfTouches": "sfTouches", "sfCrosses": "sfCrosses",
    "sfOverlaps": "sfOverlaps", "sfWithin": "sfContains", "sfContains": "sfWithin",
}


def exact_relation_with_constant(
    relation: str, constant: object, constant_crs: str, geoms: np.ndarray, crss: np.ndarray, *, constant_first: bool
) -> np.ndarray:
    """``geof:<relation>(C, g)`` (``constant_first``) or ``geof:<relation>(g, C)`` for every ``g``, exactly.

    The constant is prepared once and always put first (GEOS uses a prepared first
    argument), so ``relation(g, C)`` is evaluated as its converse ``relation'(C, g)``.
    """
    from eolink.sparql.geosparql.literals import transform_geometry
    from eolink.sparql.geosparql.relations import EGENHOFER_PATTERNS, RCC8_PATTERNS

    result = np.zeros(len(geoms), dtype=bool)
    present = ~shapely.is_missing(geoms)
    if constant_first:
        # the literal side is reprojected into the constant's CRS, as the function does
        return exact_relation(relation, np.full(len(geoms), constant, dtype=object),
                              np.full(len(geoms), constant_crs, dtype=object), geoms, crss)
    for crs in set(crss[present].tolist()):
        mask = present & (crss == crs)
        try:
            c = constant if crs == constant_crs else transform_geometry(constant, constant_crs, crs)
        except EolinkError:
            continue
        if c is None or not np.isfinite(shapely.get_coordinates(c)).all():
            continue
        c = shapely.from_wkb(shapely.to_wkb(c))  # a private copy to prepare
        shapely.prepare(c)
        group = geoms[mask]
        if relation in _CONVERSE:
            result[mask] = _SF_PREDICATES[_CONVERSE[relation]](c, group)
        else:
            hit = np.zeros(len(group), dtype=bool)
            for pattern in {**EGENHOFER_PATTERNS, **RCC8_PATTERNS}[relation]:
                hit |= shapely.relate_pattern(c, group, _transpose(pattern))
            result[mask] = hit
    return result


def _expand(envelope: tuple[float, float, float, float], distance: float, unit: str | None) -> tuple[float, float, float, float] | None:
    """Grow a CRS84 envelope by a distance, conservatively.

    Angular units are arcs on the sphere (one degree ≈ 111 195 m, see
    :mod:`eolink.sparql.geosparql.units`), so every unit becomes metres first; a
    degree of longitude is shorter than a degree of latitude away from the equator.
    """
    minx, miny, maxx, maxy = envelope
    metres_per_unit = {UOM + "metre": 1.0, UOM + "degree": 111_195.08, UOM + "radian": 111_195.08 * 180 / math.pi}
    if unit is None:
        unit = UOM + "metre"
    if unit not in metres_per_unit:
        return None
    metres = distance * metres_per_unit[unit]
    dlat = metres / 110_000.0  # metres per degree of latitude is ≥ 110 574
    lat = min(89.9, max(abs(miny), abs(maxy)) + dlat)
    dlon = metres / (111_000.0 * math.cos(math.radians(lat)))
    if unit != UOM + "metre":
        # a planar distance in the units of a geographic CRS is covered too
        dlat, dlon = max(dlat, distance), max(dlon, distance)
    if dlat > 90 or dlon > 180:
        return (-180.0, -90.0, 180.0, 90.0)
    return (minx - dlon * 1.01, miny - dlat * 1.01, maxx + dlon * 1.01, maxy + dlat * 1.01)


def _term(literal: tuple[str, str]) -> str:
    lexical, datatype = literal
    escaped = lexical.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"^^<{datatype}>'


@dataclass
class _Rewrite:
    insert_at: int
    text: str
    #: span of a FILTER the VALUES block decides exactly (removed from the query), if any
    decided: tuple[int, int] | None = None
    #: the whole group body is replaced by ``text`` (a feature-chain rewrite, see :mod:`eolink.sparql.chains`)
    replaces: tuple[int, int] | None = None
    #: for a chain rewrite whose group keeps nothing else: its VALUES columns as terms, and their length
    bare: tuple[Callable[[], dict[str, np.ndarray]], int] | None = None
    #: the replacing text, built only when needed (a direct answer needs none)
    body: Callable[[], str] | None = None


@dataclass
class _ChainContext:
    """What a feature-chain rewrite needs besides the filter itself."""

    view: FeatureView
    #: the group spans holding exactly one recognised filter
    single: set[tuple[int, int]]
    query: str
    masked: str


def plan_query(
    query: str,
    index: SpatialIndex,
    *,
    binding_source: Callable[[str], list[tuple[str, str]]] | None = None,
    view: FeatureView | None = None,
) -> Plan:
    """Rewrite ``query`` so that recognised spatial filters are answered from ``index``.

    ``binding_source(sparql)`` runs a helper ``SELECT DISTINCT ?v`` query and returns
    the (lexical, datatype) literals of ``?v``; it is needed for joins only. With a usable
    ``view`` (the store's feature view, for queries over the union default graph),
    feature–geometry chains are answered from it (:mod:`eolink.sparql.chains`).
    """
    masked = mask_query(query)
    if "FILTER" not in masked.upper():
        return Plan(query)
    names = _Names(query)
    depth = _depths(masked)
    rewrites: list[_Rewrite] = []
    notes: list[str] = []
    matches = list(_FILTER_CALL.finditer(masked))
    spans = [_group_span(depth, masked, m.start()) for m in matches]
    context = None
    if view is not None and view.usable:
        barrier = chain_barrier(masked)
        if barrier is None:
            single = {sp for sp in spans if sp is not None and spans.count(sp) == 1}
            context = _ChainContext(view, single, query, masked)
        else:
            notes.append(f"feature view not used: {barrier}")
    for match, span in zip(matches, spans):
        function = names.iri(match.group("fn"))
        if function is None or not function.startswith(GEOF):
            continue
        local = function[len(GEOF):]
        a_text = query[match.start("a"):match.end("a")]
        b_text = query[match.start("b"):match.end("b")]
        if span is None:
            continue
        is_distance = local in _DISTANCE_FUNCTIONS and match.group("op")
        if is_distance and engine_number(match.group("d")) is None:
            continue  # a number the engine cannot read (e.g. a decimal with over 18 digits after the point)
        if not is_distance and (local not in SELECTION_RELATIONS or match.group("op") or match.group("u")):
            continue
        a_var = a_text if a_text[0] in "?$" else None
        b_var = b_text if b_text[0] in "?$" else None
        chains = context if context is not None and span in context.single else None
        if a_var and b_var and not is_distance:
            rewrite = _plan_join(masked, depth, span, a_var, b_var, names, index, binding_source, query, notes, local,
                                 chains=chains, filter_span=(match.start(), match.end()))
        else:
            variable, constant_text = (a_var, b_text) if a_var else (b_var, a_text)
            if variable is None:
                continue
            rewrite = _plan_selection(
                masked, depth, span, variable, constant_text, names, index, notes,
                distance=engine_number(match.group("d")) if is_distance else None,
                unit=names.iri(match.group("u")) if match.group("u") else None,
                relation=None if is_distance else local,
                constant_first=a_var is None,
                function=local,
                op=match.group("op"),
                chains=chains,
                filter_span=(match.start(), match.end()),
            )
        if rewrite is not None:
            if rewrite.decided is not None:
                rewrite.decided = (match.start(), match.end())
            rewrites.append(rewrite)
    if not rewrites:
        return Plan(query, 0, notes)
    if len(rewrites) == 1 and rewrites[0].bare is not None and rewrites[0].replaces is not None:
        answer = _direct_answer(masked, rewrites[0])
        if answer is not None:
            notes.append("answered from the index and the feature view alone")
            return Plan(query, 1, notes, answer)
    edits: list[tuple[int, int, str]] = []
    for rewrite in rewrites:
        if rewrite.replaces is not None:
            edits.append((rewrite.replaces[0], rewrite.replaces[1], rewrite.text if rewrite.body is None else rewrite.body()))
            continue
        edits.append((rewrite.insert_at, rewrite.insert_at, rewrite.text))
        if rewrite.decided is not None:
            edits.append((rewrite.decided[0], rewrite.decided[1], " "))
    out = query
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + text + out[end:]
    return Plan(out, len(rewrites), notes)


def _plan_selection(
    masked: str,
    depth: np.ndarray,
    span: tuple[int, int],
    variable: str,
    constant_text: str,
    names: _Names,
    index: SpatialIndex,
    notes: list[str],
    *,
    distance: float | None,
    unit: str | None,
    relation: str | None = None,
    constant_first: bool = False,
    function: str = "",
    op: str | None = None,
    chains: _ChainContext | None = None,
    filter_span: tuple[int, int] = (0, 0),
) -> _Rewrite | None:
    if not _bound_by_geometry_pattern(masked, depth, span, variable, names):
        notes.append(f"{variable}: not bound by a geometry pattern of its group; filter evaluated without the index")
        return None
    literal = _constant(constant_text, names)
    if literal is None:
        return None
    value = _constant_value(literal)
    envelope = None if value is None else _envelope(*value)
    if value is None or envelope is None:
        # a malformed or unparseable constant: the function is an error for every row, so nothing matches
        return _Rewrite(span[0] + 1, f" VALUES {variable} {{ }} ")
    if distance is not None:
        envelope = _expand(envelope, distance, unit)
        if envelope is None:
            return None
    rows = index.candidates(envelope)
    literals: list[tuple[str, str]] | None = None
    if relation is not None and len(rows):
        geoms, crss = index.geometries(rows)
        keep = exact_relation_with_constant(relation, value[0], value[1], geoms, crss, constant_first=constant_first)
        notes.append(f"{variable}: {len(rows)} candidate geometries from the index, {int(keep.sum())} exact matches")
        rows = rows[keep]
    else:
        literals = index.literals(rows)
        if len(rows) and distance is not None and op is not None:
            from eolink.sparql.distances import decide_distance

            geoms, crss = index.geometries(rows)
            keep = decide_distance(literal, constant_first, function, unit, op, distance, literals, geoms, crss)
            notes.append(f"{variable}: {len(rows)} candidate geometries from the index, {int(keep.sum())} within the distance")
            literals = [lit for lit, k in zip(literals, keep.tolist()) if k]
            rows = rows[keep]
        else:
            notes.append(f"{variable}: {len(rows)} candidate geometries from the index")
    if chains is not None:
        rewrite = _chain_selection(chains, span, filter_span, variable, names, index, rows, literals, notes)
        if rewrite is not None:
            return rewrite
    if literals is None:
        literals = index.literals(rows)
    terms = " ".join(_term(lit) for lit in literals)
    # the VALUES rows are exactly the literals the (relation or distance) filter accepts
    decided = (0, 0)
    if len(rows) <= max(INLINE_VALUES_ROWS, len(index) // 100):
        # few rows: inline, so that pyoxigraph looks each one up (index nested loops)
        return _Rewrite(span[0] + 1, f" VALUES {variable} {{ {terms} }} ", decided)
    # many rows: in a sub-select, which pyoxigraph hash-joins with the group
    return _Rewrite(span[0] + 1, f" {{ SELECT {variable} WHERE {{ VALUES {variable} {{ {terms} }} }} }} ", decided)


def _related_pairs(index: SpatialIndex, position: int, rows: np.ndarray, relation: str) -> tuple[int, np.ndarray, np.ndarray]:
    """(candidate pairs, left rows, right rows): the indexed literals ``relation``-related to ``rows``,
    which are the join's left side (``position`` 0) or its right side (1), decided exactly."""
    mine, others = index.neighbours(rows)
    left, right = (mine, others) if position == 0 else (others, mine)
    candidates = len(left)
    if candidates:
        lg, lc = index.geometries(left)
        rg, rc = index.geometries(right)
        keep = exact_relation(relation, lg, lc, rg, rc)
        left, right = left[keep], right[keep]
    return candidates, left, right


def _plan_join(
    masked: str,
    depth: np.ndarray,
    span: tuple[int, int],
    a_var: str,
    b_var: str,
    names: _Names,
    index: SpatialIndex,
    binding_source: Callable[[str], list[tuple[str, str]]] | None,
    query: str,
    notes: list[str],
    relation: str,
    *,
    chains: _ChainContext | None = None,
    filter_span: tuple[int, int] = (0, 0),
) -> _Rewrite | None:
    if a_var == b_var:
        return None
    if chains is not None and all(_bound_by_geometry_pattern(masked, depth, span, v, names) for v in (a_var, b_var)):
        rewrite = _chain_join(chains, span, filter_span, a_var, b_var, names, index, notes, relation)
        if rewrite is not None:
            return rewrite
    if binding_source is None:
        return None
    if not all(_bound_by_geometry_pattern(masked, depth, span, v, names) for v in (a_var, b_var)):
        notes.append(f"{a_var}, {b_var}: not both bound by geometry patterns of the group; join left to the engine")
        return None
    start, end = span
    if re.search(r"(?<![\w?$:])MINUS(?![\w:])", masked[start:end], re.IGNORECASE):
        return None  # removing filters inside MINUS could shrink a side: no over-approximation
    # The group's text without its FILTERs is a sound over-approximation of each side's bindings;
    # for a plain basic graph pattern, only the triples connected to the variable are kept, so
    # that the helper query does not form the cross product of the two sides.
    body = _strip_filters(query[start + 1:end], masked[start + 1:end])
    prologue = "\n".join(m.group(0) for m in PREFIX_DECL.finditer(query))
    base = _BASE_DECL.search(query)
    if base:
        prologue = base.group(0) + "\n" + prologue
    # Only the side with fewer distinct geometries is materialised (each side's query is cut
    # at the smaller count seen so far); its partners are any indexed literal near it, and the
    # group's own patterns then keep the right ones.
    best: tuple[int, np.ndarray] | None = None
    sides = [connected_patterns(body, v) or body for v in (a_var, b_var)]
    cap = 1024
    while best is None and cap <= MAX_SIDE_BINDINGS * 8:  # caps grow so the smaller side is found cheaply
        cap = min(cap, MAX_SIDE_BINDINGS)
        for position, variable in enumerate((a_var, b_var)):
            try:
                literals = binding_source(f"{prologue}\nSELECT DISTINCT {variable} WHERE {{ {sides[position]} }} LIMIT {cap + 1}")
            except (EolinkError, SyntaxError, ValueError, OSError):
                return None  # the helper query is an optimisation only
            if len(literals) <= cap:
                best = (position, index.rows_of(literals))
                break
        if cap == MAX_SIDE_BINDINGS:
            break
        cap *= 16
    if best is None:
        notes.append(f"{a_var} × {b_var}: both sides have over {MAX_SIDE_BINDINGS} geometries; join left to the engine")
        return None
    position, rows = best
    candidates, left, right = _related_pairs(index, position, rows, relation)
    notes.append(f"{a_var} × {b_var}: {candidates} candidate pairs from the index, {len(left)} exact matches"
                 if candidates else f"{a_var} × {b_var}: no candidate pairs")
    if len(left) > MAX_JOIN_PAIRS:
        notes.append(f"{a_var} × {b_var}: {len(left)} pairs; join left to the engine")
        return None
    left_terms = [_term(x) for x in index.literals(left)]
    right_terms = [_term(x) for x in index.literals(right)]
    rows_text = " ".join(f"({l} {r})" for l, r in zip(left_terms, right_terms))
    # inside a sub-select: pyoxigraph then hash-joins it with the group (an inline VALUES block
    # is nested-loop joined, 100× slower on 100 k features). Numbering the literals and reading
    # them back through a custom function in BIND (or LATERAL) would shorten the text, but
    # pyoxigraph 0.5 then evaluates the group's cross product: measured minutes instead of seconds.
    return _Rewrite(start + 1, f" {{ SELECT {a_var} {b_var} WHERE {{ VALUES ({a_var} {b_var}) {{ {rows_text} }} }} }} ", (0, 0))


# -- feature chains (see eolink.sparql.chains) ---------------------------------------------------

_NOT_PLAIN = re.compile(r"[{}()\[\]]|(?<![?$\w:])(BIND|VALUES|OPTIONAL|MINUS|SERVICE|GRAPH|FILTER|UNION)(?![\w:])", re.IGNORECASE)
_STAR = re.compile(r"(?<![\w:])(SELECT|DESCRIBE)\s+(?:(?:DISTINCT|REDUCED)\s+)?\*", re.IGNORECASE)


@dataclass
class _Group:
    """A group that is a plain basic graph pattern plus filters, split for regeneration."""

    triples: list
    #: the group's other FILTERs, as written
    filters: list[str]


def _plain_group(context: _ChainContext, span: tuple[int, int], decided: tuple[int, int]) -> _Group | None:
    query, masked = context.query, context.masked
    start, end = span
    filters: list[str] = []
    pieces: list[str] = []
    position = start + 1
    for match in re.finditer(r"FILTER\s*\(", masked[start + 1:end], re.IGNORECASE):
        at = start + 1 + match.start()
        if at < position:
            continue
        level, cursor = 1, start + 1 + match.end()
        while cursor < end and level:
            level += {"(": 1, ")": -1}.get(masked[cursor], 0)
            cursor += 1
        pieces.append(query[position:at])
        if (at, cursor) != decided and not (at <= decided[0] < cursor):
            filters.append(query[at:cursor])
        position = cursor
    pieces.append(query[position:end])
    rest = strip_comments(" ".join(pieces))
    if _NOT_PLAIN.search(mask_query(rest)):
        return None
    triples = parse_triples(rest)
    if triples is None:
        return None
    return _Group(triples, filters)


def _mentioned_elsewhere(context: _ChainContext, span: tuple[int, int], group: _Group, kept: list) -> Callable[[str], bool]:
    """Whether a variable (name without sigil) occurs in the query outside the replaced patterns and filter."""
    masked = context.masked
    start, end = span
    if _STAR.search(masked):
        return lambda name: True
    outside = masked[:start + 1] + " " + mask_query(" ".join(t.text() for t in kept) + " " + " ".join(group.filters)) + " " + masked[end:]
    return lambda name: re.search(rf"[?$]{re.escape(name)}(?!\w)", outside) is not None


_SIMPLE_SELECT = re.compile(
    r"\s*(?:(?:PREFIX\s+(?:[A-Za-z][\w.-]*)?:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*"
    r"SELECT\s+(?P<modifier>DISTINCT\s+|REDUCED\s+)?(?P<variables>(?:[?$][A-Za-z_]\w*\s*)+)(?:WHERE\s*)?",
    re.IGNORECASE,
)


def _direct_answer(masked: str, rewrite: _Rewrite) -> DirectAnswer | None:
    """The answer itself when the query is nothing but a projection of the rewritten group."""
    start, end = rewrite.replaces  # type: ignore[misc]
    head = _SIMPLE_SELECT.fullmatch(masked, 0, start - 1)
    if head is None or masked[start - 1] != "{" or masked[end + 1:].strip():
        return None
    columns_of, rows = rewrite.bare  # type: ignore[misc]
    variables = list(dict.fromkeys(v[1:] for v in head.group("variables").split()))
    return DirectAnswer(variables, columns_of(), rows, distinct=(head.group("modifier") or "").strip().upper() == "DISTINCT")


def _emitted(chain: Chain, solution: dict[str, np.ndarray], used: Callable[[str], bool],
             literals: Callable[[], list[tuple[str, str]]]) -> list[tuple[str, np.ndarray, Callable[[], np.ndarray]]] | None:
    """The VALUES columns of one chain: (name, SPARQL texts, terms); ``None`` when a value to emit is a blank node.

    ``literals()`` gives the literals ``solution[LITERAL]`` points into.
    """
    import pyoxigraph as ox

    columns = []
    for name in chain.variables():
        if not used(name):
            continue
        if name == chain.literal_var:
            pick = solution[LITERAL]
            pairs = literals()
            texts = np.array([_term(lit) for lit in pairs], dtype=object)[pick]
            columns.append((name, texts, lambda pairs=pairs, pick=pick: np.array(
                [ox.Literal(lex, datatype=ox.NamedNode(dt)) for lex, dt in pairs] + [None], dtype=object)[pick]))
            continue
        values = solution[name]
        if any(v.startswith("_:") for v in values.tolist()):
            return None
        columns.append((name, values, lambda values=values: np.array([ox.NamedNode(v[1:-1]) for v in values.tolist()] + [None], dtype=object)[:-1]))
    return columns


def _bare(columns: list[tuple[str, np.ndarray, Callable[[], np.ndarray]]], rows: int, kept: list, filters: list[str]) -> tuple | None:
    if kept or filters:
        return None
    return (lambda: {name: terms() for name, _, terms in columns}), rows


def _group_body(columns: list[tuple[str, np.ndarray, Callable]], rows: int, kept: list, filters: list[str], inline: bool) -> str:
    values = values_block([(name, texts) for name, texts, _ in columns], rows)
    if kept and not inline and columns:
        names = " ".join(f"?{name}" for name, _, _ in columns)
        values = f"{{ SELECT {names} WHERE {{ {values} }} }}"
    return " " + values + " " + " ".join(t.text() for t in kept) + " " + " ".join(filters) + " "


def _chain_selection(context: _ChainContext, span: tuple[int, int], filter_span: tuple[int, int], variable: str,
                     names: _Names, index: SpatialIndex, rows: np.ndarray, literals: list[tuple[str, str]] | None,
                     notes: list[str]) -> _Rewrite | None:
    group = _plain_group(context, span, filter_span)
    if group is None:
        return None
    chain = find_chain(group.triples, variable[1:], _resolver(names))
    if chain is None:
        return None
    kept = [t for i, t in enumerate(group.triples) if i not in chain.patterns]
    solution = chain_solutions(context.view, chain, index.keys(rows))
    used = _mentioned_elsewhere(context, span, group, kept)
    columns = _emitted(chain, solution, used, lambda: literals if literals is not None else index.literals(rows))
    if columns is None:
        return None
    count = len(solution[LITERAL])
    notes.append(f"{variable}: {count} solutions of its feature chain from the feature view")
    inline = count <= max(INLINE_VALUES_ROWS, len(index) // 100)
    return _Rewrite(span[0] + 1, "", body=lambda: _group_body(columns, count, kept, group.filters, inline), replaces=(span[0] + 1, span[1]),
                    bare=_bare(columns, count, kept, group.filters))


def _chain_join(context: _ChainContext, span: tuple[int, int], filter_span: tuple[int, int], a_var: str, b_var: str,
                names: _Names, index: SpatialIndex, notes: list[str], relation: str) -> _Rewrite | None:
    group = _plain_group(context, span, filter_span)
    if group is None:
        return None
    resolve = _resolver(names)
    chain_a = find_chain(group.triples, a_var[1:], resolve)
    if chain_a is None:
        return None
    chain_b = find_chain(group.triples, b_var[1:], resolve, taken=set(chain_a.patterns))
    if chain_b is None or set(chain_a.variables()) & set(chain_b.variables()):
        return None
    view = context.view
    sides = [side_keys(view, chain, MAX_SIDE_BINDINGS) for chain in (chain_a, chain_b)]
    sizes = [len(k) if k is not None else np.inf for k in sides]
    if min(sizes) == np.inf:
        return None
    position = int(np.argmin(sizes))
    candidates, left, right = _related_pairs(index, position, index.rows_of_keys(sides[position]), relation)
    unique_left, pair_left = np.unique(left, return_inverse=True)
    unique_right, pair_right = np.unique(right, return_inverse=True)
    solution_a = chain_solutions(view, chain_a, index.keys(unique_left))
    solution_b = chain_solutions(view, chain_b, index.keys(unique_right))
    ia, ib = pair_product(pair_left.astype(np.int64), pair_right.astype(np.int64),
                          solution_a[LITERAL].astype(np.int64), solution_b[LITERAL].astype(np.int64))
    if len(ia) > MAX_JOIN_PAIRS:
        return None
    kept = [t for i, t in enumerate(group.triples) if i not in chain_a.patterns and i not in chain_b.patterns]
    used = _mentioned_elsewhere(context, span, group, kept)
    columns = []
    for chain, solution, unique, picked in ((chain_a, solution_a, unique_left, ia), (chain_b, solution_b, unique_right, ib)):
        side = _emitted(chain, {k: v[picked] for k, v in solution.items()}, used, lambda unique=unique: index.literals(unique))
        if side is None:
            return None
        columns.extend(side)
    notes.append(f"{a_var} × {b_var}: {len(left)} literal pairs, {len(ia)} solutions of the two feature chains from the feature view")
    inline = len(ia) <= max(INLINE_VALUES_ROWS, len(index) // 100)
    return _Rewrite(span[0] + 1, "", body=lambda: _group_body(columns, len(ia), kept, group.filters, inline), replaces=(span[0] + 1, span[1]),
                    bare=_bare(columns, len(ia), kept, group.filters))


def _resolver(names: _Names) -> Callable[[str], str | None]:
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    return lambda text: rdf_type if text == "a" else names.iri(text)


def strip_comments(text: str) -> str:
    """``text`` with its comments removed (strings and IRIs containing ``#`` kept).

    >>> strip_comments('?s <http://e/o#p> "a # b" . # note')
    '?s <http://e/o#p> "a # b" . '
    """
    return LEXICAL_TOKENS.sub(lambda m: "" if m.group(0).startswith("#") else m.group(0), text)


def connected_patterns(body: str, variable: str) -> str | None:
    """The triple patterns of a plain basic graph pattern connected to ``variable`` (through shared variables).

    ``None`` when ``body`` is not a plain BGP (nested groups, BIND, VALUES, …).

    >>> connected_patterns("?p a <P> ; <g> ?wp . ?c a <C> ; <g> ?wc .", "?wp")
    '?p a <P> . ?p <g> ?wp .'
    """
    body = strip_comments(body)
    masked = mask_query(body)
    if re.search(r"[{}()]|(?<![?$\w:])(BIND|VALUES|OPTIONAL|MINUS|SERVICE|GRAPH)(?![\w:])", masked, re.IGNORECASE):
        return None
    parsed = parse_triples(body)
    if not parsed:
        return None
    triples = [(t.subject, t.predicate, t.object) for t in parsed]
    variables = [{t for t in (s, o) if t[0] in "?$"} | set(re.findall(r"[?$][A-Za-z_]\w*", p)) for s, p, o in triples]
    keep = {variable}
    chosen: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, names in enumerate(variables):
            if i not in chosen and names & keep:
                chosen.add(i)
                keep |= names
                changed = True
    if not chosen:
        return None
    return " ".join(f"{s} {p} {o} ." for i, (s, p, o) in enumerate(triples) if i in chosen)


def _strip_filters(text: str, masked: str) -> str:
    """``text`` without its FILTER(...) expressions (found on the masked copy)."""
    out = []
    position = 0
    for match in re.finditer(r"FILTER\s*\(", masked, re.IGNORECASE):
        if match.start() < position:
            continue
        level = 1
        cursor = match.end()
        while cursor < len(masked) and level:
            if masked[cursor] == "(":
                level += 1
            elif masked[cursor] == ")":
                level -= 1
            cursor += 1
        out.append(text[position:match.start()])
        position = cursor
    out.append(text[position:])
    return "".join(out)
