"""Query understanding: words → structured constraints (types, missions, concepts, places, times, numbers).

:func:`parse_query` reads a free-text query and returns a :class:`ParsedQuery`:

* product types and scene kinds (``ice chart``, ``change mask``, ``crop map``,
  ``OSM``, ``scenes``), missions and platforms (``Sentinel-2``, ``S1``, ``S2A``,
  ``SAR``, ``optical``), processing levels (``L2A``) — a fixed phrase table;
* concepts of the code lists, by any ``skos:prefLabel``/``skos:altLabel`` in any
  language (``maize``/``corn``/``Mais``/``maissi``) — a :class:`Vocabulary` read
  from the store's ontology graph;
* places (:class:`~eolink.search.places.Gazetteer`), times
  (:func:`~eolink.search.timeexpr.parse_time`), cloud cover (``cloud cover below
  20 %``, ``cloud-free``, ``little cloud``), MGRS tiles (``35VLG``), relative orbits
  (``orbit 79``), concept areas (``more than 100 ha of maize``);
* lineage (``scenes used for the crop map``).

Everything not understood stays in the text, which the lexical and dense
retrievers still see.

>>> q = parse_query("Sentinel-2 scenes over Espoo with cloud cover below 20 % in summer 2021")
>>> q.platforms, q.kinds, [p.name for p in q.places], q.cloud
(('Sentinel-2',), ('scene',), ['Espoo'], ('<', 20.0))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from eolink.errors import InputError
from eolink.search.places import Gazetteer, Place
from eolink.search.text import MAX_QUERY_CHARS, normalise
from eolink.search.timeexpr import TimeConstraint, parse_time

__all__ = ["ParsedQuery", "Vocabulary", "ConceptMatch", "parse_query", "SCHEME_PRODUCT_TYPES", "PRODUCT_TYPE_LABELS"]

#: Code-list scheme → the product type whose features carry its concepts.
SCHEME_PRODUCT_TYPES: dict[str, str] = {
    "crop-type": "crop-type-map",
    "change-class": "change-mask",
    "ice-stage": "sea-ice-chart",
    "ice-concentration": "sea-ice-chart",
    "ice-form": "sea-ice-chart",
    "poly-type": "sea-ice-chart",
    "osm-feature-type": "osm-extract",
}

#: Product type → label used in explanations.
PRODUCT_TYPE_LABELS: dict[str, str] = {
    "change-mask": "change mask",
    "crop-type-map": "crop-type map",
    "sea-ice-chart": "sea-ice chart",
    "osm-extract": "OpenStreetMap extract",
    "scene-catalogue": "scene catalogue",
    "scene": "scene",
}

# phrase (normalised words) -> (field, value)
_FIXED: dict[str, tuple[str, str]] = {}


def _fixed(field_name: str, value: str, phrases: str) -> None:
    for phrase in phrases.split(","):
        _FIXED[" ".join(phrase.split())] = (field_name, value)


_fixed("kind", "scene", "scene,scenes,image,images,imagery,acquisition,acquisitions,granule,granules,satellite image,satellite images,tile images,overpass,overpasses,szene,szenen,kuva,kuvat")
_fixed("platform", "Sentinel-2", "sentinel 2,sentinel2,s2,s 2,msi,optical,multispectral,optical imagery")
_fixed("platform", "Sentinel-1", "sentinel 1,sentinel1,s1,s 1,sar,radar,c sar,c band")
for _m in ("1a", "1b", "1c", "2a", "2b", "2c"):
    _fixed("mission", f"S{_m.upper()}", f"s{_m},sentinel {_m[0]} {_m[1]},sentinel {_m},sentinel{_m}")
_fixed("level", "LEVEL2A", "l2a,level 2a,level2a,msil2a,bottom of atmosphere,boa,surface reflectance")
_fixed("level", "LEVEL1C", "l1c,level 1c,level1c,msil1c,top of atmosphere,toa")
_fixed("scene_type", "GRDH", "grd,grdh,ground range detected")
_fixed("instrument", "IW", "iw,interferometric wide swath,interferometric wide")
_fixed("product_type", "change-mask", "change mask,change masks,change detection,change map,change maps,changes,change,cva,change vector analysis,changed areas,muutos,veranderung,anderungen")
_fixed("product_type", "crop-type-map", "crop map,crop maps,crop type map,crop type maps,crop types,crop type,crop classification,crops,crop,croptype,crop-type map,agricultural map,viljelykasvit,kulturarten")
_fixed("product_type", "sea-ice-chart", "ice chart,ice charts,sea ice chart,sea ice charts,ice map,ice maps,sigrid,sigrid 3,sigrid3,egg code,jaakartta,eiskarte")
_fixed("product_type", "osm-extract", "osm,openstreetmap,open street map,osm extract,osm data,vector data")
_fixed("product_type", "scene-catalogue", "scene catalogue,scene catalog,scene catalogues,catalogue,catalog")

_DERIVED = re.compile(r"\b(derived from|made from|based on|computed from|produced from|generated from|created from)\b")
_LINEAGE = re.compile(r"\b(used (?:for|by|in|to make|to produce)|inputs?(?: scenes| images)? (?:of|to|for)|sources? (?:of|for)|source scenes|behind|that made|that produced|lineage of)\b")

_OPS = {
    "below": "<", "under": "<", "less than": "<", "lower than": "<", "at most": "<=", "max": "<=", "maximum": "<=",
    "up to": "<=", "<=": "<=", "<": "<", "above": ">", "over": ">", "more than": ">", "greater than": ">",
    "higher than": ">", "at least": ">=", ">=": ">=", ">": ">", "min": ">=", "minimum": ">=",
}
_OP_RE = "|".join(re.escape(k) for k in sorted(_OPS, key=len, reverse=True))
_NUM = r"(?P<v>\d+(?:[.,]\d+)?)"
_CLOUD_WORD = r"(?:cloud(?:s|y|iness)?|pilvi\w*|wolken\w*)(?:[\s-]+cover(?:age)?)?"
_CLOUD_RES = [
    re.compile(_CLOUD_WORD + r"\s*(?:of\s+|is\s+|:\s*)?(?P<op>" + _OP_RE + r")\s*" + _NUM + r"\s*(?:%|percent|per cent|prosenttia)?"),
    re.compile(r"(?P<op>" + _OP_RE + r")\s*" + _NUM + r"\s*(?:%|percent|per cent)\s*(?:of\s+)?" + _CLOUD_WORD),
    re.compile(_CLOUD_WORD + r"\s*(?P<op><=|<|>=|>|=)\s*" + _NUM + r"\s*%?"),
]
_CLOUD_FREE = re.compile(r"\b(?:cloud[\s-]*free|cloudless|no clouds?|without clouds?|clear[\s-]sk(?:y|ies)|pilvet[oö]n\w*|wolkenfrei)\b")
_CLOUD_LOW = re.compile(r"\b(?:(?:little|low|few|minimal|light|hardly any)\s+(?:cloud|clouds|cloud cover|cloudiness)|mostly clear|not cloudy|vahan pilvea)\b")
_CLOUDY = re.compile(r"\b(?:very\s+)?(?:cloudy|overcast)\b")
_TILE_RE = re.compile(r"(?<![\w])t?(?P<tile>\d{2}[c-hj-np-x][a-hj-np-z][a-hj-np-v])(?![\w])")
_ORBIT_RE = re.compile(r"(?<![\w])(?:(?P<abs>absolute)\s+)?(?:relative\s+)?(?:orbit|track|rata)\s*(?:no\.?|number|nr\.?|#)?\s*r?(?P<n>\d{1,6})(?![\w])|(?<![\w_])r(?P<r>\d{3})(?![\w_])")
_AREA_RE = re.compile(r"(?P<op>" + _OP_RE + r")\s*" + _NUM + r"\s*(?P<unit>ha|hectares?|hehtaaria|km2|km²|square kilomet(?:er|re)s?)\s*(?:of\s+)?")


@dataclass(frozen=True)
class ConceptMatch:
    """A phrase of the query that names one or more code-list concepts."""

    phrase: str
    label: str
    concepts: tuple[str, ...]
    schemes: tuple[str, ...]
    area: tuple[str, float] | None = None  # (op, hectares)

    @property
    def product_types(self) -> set[str]:
        """The product types whose features carry these concepts."""
        return {SCHEME_PRODUCT_TYPES[s] for s in self.schemes if s in SCHEME_PRODUCT_TYPES}


@dataclass
class Vocabulary:
    """Concept labels (normalised) → concepts; built from the code lists in the store."""

    labels: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # label -> [(concept, scheme, prefLabel)]

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str, str, str]]) -> Vocabulary:
        """From (concept IRI, scheme IRI, label, English prefLabel) rows."""
        vocab = cls()
        for concept, scheme, label, pref in rows:
            key = normalise(label).replace("-", " ")
            key = " ".join(re.findall(r"[\w/.+]+", key))
            if not key or re.fullmatch(r"[\d\s/.+<>-]+", key) or len(key) < 3:
                continue  # "6/10", "92": numbers are not words a user types for a concept
            scheme_name = scheme.rstrip("/").rsplit("/", 1)[-1]
            entry = (concept, scheme_name, pref)
            if entry not in vocab.labels.setdefault(key, []):
                vocab.labels[key].append(entry)
        return vocab

    @classmethod
    def from_store(cls, store: Any) -> Vocabulary:
        """Labels of every SKOS concept in ``store`` (the ontology graph holds the code lists)."""
        from eolink.ontology import SKOS

        rows = store.query(
            f"""PREFIX skos: <{SKOS}> SELECT ?c ?scheme ?label ?pref WHERE {{
            ?c skos:inScheme ?scheme ; skos:prefLabel ?pref FILTER(lang(?pref) = "en" || lang(?pref) = "")
            {{ ?c skos:prefLabel ?label }} UNION {{ ?c skos:altLabel ?label }} }}"""
        ).rows
        return cls.from_rows([(c.value, s.value, l.value, p.value) for c, s, l, p in rows])


@dataclass
class ParsedQuery:
    """The structured reading of a query; empty tuples mean "no constraint"."""

    text: str
    kinds: tuple[str, ...] = ()
    product_types: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    missions: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    scene_types: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    concepts: tuple[ConceptMatch, ...] = ()
    places: tuple[Place, ...] = ()
    times: tuple[TimeConstraint, ...] = ()
    cloud: tuple[str, float] | None = None
    tiles: tuple[str, ...] = ()
    orbits: tuple[int, ...] = ()
    absolute_orbits: tuple[int, ...] = ()
    lineage_of: tuple[str, ...] = ()  # scenes used for products of these types
    from_scenes: bool = False  # products derived from scenes that meet the scene constraints
    residual: str = ""  # words not understood as a constraint

    @property
    def structured(self) -> bool:
        """Whether any structured constraint was recognised."""
        return any((self.kinds, self.product_types, self.platforms, self.missions, self.levels, self.scene_types,
                    self.instruments, self.concepts, self.places, self.times, self.cloud, self.tiles, self.orbits,
                    self.absolute_orbits, self.lineage_of))

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary of what was understood."""
        out: dict[str, Any] = {
            "kinds": list(self.kinds), "product_types": list(self.product_types), "platforms": list(self.platforms),
            "missions": list(self.missions), "processing_levels": list(self.levels), "scene_types": list(self.scene_types),
            "instrument_modes": list(self.instruments),
            "concepts": [{"phrase": c.phrase, "label": c.label, "concepts": list(c.concepts),
                          **({"area_ha": list(c.area)} if c.area else {})} for c in self.concepts],
            "places": [{"name": p.name, "kind": p.kind, "bbox": [round(v, 5) for v in p.geometry.bounds]} for p in self.places],
            "times": [{"text": t.text, "interval": t.describe()} for t in self.times],
            "cloud_cover": list(self.cloud) if self.cloud else None, "tiles": list(self.tiles),
            "relative_orbits": list(self.orbits), "absolute_orbits": list(self.absolute_orbits),
            "lineage_of": list(self.lineage_of), "derived_from_scenes": self.from_scenes or None, "free_text": self.residual,
        }
        return {k: v for k, v in out.items() if v not in (None, [], "")}


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_query(text: str, vocabulary: Vocabulary | None = None, gazetteer: Gazetteer | None = None) -> ParsedQuery:
    """Read the structured constraints of a free-text query.

    Parameters
    ----------
    text
        The query; at most :data:`~eolink.search.text.MAX_QUERY_CHARS` characters.
    vocabulary
        Concept labels (default: none, concepts are not recognised).
    gazetteer
        Place names (default: the built-in gazetteer).

    Returns
    -------
    ParsedQuery

    Raises
    ------
    InputError
        The query is not a string or is too long.

    Examples
    --------
    >>> vocab = Vocabulary.from_rows([("http://c/2", "http://s/crop-type", "Mais", "maize")])
    >>> q = parse_query("change masks touching Mais fields", vocab)
    >>> q.product_types, [c.label for c in q.concepts]
    (('change-mask',), ['maize'])
    """
    if not isinstance(text, str):
        raise InputError("the query must be text")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    norm = normalise(text.replace("\x00", " "))
    gazetteer = gazetteer if gazetteer is not None else _builtin_gazetteer()
    consumed: list[tuple[int, int]] = []
    out = ParsedQuery(text=text)

    # multi-word concept labels that contain time words ("spring cereals", "winter wheat") are protected
    labels = vocabulary.labels if vocabulary else {}
    protected = [m.span() for m in _protected_labels(labels).finditer(norm)] if labels else []
    # times first (they own digits such as 2021), on the normalised text
    times, spans = parse_time(_blank(norm, protected))
    out.times = tuple(times)
    consumed += spans
    work = _blank(norm, consumed)

    # cloud cover
    for regex in _CLOUD_RES:
        m = regex.search(work)
        if m:
            op = _OPS.get(m.group("op"), m.group("op"))
            out.cloud = (op, _number(m.group("v")))
            consumed.append(m.span())
            break
    if out.cloud is None:
        for regex, constraint in ((_CLOUD_FREE, ("<=", 5.0)), (_CLOUD_LOW, ("<=", 10.0)), (_CLOUDY, (">", 30.0))):
            m = regex.search(work)
            if m:
                out.cloud = constraint
                consumed.append(m.span())
                break
    work = _blank(norm, consumed)

    # areas of concepts ("more than 100 ha of maize"): remembered, attached to the next concept phrase
    area_marks: list[tuple[int, tuple[str, float]]] = []
    for m in _AREA_RE.finditer(work):
        value = _number(m.group("v")) * (100.0 if m.group("unit").startswith(("km", "square")) else 1.0)
        area_marks.append((m.end(), (_OPS[m.group("op")], value)))
        consumed.append(m.span())
    work = _blank(norm, consumed)

    # tiles and orbits
    tiles, orbits, absolute = [], [], []
    for m in _TILE_RE.finditer(work):
        tiles.append(m.group("tile").upper())
        consumed.append(m.span())
    for m in _ORBIT_RE.finditer(work):
        if m.group("r"):
            orbits.append(int(m.group("r")))
        elif m.group("abs"):
            absolute.append(int(m.group("n")))
        else:
            orbits.append(int(m.group("n")))
        consumed.append(m.span())
    out.tiles, out.orbits, out.absolute_orbits = tuple(dict.fromkeys(tiles)), tuple(dict.fromkeys(orbits)), tuple(dict.fromkeys(absolute))
    work = _blank(norm, consumed)

    # places (longest names first)
    places = []
    for place, span in gazetteer.find(work):
        places.append(place)
        consumed.append(span)
    out.places = tuple(places)
    work = _blank(norm, consumed)

    # phrases: fixed table + concept labels, longest first over word sequences
    words = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[\w/.+]+", work.replace("-", " ").replace("_", " "))]
    longest = max([len(k.split()) for k in list(_FIXED) + list(labels)] or [1])
    fields: dict[str, list[str]] = {}
    concepts: list[ConceptMatch] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(w for w, _, _ in words[i : i + n])
            hit_fixed = _FIXED.get(phrase)
            hit_concepts = labels.get(phrase)
            if hit_concepts is None and hit_fixed is None and phrase.endswith("s") and len(phrase) > 4:
                hit_concepts = labels.get(phrase[:-1])  # plural of a label: "buildings", "bridges"
            if hit_concepts and (hit_fixed is None or n > 1):
                start = words[i][1]
                area = next((a for end, a in area_marks if 0 <= start - end <= 2), None)
                concepts.append(ConceptMatch(
                    phrase, hit_concepts[0][2], tuple(c for c, _, _ in hit_concepts),
                    tuple(dict.fromkeys(s for _, s, _ in hit_concepts)), area))
            elif hit_fixed:
                fields.setdefault(hit_fixed[0], []).append(hit_fixed[1])
            else:
                continue
            consumed.append((words[i][1], words[i + n - 1][2]))
            i += n
            break
        else:
            i += 1
    out.concepts = tuple(concepts)
    for name in ("kind", "platform", "mission", "level", "scene_type", "instrument", "product_type"):
        values = tuple(dict.fromkeys(fields.get(name, [])))
        setattr(out, {"kind": "kinds", "platform": "platforms", "mission": "missions", "level": "levels",
                      "scene_type": "scene_types", "instrument": "instruments", "product_type": "product_types"}[name], values)
    if out.missions:  # S2A implies Sentinel-2: the mission is the stronger constraint
        out.platforms = tuple(p for p in out.platforms if not any(m[1] == p[-1] for m in out.missions))
    if (out.platforms or out.missions or out.levels or out.scene_types or out.instruments or out.cloud or out.tiles
            or out.orbits or out.absolute_orbits) and not out.product_types and "scene" not in out.kinds:
        out.kinds = (*out.kinds, "scene")
    derived = _DERIVED.search(norm)
    if derived and "scene" in out.kinds:
        words_before = norm[: derived.start()]
        if not any(k in words_before for k in ("scene", "image", "acquisition")):
            out.from_scenes = True
            out.kinds = tuple(k for k in out.kinds if k != "scene")
    if _LINEAGE.search(norm) and "scene" in out.kinds and out.product_types:
        out.lineage_of = tuple(t for t in out.product_types if t != "scene-catalogue")
        out.product_types = ()
    out.residual = " ".join(_blank(norm, consumed).split())
    return out


_GAZETTEER: Gazetteer | None = None
_PROTECTED: dict[int, re.Pattern[str]] = {}


def _protected_labels(labels: dict[str, list]) -> re.Pattern[str]:
    """Multi-word labels that contain a season or month word, as one regex (cached per vocabulary)."""
    key = id(labels)
    if key not in _PROTECTED:
        from eolink.search.timeexpr import MONTHS

        time_words = set(MONTHS) | {"winter", "spring", "summer", "autumn", "fall"}
        risky = [k for k in labels if " " in k and time_words & set(k.split())]
        _PROTECTED.clear()
        _PROTECTED[key] = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(k) for k in sorted(risky, key=len, reverse=True)) + r")(?![\w])") if risky else re.compile(r"(?!x)x")
    return _PROTECTED[key]


def _builtin_gazetteer() -> Gazetteer:
    global _GAZETTEER
    if _GAZETTEER is None:
        _GAZETTEER = Gazetteer.builtin()
    return _GAZETTEER
