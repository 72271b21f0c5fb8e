"""Units of measure for the geof: functions (OGC ``uom:`` IRIs, a few QUDT aliases).

Linear units convert to metres. Angular units (``uom:degree``, ``uom:radian``) are
read as arc on the sphere of the WGS 84 mean radius R1 (6 371 008.8 m): one degree is
R1·π/180 ≈ 111 195 m, whatever the CRS. That keeps ``distance(a, b, uom:degree)`` a
true angular separation in every CRS, instead of a planar "distance" between
longitude/latitude pairs that would depend on latitude.

>>> to_metres(1, METRE), round(to_metres(1, DEGREE))
(1.0, 111195)
>>> round(from_metres(111195.08, DEGREE), 6)
1.0
>>> from_square_metres(2.5e6, "http://qudt.org/vocab/unit/KiloM2")
2.5
"""

from __future__ import annotations

import math

from eolink.errors import InputError
from eolink.ontology import UOM
from eolink.sparql.geosparql.crs import MEAN_EARTH_RADIUS

__all__ = [
    "METRE",
    "DEGREE",
    "RADIAN",
    "LINEAR_UNITS",
    "AREA_UNITS",
    "to_metres",
    "from_metres",
    "from_square_metres",
]

METRE = UOM + "metre"
DEGREE = UOM + "degree"
RADIAN = UOM + "radian"
_QUDT = "http://qudt.org/vocab/unit/"

#: Metres per unit, for every accepted linear or angular unit IRI.
LINEAR_UNITS: dict[str, float] = {
    METRE: 1.0,
    UOM + "meter": 1.0,
    UOM + "kilometre": 1000.0,
    UOM + "kilometer": 1000.0,
    UOM + "foot": 0.3048,
    UOM + "US_survey_foot": 1200 / 3937,
    UOM + "mile": 1609.344,
    DEGREE: MEAN_EARTH_RADIUS * math.pi / 180,
    RADIAN: MEAN_EARTH_RADIUS,
    _QUDT + "M": 1.0,
    _QUDT + "KiloM": 1000.0,
    _QUDT + "FT": 0.3048,
    _QUDT + "MI": 1609.344,
    _QUDT + "DEG": MEAN_EARTH_RADIUS * math.pi / 180,
    _QUDT + "RAD": MEAN_EARTH_RADIUS,
}

#: Square metres per unit, for area units named directly (``geof:area`` also takes linear units, squared).
AREA_UNITS: dict[str, float] = {
    UOM + "squareMetre": 1.0,
    UOM + "squareMeter": 1.0,
    _QUDT + "M2": 1.0,
    _QUDT + "KiloM2": 1e6,
    _QUDT + "HA": 1e4,
}


def _factor(unit: str) -> float:
    try:
        return LINEAR_UNITS[unit]
    except KeyError:
        raise InputError(f"unknown unit of measure <{unit}>") from None


def to_metres(value: float, unit: str) -> float:
    """``value`` in ``unit`` as metres. Raises InputError for an unknown unit.

    >>> to_metres(2, UOM + "kilometre")
    2000.0
    """
    return float(value) * _factor(unit)


def from_metres(metres: float, unit: str) -> float:
    """``metres`` expressed in ``unit``.

    >>> from_metres(1500, UOM + "kilometre")
    1.5
    """
    return float(metres) / _factor(unit)


def from_square_metres(square_metres: float, unit: str) -> float:
    """An area in ``unit``: an area unit, or a linear unit squared (``uom:metre`` → m²).

    >>> from_square_metres(1e4, METRE)
    10000.0
    """
    if unit in AREA_UNITS:
        return float(square_metres) / AREA_UNITS[unit]
    return float(square_metres) / _factor(unit) ** 2
