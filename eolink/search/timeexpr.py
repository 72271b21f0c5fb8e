"""Time expressions in search queries → time constraints.

Understood (English, with German and Finnish month names): ISO dates and months
(``2021-06-12``, ``2021-06``), ``12 June 2021``, ``June 12, 2021``, ``June 2021``,
a bare month (``February``: that month in any year), seasons with or without a
year (``summer 2021``, ``winter 2020/21``), years (``2021``), ranges
(``between 2018 and 2020``, ``from May to July 2021``, ``2018–2020``) and open
bounds (``before May 2021``, ``after 2021-03-01``, ``since 2020``).

A constraint is a half-open UTC interval ``[start, end)``, or a set of months
(1–12) when no year is given. Meteorological seasons: winter = Dec–Feb (``winter
2021`` is Dec 2020 – Feb 2021), spring Mar–May, summer Jun–Aug, autumn Sep–Nov.

>>> c, spans = parse_time("Sentinel-2 over Espoo in summer 2021")
>>> c[0].start.date(), c[0].end.date()
(datetime.date(2021, 6, 1), datetime.date(2021, 9, 1))
>>> parse_time("ice charts, February")[0][0].months
(2,)
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["TimeConstraint", "parse_time", "MONTHS"]

#: Month names (en, de, fi, abbreviations) → month number, keys normalised (lower case, no accents).
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar tammikuu tammikuussa",
        "february feb februar helmikuu helmikuussa",
        "march mar marz maerz maaliskuu maaliskuussa",
        "april apr huhtikuu huhtikuussa",
        "may mai toukokuu toukokuussa",
        "june jun juni kesakuu kesakuussa",
        "july jul juli heinakuu heinakuussa",
        "august aug elokuu elokuussa",
        "september sep sept syyskuu syyskuussa",
        "october oct oktober lokakuu lokakuussa",
        "november nov marraskuu marraskuussa",
        "december dec dezember joulukuu joulukuussa",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_SEASONS = {
    "winter": (12, 1, 2), "talvi": (12, 1, 2), "spring": (3, 4, 5), "fruhling": (3, 4, 5), "kevat": (3, 4, 5),
    "summer": (6, 7, 8), "sommer": (6, 7, 8), "kesa": (6, 7, 8), "kesalla": (6, 7, 8),
    "autumn": (9, 10, 11), "fall": (9, 10, 11), "herbst": (9, 10, 11), "syksy": (9, 10, 11),
}

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON_RE = "|".join(sorted(_SEASONS, key=len, reverse=True))
_YEAR = r"(?:19[5-9]\d|20\d\d|21\d\d)"


@dataclass(frozen=True)
class TimeConstraint:
    """``[start, end)`` in UTC (either side may be open: None), or ``months`` of any year."""

    text: str
    start: datetime | None = None
    end: datetime | None = None
    months: tuple[int, ...] = ()

    def describe(self) -> str:
        """Human-readable form, e.g. ``2021-06-01 – 2021-08-31``.

        >>> TimeConstraint("x", months=(2,)).describe()
        'February (any year)'
        """
        if self.months:
            return ", ".join(calendar.month_name[m] for m in self.months) + " (any year)"
        left = self.start.strftime("%Y-%m-%d") if self.start else "…"
        right = (self.end - timedelta(seconds=1)).strftime("%Y-%m-%d") if self.end else "…"
        return f"{left} – {right}"


def _utc(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=timezone.utc)


def _next_month(year: int, month: int) -> datetime:
    return _utc(year + 1, 1) if month == 12 else _utc(year, month + 1)


def _season(name: str, year: int | None, second_year: int | None = None) -> tuple[datetime | None, datetime | None, tuple[int, ...]]:
    months = _SEASONS[name]
    if year is None:
        return None, None, months
    if months[0] == 12:  # winter Y = Dec Y-1 .. Feb Y; "winter 2020/21" = Dec 2020 .. Feb 2021
        end_year = second_year if second_year is not None else year
        return _utc(end_year - 1, 12), _utc(end_year, 3), ()
    return _utc(year, months[0]), _next_month(year, months[-1]), ()


# A single point-like expression and its interval; tried in this order (longest forms first).
_POINT_PATTERNS: list[tuple[str, str]] = [
    ("iso_day", r"(?P<y>" + _YEAR + r")-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:t[\d:]+z?)?"),
    ("iso_month", r"(?P<y>" + _YEAR + r")-(?P<m>0?[1-9]|1[0-2])(?![\d-])"),
    ("day_month_year", r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\.?\s+(?P<mn>" + _MONTH_RE + r")\.?,?\s+(?P<y>" + _YEAR + r")"),
    ("month_day_year", r"(?P<mn>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>" + _YEAR + r")"),
    ("season_years", r"(?P<sn>" + _SEASON_RE + r")\s+(?:of\s+)?(?P<y>" + _YEAR + r")\s*[/-]\s*(?P<y2>\d{2}|" + _YEAR + r")"),
    ("season_year", r"(?P<sn>" + _SEASON_RE + r")\s+(?:of\s+)?(?P<y>" + _YEAR + r")"),
    ("month_year", r"(?P<mn>" + _MONTH_RE + r")\.?,?\s+(?:of\s+)?(?P<y>" + _YEAR + r")"),
    ("season", r"(?P<sn>" + _SEASON_RE + r")"),
    ("month", r"(?P<mn>" + _MONTH_RE + r")"),
    ("year", r"(?P<y>" + _YEAR + r")"),
]
_POINT = "|".join(f"(?P<{name}>{pattern.replace('(?P<', f'(?P<{name}_')})" for name, pattern in _POINT_PATTERNS)
_POINT_RE = re.compile(r"(?<![\w-])(?:" + _POINT + r")(?![\w])")
_RANGE_RE = re.compile(
    r"(?<![\w-])(?:between|from)\s+(?P<a>.+?)\s+(?:and|to|until|till|-|–)\s+(?P<b>.+?)(?=$|[,;.]|\s+(?:with|over|in|on|at|cloud|and|showing|covering)\b)"
)
_YEAR_RANGE_RE = re.compile(r"(?<![\w-])(?P<a>" + _YEAR + r")\s*(?:-|–|—|to|\.\.)\s*(?P<b>" + _YEAR + r")(?![\w-])")
_OPEN_RE = re.compile(r"(?<![\w-])(?P<op>before|until|till|after|since|from)\s+(?=(?P<x>[^,;]+))")


def _point(match: re.Match[str]) -> tuple[datetime | None, datetime | None, tuple[int, ...]] | None:
    """Interval (or months) of one matched point-like expression; None when the date does not exist."""
    kind = match.lastgroup
    g = {k[len(kind) + 1 :]: v for k, v in match.groupdict().items() if v is not None and k.startswith(f"{kind}_")}
    try:
        if kind == "iso_day" or kind in ("day_month_year", "month_day_year"):
            month = int(g["m"]) if "m" in g else MONTHS[g["mn"]]
            day = _utc(int(g["y"]), month, int(g["d"]))
            return day, day + timedelta(days=1), ()
        if kind in ("iso_month", "month_year"):
            month = int(g["m"]) if "m" in g else MONTHS[g["mn"]]
            year = int(g["y"])
            return _utc(year, month), _next_month(year, month), ()
        if kind == "season_years":
            y2 = int(g["y2"])
            if y2 < 100:
                y2 += int(g["y"]) // 100 * 100
            if y2 != int(g["y"]) + 1:
                return None
            return _season(g["sn"], int(g["y"]), y2)
        if kind == "season_year":
            return _season(g["sn"], int(g["y"]))
        if kind == "season":
            return _season(g["sn"], None)
        if kind == "month":
            return None, None, (MONTHS[g["mn"]],)
        if kind == "year":
            year = int(g["y"])
            return _utc(year), _utc(year + 1), ()
    except ValueError:  # 2021-02-30, month 13: not a date
        return None
    return None


def _single(text: str) -> tuple[datetime | None, datetime | None, tuple[int, ...]] | None:
    match = _POINT_RE.fullmatch(text.strip())
    return _point(match) if match else None


def parse_time(text: str) -> tuple[list[TimeConstraint], list[tuple[int, int]]]:
    """Time constraints in ``text`` and the character spans they came from.

    Parameters
    ----------
    text
        Query text (any case; accents are folded by the caller or here).

    Returns
    -------
    (constraints, spans)
        Every constraint must hold (they are combined with AND). Spans index ``text``.

    Examples
    --------
    >>> c, _ = parse_time("between 2018 and 2020")
    >>> c[0].start.year, c[0].end.year
    (2018, 2021)
    >>> parse_time("2021-02-30")[0]
    []
    """
    from eolink.search.text import normalise

    lowered = normalise(text) if len(normalise(text)) == len(text) else text.lower()
    constraints: list[TimeConstraint] = []
    spans: list[tuple[int, int]] = []
    taken = [False] * len(lowered)

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(a: int, b: int) -> None:
        for i in range(a, b):
            taken[i] = True
        spans.append((a, b))

    for regex in (_RANGE_RE, _YEAR_RANGE_RE):
        for m in regex.finditer(lowered):
            if not free(m.start(), m.end()):
                continue
            a, b = _single(m.group("a")), _single(m.group("b"))
            if a is None or b is None:
                continue
            if a[2] and b[2] and not a[0] and not b[0]:  # month to month, no year: "from May to July"
                lo, hi = a[2][0], b[2][-1]
                months = tuple(range(lo, hi + 1)) if lo <= hi else tuple(list(range(lo, 13)) + list(range(1, hi + 1)))
                constraints.append(TimeConstraint(m.group(0), months=months))
                take(m.start(), m.end())
            elif a[0] is not None and b[0] is not None:
                lo, hi = (a[0], b[1]) if a[0] < b[1] else (b[0], a[1])  # "between 2021 and 2019": the same span
                constraints.append(TimeConstraint(m.group(0), lo, hi))
                take(m.start(), m.end())
    for m in _OPEN_RE.finditer(lowered):
        if not free(m.start(), m.end()):
            continue
        inner = _POINT_RE.match(m.group("x"))
        if inner is None or inner.start() != 0:
            continue
        point = _point(inner)
        if point is None or point[0] is None:
            continue
        end = m.start("x") + inner.end()
        if m.group("op") in ("before", "until", "till"):
            constraints.append(TimeConstraint(lowered[m.start():end], None, point[0] if m.group("op") == "before" else point[1]))
        else:
            constraints.append(TimeConstraint(lowered[m.start():end], point[0] if m.group("op") != "after" else point[1], None))
        take(m.start(), end)
    for m in _POINT_RE.finditer(lowered):
        if not free(m.start(), m.end()):
            continue
        kind = m.lastgroup
        if kind == "month" and m.group(0) in ("may", "mar", "jun", "jul", "aug", "dec", "sep", "oct", "nov", "jan", "feb", "apr", "mai", "sept"):
            # short forms are words too ("may" in "what may…"): only count them next to a year (handled above)
            # or when written as a capitalised month name in the original text
            original = text[m.start():m.end()] if len(text) == len(lowered) else ""
            if not original[:1].isupper() or len(original) < 3 or original.lower() == "may" and original != "May":
                continue
        point = _point(m)
        if point is None:
            continue
        constraints.append(TimeConstraint(m.group(0), point[0], point[1], point[2]))
        take(m.start(), m.end())
    return constraints, spans
