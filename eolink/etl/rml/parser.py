"""Turtle mapping -> :class:`~eolink.etl.rml.model.Mapping`, for both RML vocabularies.

Every structural rule of R2RML/RML that can be checked without data is checked
here, and reported as a :class:`~eolink.errors.MappingError` naming the triples
map and the term map at fault.

>>> m = parse_mapping('''
... @prefix rr: <http://www.w3.org/ns/r2rml#> .
... @prefix rml: <http://semweb.mmlab.be/ns/rml#> .
... @prefix ql: <http://semweb.mmlab.be/ns/ql#> .
... <#Parcels> rml:logicalSource [ rml:source "features"; rml:referenceFormulation ql:CSV ];
...   rr:subjectMap [ rr:template "http://ex.org/{id}" ] .
... ''')
>>> m.triples_maps[0].name, m.triples_maps[0].subject.term.template.references
('<#Parcels>', ('id',))
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from eolink.errors import MappingError
from eolink.etl.rml import vocabulary as V
from eolink.etl.rml.model import (
    FunctionExecution,
    Join,
    LogicalSource,
    Mapping,
    PredicateObjectMap,
    RefObjectMap,
    SubjectMap,
    Template,
    TermMap,
    TriplesMap,
)
from eolink.etl.rml._terms import escape_literal, valid_language_tag

__all__ = ["parse_mapping"]

#: Base used to parse mappings that declare none: ``<#Parcels>`` then reads back as ``<#Parcels>``.
_PARSE_BASE = "http://eolink.invalid/mapping"
_BASE_RE = re.compile(r"(?:@base|(?i:\bBASE))\s*<([^>]*)>")
_SUFFIX_FORMULATION = {".csv": "CSV", ".tsv": "CSV", ".json": "JSONPath", ".xml": "XPath"} | {
    s: "Features" for s in (".shp", ".gpkg", ".geojson", ".fgb", ".parquet", ".geoparquet", ".kml", ".gml")}
_DB_SCHEMES = ("postgresql://", "postgres://", "jdbc:postgresql://")


def _short(dsn: str) -> str:
    return dsn.split("@")[-1] if "://" in dsn else dsn


def parse_mapping(text: str, *, origin: str = "<text>", base_dir: Path | None = None) -> Mapping:
    """Parse the Turtle ``text`` of a mapping (either vocabulary)."""
    graph = Graph()
    try:
        graph.parse(data=text, format="turtle", publicID=_PARSE_BASE)
    except Exception as err:  # rdflib raises many unrelated types for bad Turtle
        raise MappingError(f"{origin}: not valid Turtle: {err}") from err
    match = _BASE_RE.search(text)
    base_iri = match.group(1) if match and re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", match.group(1)) else None
    return _Parser(graph, base_iri).mapping(origin=origin, base_dir=base_dir)


class _Parser:
    def __init__(self, graph: Graph, base_iri: str | None) -> None:
        self.g = graph
        self.base_iri = base_iri

    # -- graph access -------------------------------------------------------------
    def values(self, node: Node, concept: str) -> list[Node]:
        out: list[Node] = []
        for prop in V.PROPERTY[concept]:
            out.extend(self.g.objects(node, prop))
        return sorted(set(out), key=str)

    def one(self, node: Node, concept: str, where: str) -> Node | None:
        vals = self.values(node, concept)
        if len(vals) > 1:
            raise MappingError(f"{where}: more than one {concept} ({', '.join(map(str, vals))})")
        return vals[0] if vals else None

    def name(self, node: Node) -> str:
        if isinstance(node, BNode):
            return f"_:{node}"
        text = str(node)
        for base in (self.base_iri, _PARSE_BASE):
            if base and text.startswith(base):
                return f"<{text[len(base):]}>"
        return f"<{text}>"

    # -- document -----------------------------------------------------------------
    def mapping(self, *, origin: str, base_dir: Path | None) -> Mapping:
        g = self.g
        nodes: set[Node] = set()
        for cls in V.TRIPLES_MAP_CLASSES:
            nodes.update(g.subjects(V.RDF.type, cls))
        for concept in ("logicalSource", "logicalTable"):
            for prop in V.PROPERTY[concept]:
                nodes.update(g.subjects(prop))
        # legacy FNML function values may carry a logical source: they are not triples maps
        nodes -= {o for p in V.PROPERTY["functionValue"] for o in g.objects(None, p)}
        if not nodes:
            raise MappingError(f"{origin}: no triples map (nothing has a logical source)")
        ordered = sorted(nodes, key=str)
        known = {str(n) for n in ordered}
        maps = tuple(self.triples_map(n, known) for n in ordered)
        return Mapping(maps, base_iri=self.base_iri, base_dir=base_dir, origin=origin)

    def triples_map(self, node: Node, known: set[str]) -> TriplesMap:
        where = f"TriplesMap {self.name(node)}"
        source = self.logical_source(node, where)
        subject = self.subject_map(node, where)
        poms = tuple(self.predicate_object_map(p, where, known) for p in self.values(node, "predicateObjectMap"))
        return TriplesMap(str(node), self.name(node), source, subject, poms)

    def logical_source(self, node: Node, where: str) -> LogicalSource:
        """The logical source: a file, an in-memory table, or a SQL table/query over a database.

        SQL: ``rr:logicalTable [ rr:tableName | rr:sqlQuery ]`` (the database is the one
        given to ``execute(database=…)``, unless an in-memory table has the name), or
        ``rml:logicalSource [ rml:source DB; rml:query | rr:sqlQuery | rr:tableName ]``
        where DB is a ``d2rq:Database`` (``d2rq:jdbcDSN``, ``d2rq:username``,
        ``d2rq:password``) or a connection-string literal (``"postgresql://…"``).
        """
        sources = self.values(node, "logicalSource")
        tables = self.values(node, "logicalTable")
        if len(sources) + len(tables) != 1:
            raise MappingError(f"{where}: needs exactly one logical source, has {len(sources) + len(tables)}")
        if tables:
            table = tables[0]
            query = self.one(table, "sqlQuery", where)
            if query is not None:
                return LogicalSource("", "SQL", str(query))
            name = self.one(table, "tableName", where)
            if name is None:
                raise MappingError(f"{where}: logical table has neither rr:tableName nor rr:sqlQuery")
            return LogicalSource(str(name), "table")
        ls = sources[0]
        query = self.one(ls, "sqlQuery", where)
        src = self.one(ls, "source", where)
        table_name = self.one(ls, "tableName", where)
        database = self.database(src, where) if src is not None else None
        if query is not None or (database is not None and table_name is not None):
            from eolink.etl.readers.postgis import table_query

            if query is not None and table_name is not None:
                raise MappingError(f"{where}: logical source has both a query and a table name")
            sql = str(query) if query is not None else table_query(str(table_name))
            if src is not None and database is None:
                raise MappingError(f"{where}: a query logical source needs a database source (d2rq:Database or "
                                   f"a postgresql:// connection string), not {src}")
            return LogicalSource(database or "", "SQL", sql)
        if src is None:
            if table_name is None:
                raise MappingError(f"{where}: logical source has no rml:source")
            return LogicalSource(str(table_name), "table")
        if database is not None:
            raise MappingError(f"{where}: database source {_short(database)} needs rml:query, rr:sqlQuery or "
                               "rr:tableName")
        relative_to = "base"
        if isinstance(src, BNode):
            path = self.one(src, "path", where)
            if path is None:
                raise MappingError(f"{where}: rml:source node has no rml:path")
            if self.one(src, "root", where) == V.RML.CurrentWorkingDirectory:
                relative_to = "cwd"
            src_text = str(path)
        else:
            src_text = str(src)
            if src_text.startswith("file://"):
                src_text = src_text[len("file://") :]
        rf = self.one(ls, "referenceFormulation", where)
        if rf is None:
            formulation = _SUFFIX_FORMULATION.get(Path(src_text).suffix.lower(), "CSV")
        elif rf in V.REFERENCE_FORMULATIONS:
            formulation = V.REFERENCE_FORMULATIONS[rf]  # type: ignore[index]
        else:
            raise MappingError(f"{where}: unsupported reference formulation <{rf}>")
        if formulation == "SQL":
            raise MappingError(f"{where}: SQL reference formulation without a database source and a query")
        iterator = self.one(ls, "iterator", where)
        return LogicalSource(src_text, formulation, None if iterator is None else str(iterator), relative_to)  # type: ignore[arg-type]

    def database(self, src: Node, where: str) -> str | None:
        """The connection string of a database source, None when ``src`` is not a database."""
        if isinstance(src, Literal) and str(src).startswith(_DB_SCHEMES):
            return str(src)
        if isinstance(src, (BNode, URIRef)):
            dsn = self.g.value(src, V.D2RQ.jdbcDSN)
            if dsn is None and (src, V.RDF.type, V.D2RQ.Database) not in self.g:
                return None
            if dsn is None:
                raise MappingError(f"{where}: d2rq:Database without d2rq:jdbcDSN")
            from eolink.etl.readers.postgis import to_libpq

            user = self.g.value(src, V.D2RQ.username)
            password = self.g.value(src, V.D2RQ.password)
            return to_libpq(str(dsn), user=None if user is None else str(user),
                            password=None if password is None else str(password))
        return None

    def subject_map(self, node: Node, where: str) -> SubjectMap:
        maps = self.values(node, "subjectMap")
        shortcuts = self.values(node, "subject")
        if len(maps) + len(shortcuts) == 0:
            raise MappingError(f"{where}: has no subject map")
        if len(maps) + len(shortcuts) > 1:
            raise MappingError(f"{where}: has {len(maps) + len(shortcuts)} subject maps, exactly one is allowed")
        if shortcuts:
            return SubjectMap(self.constant(shortcuts[0], "subject", where))
        sm = maps[0]
        term = self.term_map(sm, "subject", where)
        classes = []
        for cls in self.values(sm, "class"):
            if not isinstance(cls, URIRef):
                raise MappingError(f"{where}: subject map class {cls!r} is not an IRI")
            classes.append(str(cls))
        return SubjectMap(term, tuple(classes), self.graph_maps(sm, where))

    def graph_maps(self, node: Node, where: str) -> tuple[TermMap, ...]:
        out = [self.constant(c, "graph", where) for c in self.values(node, "graph")]
        out += [self.term_map(gm, "graph", where) for gm in self.values(node, "graphMap")]
        return tuple(out)

    def predicate_object_map(self, node: Node, where: str, known: set[str]) -> PredicateObjectMap:
        preds = [self.constant(p, "predicate", where) for p in self.values(node, "predicate")]
        preds += [self.term_map(p, "predicate", where) for p in self.values(node, "predicateMap")]
        if not preds:
            raise MappingError(f"{where}: predicate-object map has no predicate")
        objs = [self.constant(o, "object", where) for o in self.values(node, "object")]
        refs: list[RefObjectMap] = []
        for om in self.values(node, "objectMap"):
            parent = self.one(om, "parentTriplesMap", where)
            if parent is None:
                objs.append(self.term_map(om, "object", where))
                continue
            if str(parent) not in known:
                raise MappingError(f"{where}: parent triples map {self.name(parent)} does not exist")
            joins = []
            for jc in self.values(om, "joinCondition"):
                child, par = self.one(jc, "child", where), self.one(jc, "parent", where)
                if child is None or par is None:
                    raise MappingError(f"{where}: join condition needs both a child and a parent reference")
                joins.append(Join(str(child), str(par)))
            refs.append(RefObjectMap(str(parent), tuple(joins)))
        if not objs and not refs:
            raise MappingError(f"{where}: predicate-object map has no object")
        return PredicateObjectMap(tuple(preds), tuple(objs), tuple(refs), self.graph_maps(node, where))

    # -- term maps ----------------------------------------------------------------
    def constant(self, term: Node, role: str, where: str) -> TermMap:
        """A constant term map from a shortcut (``rr:predicate ex:p``) or an ``rr:constant``."""
        if role == "graph" and term in V.DEFAULT_GRAPHS:
            return TermMap(kind="constant", term_type="IRI")
        if isinstance(term, URIRef):
            return TermMap(kind="constant", term_type="IRI", constant=f"<{term}>", constant_value=str(term))
        if isinstance(term, Literal):
            if role in ("subject", "predicate", "graph"):
                raise MappingError(f"{where}: {role} map constant {term.n3()} is a literal, must be an IRI")
            nt = f'"{escape_literal(str(term))}"'
            if term.language:
                nt += f"@{term.language}"
            elif term.datatype is not None:
                nt += f"^^<{term.datatype}>"
            return TermMap(kind="constant", term_type="Literal", constant=nt, constant_value=str(term))
        raise MappingError(f"{where}: {role} map constant is a blank node")

    def term_map(self, node: Node, role: str, where: str) -> TermMap:
        if not isinstance(node, (BNode, URIRef)):
            return self.constant(node, role, where)
        consts = self.values(node, "constant")
        refs = self.values(node, "reference")
        templates = self.values(node, "template")
        function = self.function(node, where)
        count = len(consts) + len(refs) + len(templates) + (function is not None)
        tt_nodes = self.values(node, "termType")
        if len(tt_nodes) > 1:
            raise MappingError(f"{where}: {role} map has more than one term type")
        term_type = None
        if tt_nodes:
            if tt_nodes[0] not in V.TERM_TYPES:
                raise MappingError(f"{where}: {role} map has unknown term type <{tt_nodes[0]}>")
            term_type = V.TERM_TYPES[tt_nodes[0]]  # type: ignore[index]
        if count > 1:
            raise MappingError(f"{where}: {role} map has more than one of template, reference, constant, function")
        if count == 0:
            if role == "subject" and term_type == "BlankNode":
                return TermMap(kind="none", term_type="BlankNode")
            raise MappingError(f"{where}: {role} map has no template, reference or constant")
        if consts:
            if len(consts) > 1:
                raise MappingError(f"{where}: {role} map has more than one constant")
            return self.constant(consts[0], role, where)

        language = self.one(node, "language", where)
        language_map = self.one(node, "languageMap", where)
        datatype = self.one(node, "datatype", where)
        if language is not None and not valid_language_tag(str(language)):
            raise MappingError(f"{where}: {role} map has an invalid language tag {str(language)!r}")
        if (language is not None or language_map is not None) and datatype is not None:
            raise MappingError(f"{where}: {role} map has both a language and a datatype")
        literal_hint = language is not None or language_map is not None or datatype is not None
        if term_type is None:
            if role in ("object", "input", "language") and (refs or function is not None or literal_hint):
                term_type = "Literal"
            else:
                term_type = "IRI"
        if term_type == "Literal" and role == "subject":
            # RMLTC0004b: the expected output keeps the IRI subject (see tests/etl/rml/test_conformance.py)
            warnings.warn(f"{where}: subject map term type rr:Literal is invalid; producing IRIs", stacklevel=3)
            term_type = "IRI"
        if term_type != "IRI" and role == "predicate":
            raise MappingError(f"{where}: predicate map must produce IRIs, not {term_type}")
        if term_type == "Literal" and role == "graph":
            raise MappingError(f"{where}: graph map must produce IRIs, not literals")
        if term_type != "Literal" and literal_hint:
            raise MappingError(f"{where}: {role} map has a language or datatype but term type {term_type}")
        common = {
            "term_type": term_type,
            "datatype": None if datatype is None else str(datatype),
            "language": None if language is None else str(language).lower(),
            "language_reference": None if language_map is None else self.term_map(language_map, "language", where),
        }
        if refs:
            return TermMap(kind="reference", reference=str(refs[0]), **common)
        if templates:
            try:
                template = Template.parse(str(templates[0]))
            except ValueError as err:
                raise MappingError(f"{where}: {role} map: {err}") from err
            return TermMap(kind="template", template=template, **common)
        return TermMap(kind="function", function=function, **common)

    def function(self, node: Node, where: str) -> FunctionExecution | None:
        execs = self.values(node, "functionExecution")
        values = self.values(node, "functionValue")
        rrx = self.values(node, "rrxFunction")
        if len(execs) + len(values) + len(rrx) > 1:
            raise MappingError(f"{where}: term map has more than one function")
        if execs:
            return self.function_execution(execs[0], where)
        if values:
            return self.function_value(values[0], where)
        if rrx:
            args = self.one(node, "rrxArguments", where)
            items: Iterable[Node] = Collection(self.g, args) if args is not None else ()
            inputs = tuple((None, self.term_map(a, "input", where)) for a in items)
            return FunctionExecution(str(rrx[0]), inputs)
        return None

    def function_execution(self, node: Node, where: str) -> FunctionExecution:
        fn = self.one(node, "function", where)
        if fn is None:
            fmap = self.one(node, "functionMap", where)
            fn = None if fmap is None else self.one(fmap, "constant", where)
        if fn is None:
            raise MappingError(f"{where}: function execution has no rml:function")
        inputs = []
        for inp in self.values(node, "input"):
            param = self.one(inp, "parameter", where)
            if param is None:
                pmap = self.one(inp, "parameterMap", where)
                param = None if pmap is None else self.one(pmap, "constant", where)
            value = self.one(inp, "inputValue", where)
            if value is not None:
                tm = self.constant(value, "input", where)
            else:
                vmap = self.one(inp, "inputValueMap", where)
                if vmap is None:
                    raise MappingError(f"{where}: function input {param} has no value")
                tm = self.term_map(vmap, "input", where)
            inputs.append((None if param is None else str(param), tm))
        return FunctionExecution(str(fn), tuple(inputs))

    def function_value(self, node: Node, where: str) -> FunctionExecution:
        fn: str | None = None
        inputs = []
        for pom in self.values(node, "predicateObjectMap"):
            preds = [str(p) for p in self.values(pom, "predicate")]
            for pm in self.values(pom, "predicateMap"):
                preds += [str(c) for c in self.values(pm, "constant")]
            oms = [self.constant(o, "input", where) for o in self.values(pom, "object")]
            oms += [self.term_map(o, "input", where) for o in self.values(pom, "objectMap")]
            for pred in preds:
                if URIRef(pred) in V.PROPERTY["executes"]:
                    if len(oms) != 1 or oms[0].kind != "constant":
                        raise MappingError(f"{where}: fno:executes needs one constant function IRI")
                    fn = oms[0].constant_value
                else:
                    inputs.extend((pred, om) for om in oms)
        if fn is None:
            raise MappingError(f"{where}: fnml:functionValue has no fno:executes")
        return FunctionExecution(fn, tuple(inputs))
