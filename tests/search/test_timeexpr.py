"""Time expressions: tricky inputs against hand-written intervals."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from eolink.search.timeexpr import parse_time


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("summer 2021", d(2021, 6, 1), d(2021, 9, 1)),
        ("Sentinel-2 over Espoo in summer 2021 please", d(2021, 6, 1), d(2021, 9, 1)),
        ("in June 2021", d(2021, 6, 1), d(2021, 7, 1)),
        ("Juni 2021", d(2021, 6, 1), d(2021, 7, 1)),
        ("kesäkuu 2021", d(2021, 6, 1), d(2021, 7, 1)),
        ("2021-06-12", d(2021, 6, 12), d(2021, 6, 13)),
        ("12 June 2021", d(2021, 6, 12), d(2021, 6, 13)),
        ("June 12, 2021", d(2021, 6, 12), d(2021, 6, 13)),
        ("2021-06", d(2021, 6, 1), d(2021, 7, 1)),
        ("2020-12", d(2020, 12, 1), d(2021, 1, 1)),
        ("between 2018 and 2020", d(2018, 1, 1), d(2021, 1, 1)),
        ("2018–2020", d(2018, 1, 1), d(2021, 1, 1)),
        ("between 2021 and 2019", d(2019, 1, 1), d(2022, 1, 1)),  # reversed bounds: the same span
        ("from June 2021 to August 2021", d(2021, 6, 1), d(2021, 9, 1)),
        ("winter 2020/21", d(2020, 12, 1), d(2021, 3, 1)),
        ("winter 2021", d(2020, 12, 1), d(2021, 3, 1)),
        ("winter 2024/25", d(2024, 12, 1), d(2025, 3, 1)),  # Feb 2025 has 28 days; the interval ends 1 March
        ("in 2021", d(2021, 1, 1), d(2022, 1, 1)),
        ("before May 2021", None, d(2021, 5, 1)),
        ("until May 2021", None, d(2021, 6, 1)),
        ("after 2021-03-01", d(2021, 3, 2), None),
        ("since 2020", d(2020, 1, 1), None),
    ],
)
def test_intervals(text, start, end):
    constraints, spans = parse_time(text)
    assert len(constraints) == 1, constraints
    assert (constraints[0].start, constraints[0].end) == (start, end)
    assert constraints[0].months == ()
    assert spans


@pytest.mark.parametrize(
    ("text", "months"),
    [("February", (2,)), ("ice charts, February", (2,)), ("helmikuu", (2,)), ("summer", (6, 7, 8)),
     ("winter", (12, 1, 2)), ("from May to July", (5, 6, 7)), ("from November to February", (11, 12, 1, 2)),
     ("scenes in May", (5,))],
)
def test_months_without_year(text, months):
    constraints, _ = parse_time(text)
    assert len(constraints) == 1 and constraints[0].months == months and constraints[0].start is None


@pytest.mark.parametrize(
    "text",
    [
        "2021-02-30",  # no such day
        "2021-13-01",  # no such month
        "cloud cover below 20 %",
        "S2A_MSIL2A_20210612T095031_N0300_R079_T35VLG_20210612T120325",  # identifiers are not dates
        "tile 35VLG orbit 79",
        "what may happen",  # lower-case "may" is a verb
        "",
        "winter 2020/23",  # not consecutive years
    ],
)
def test_no_time(text):
    assert parse_time(text)[0] == []


def test_two_constraints_combine():
    constraints, _ = parse_time("in 2021, February")
    assert sorted((c.months, c.start) for c in constraints) == [((), d(2021, 1, 1)), ((2,), None)]


def test_open_bound_after_an_unrelated_from():
    constraints, _ = parse_time("scenes from relative orbit 80 before 2021-01-01")
    assert [(c.start, c.end) for c in constraints] == [(None, d(2021, 1, 1))]
