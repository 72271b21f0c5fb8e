"""Place names → geometries: a small gazetteer of the Helsinki region plus the named features of the store.

The gazetteer (``data/gazetteer.json``, GeoJSON) holds hand-drawn approximate outlines
(CRS84) of the region's municipalities (Helsinki, Espoo, Vantaa, Kauniainen,
Kirkkonummi, Sipoo, …), sea areas (Gulf of Finland, Baltic Sea) and the central
districts by the South Harbour, with Swedish/Finnish/German alternative names.
Named features of the store (OSM ``rdfs:label``\\ s such as *Kauppatori*) are added
by :meth:`Gazetteer.add_store_names`; a name used by several features resolves
to the union of their geometries.

>>> gaz = Gazetteer.builtin()
>>> [p.name for p, _ in gaz.find("scenes over esbo and vantaa")]
['Espoo', 'Vantaa']
>>> gaz.find("scenes over espoon")
[]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely

from eolink.search.text import STOPWORDS, normalise

__all__ = ["Place", "Gazetteer", "GAZETTEER_FILE"]

#: The built-in gazetteer (GeoJSON, CRS84).
GAZETTEER_FILE = Path(__file__).parent / "data" / "gazetteer.json"


@dataclass(frozen=True)
class Place:
    """A named place: name, kind (municipality, district, sea, region, feature) and CRS84 geometry."""

    name: str
    kind: str
    geometry: Any


class Gazetteer:
    """Normalised name → :class:`Place`; :meth:`find` picks the longest names in a text first."""

    def __init__(self) -> None:
        self._by_name: dict[str, Place] = {}
        self._pattern: re.Pattern[str] | None = None

    @classmethod
    def builtin(cls) -> Gazetteer:
        """The gazetteer of :data:`GAZETTEER_FILE`."""
        gaz = cls()
        doc = json.loads(GAZETTEER_FILE.read_text(encoding="utf-8"))
        for feature in doc["features"]:  # two dozen entries
            props = feature["properties"]
            place = Place(props["name"], props["kind"], shapely.geometry.shape(feature["geometry"]))
            for name in [props["name"], *props.get("alt_names", [])]:
                gaz.add(name, place)
        return gaz

    def add(self, name: str, place: Place, *, replace: bool = True) -> None:
        """Register ``place`` under ``name`` (normalised)."""
        key = normalise(name)
        if len(key) < 3 or key in STOPWORDS or key.isdigit():
            return
        if replace or key not in self._by_name:
            self._by_name[key] = place
            self._pattern = None

    def add_store_names(self, names: dict[str, Any]) -> None:
        """Add named store features: display name → CRS84 geometry (built-in names win)."""
        for name, geometry in names.items():
            self.add(name, Place(name, "feature", geometry), replace=False)

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> Place | None:
        """The place registered under ``name`` (any case or accents)."""
        return self._by_name.get(normalise(name))

    def find(self, text: str) -> list[tuple[Place, tuple[int, int]]]:
        """Places named in ``text`` (matched on whole words, longest first) with their spans in the normalised text."""
        if not self._by_name:
            return []
        if self._pattern is None:
            names = sorted(self._by_name, key=len, reverse=True)
            self._pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")
        out: list[tuple[Place, tuple[int, int]]] = []
        seen: set[str] = set()
        for match in self._pattern.finditer(normalise(text)):
            place = self._by_name[match.group(0)]
            if place.name not in seen:
                seen.add(place.name)
                out.append((place, match.span()))
        return out
