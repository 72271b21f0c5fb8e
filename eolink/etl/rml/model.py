"""The parsed mapping: plain, immutable dataclasses, vocabulary-independent.

The parser turns either RML vocabulary into these classes; the executor only
reads these classes. A :class:`TermMap` is exactly one of a constant, a reference,
a template, a function execution, or (blank-node subjects only) nothing.

>>> tm = TermMap(kind="reference", reference="Name", term_type="Literal")
>>> tm.references()
('Name',)
>>> Template.parse("http://ex.org/{id}/\\\\{x\\\\}").references
('id',)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from eolink.errors import MappingError

__all__ = [
    "Template",
    "TermMap",
    "FunctionExecution",
    "Join",
    "RefObjectMap",
    "PredicateObjectMap",
    "SubjectMap",
    "LogicalSource",
    "TriplesMap",
    "Mapping",
]

TermType = Literal["IRI", "BlankNode", "Literal"]
TermKind = Literal["constant", "reference", "template", "function", "none"]


@dataclass(frozen=True)
class Template:
    """A parsed string template: literal text and ``{reference}`` parts, in order.

    ``parts`` alternates as written; each part is ``(is_reference, text)``.
    ``\\{``, ``\\}`` and ``\\\\`` escape braces and backslashes.
    """

    text: str
    parts: tuple[tuple[bool, str], ...]

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(t for is_ref, t in self.parts if is_ref)

    @classmethod
    def parse(cls, text: str) -> Template:
        """Parse ``text``; raises :class:`ValueError` on unbalanced braces."""
        parts: list[tuple[bool, str]] = []
        buf: list[str] = []
        in_ref = False
        chars = iter(text)
        for ch in chars:
            if ch == "\\":
                nxt = next(chars, None)
                if nxt is None:
                    raise ValueError(f"template {text!r} ends with a lone backslash")
                buf.append(nxt)
            elif ch == "{":
                if in_ref:
                    raise ValueError(f"template {text!r} has a nested '{{'")
                if buf:
                    parts.append((False, "".join(buf)))
                buf, in_ref = [], True
            elif ch == "}":
                if not in_ref:
                    raise ValueError(f"template {text!r} has an unmatched '}}'")
                if not buf:
                    raise ValueError(f"template {text!r} has an empty reference '{{}}'")
                parts.append((True, "".join(buf)))
                buf, in_ref = [], False
            else:
                buf.append(ch)
        if in_ref:
            raise ValueError(f"template {text!r} has an unclosed '{{'")
        if buf:
            parts.append((False, "".join(buf)))
        return cls(text, tuple(parts))


@dataclass(frozen=True)
class FunctionExecution:
    """An FNML function call: the function IRI and its inputs.

    ``inputs`` pairs a parameter IRI (``None`` for positional GeoTriples
    ``rrx:argumentMap`` arguments) with the term map giving its value.
    """

    function: str
    inputs: tuple[tuple[str | None, TermMap], ...] = ()


@dataclass(frozen=True)
class TermMap:
    """How one RDF term is produced for every row of a logical source.

    ``constant`` holds the N-Triples form of a constant term (``None`` with kind
    ``"constant"`` means the default graph) and ``constant_value`` its lexical
    value (what a function input receives); ``datatype`` and ``language`` apply
    to literals only.
    """

    kind: TermKind
    term_type: TermType
    constant: str | None = None
    constant_value: str | None = None
    reference: str | None = None
    template: Template | None = None
    function: FunctionExecution | None = None
    datatype: str | None = None
    language: str | None = None
    language_reference: TermMap | None = None

    @property
    def is_default_graph(self) -> bool:
        return self.kind == "constant" and self.constant is None

    def references(self) -> tuple[str, ...]:
        """Every source reference this term map (and its function inputs) reads."""
        refs: list[str] = []
        if self.reference is not None:
            refs.append(self.reference)
        if self.template is not None:
            refs.extend(self.template.references)
        if self.function is not None:
            for _, tm in self.function.inputs:
                refs.extend(tm.references())
        if self.language_reference is not None:
            refs.extend(self.language_reference.references())
        return tuple(refs)


@dataclass(frozen=True)
class Join:
    """A join condition of a referencing object map: child and parent references."""

    child: str
    parent: str


@dataclass(frozen=True)
class RefObjectMap:
    """Objects are the subjects of triples map ``parent``, joined on ``joins``."""

    parent: str
    joins: tuple[Join, ...] = ()


@dataclass(frozen=True)
class PredicateObjectMap:
    predicates: tuple[TermMap, ...]
    objects: tuple[TermMap, ...] = ()
    ref_objects: tuple[RefObjectMap, ...] = ()
    graphs: tuple[TermMap, ...] = ()


@dataclass(frozen=True)
class SubjectMap:
    term: TermMap
    classes: tuple[str, ...] = ()
    graphs: tuple[TermMap, ...] = ()


@dataclass(frozen=True)
class LogicalSource:
    """Where rows come from.

    ``source`` is a file path (relative to the base directory) or the name of an
    in-memory table; ``formulation`` is ``"CSV"``, ``"JSONPath"``, ``"XPath"`` or
    ``"table"`` (R2RML ``rr:tableName``).
    """

    source: str
    formulation: str
    iterator: str | None = None
    relative_to: Literal["base", "cwd"] = "base"


@dataclass(frozen=True)
class TriplesMap:
    iri: str
    name: str
    logical_source: LogicalSource
    subject: SubjectMap
    predicate_object_maps: tuple[PredicateObjectMap, ...] = ()

    def error(self, message: str) -> MappingError:
        """A :class:`MappingError` prefixed with this triples map's name."""
        return MappingError(f"TriplesMap {self.name}: {message}")


@dataclass(frozen=True)
class Mapping:
    """A whole mapping document.

    ``base_iri`` is the document's ``@base`` (relative IRIs produced from data are
    resolved against it); ``base_dir`` is where relative source paths start.
    """

    triples_maps: tuple[TriplesMap, ...]
    base_iri: str | None = None
    base_dir: Path | None = None
    origin: str = field(default="<text>", compare=False)

    def __getitem__(self, iri: str) -> TriplesMap:
        for tm in self.triples_maps:
            if tm.iri == iri:
                return tm
        raise KeyError(iri)
