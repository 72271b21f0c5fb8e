"""Generated sources with a known answer, for tests and ``benchmarks/interlink.py`` (fixed seeds).

* :func:`random_polygons` — star-shaped polygons (irregular, like parcels or change areas)
  scattered over a square, in a projected CRS.
* :func:`perturbed_copy` — a second "dataset" of the same real-world objects: names with
  typos, case changes and dropped words, geometries shifted by a few metres and slightly
  simplified, some objects missing and some unrelated ones added; the ground truth is
  the list of (original row, copy row) pairs.

>>> import numpy as np
>>> len(random_polygons(10, seed=1)), shapely.is_valid(random_polygons(10, seed=1)).all()
(10, np.True_)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = ["random_polygons", "random_points", "PerturbedCopy", "perturbed_copy", "noisy_names"]


def random_polygons(n: int, *, seed: int, extent: float = 10_000.0, size: float = 30.0, vertices: int = 8,
                    x0: float = 380_000.0, y0: float = 6_670_000.0) -> np.ndarray:
    """``n`` valid star-shaped polygons of mean radius ``size`` scattered over ``extent`` × ``extent``."""
    rng = np.random.default_rng(seed)
    centres = rng.random((n, 2)) * extent + np.array([x0, y0])
    radius = size * (0.3 + rng.random((n, 1)) * 1.4)
    angles = np.sort(rng.random((n, vertices)) * 2 * np.pi, axis=1)
    r = radius * (0.6 + 0.4 * rng.random((n, vertices)))
    xs = centres[:, :1] + r * np.cos(angles)
    ys = centres[:, 1:] + r * np.sin(angles)
    ring = np.stack([xs, ys], axis=2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    polygons = shapely.polygons(ring)
    bad = ~shapely.is_valid(polygons)
    polygons[bad] = shapely.convex_hull(polygons[bad])
    return polygons


def random_points(n: int, *, seed: int, extent: float = 10_000.0, x0: float = 380_000.0, y0: float = 6_670_000.0) -> np.ndarray:
    """``n`` random points over the same square as :func:`random_polygons`."""
    rng = np.random.default_rng(seed)
    return shapely.points(rng.random((n, 2)) * extent + np.array([x0, y0]))


def noisy_names(names: pd.Series, rng: np.random.Generator, *, rate: float = 0.6) -> pd.Series:
    """Names with typos (a deleted, swapped or replaced letter), case changes or a dropped word, at ``rate``.

    >>> noisy_names(pd.Series(["Kaartin kasarmi"]), np.random.default_rng(0), rate=0.0).tolist()
    ['Kaartin kasarmi']
    """
    out = []
    letters = "abcdefghijklmnopqrstuvwxyzäö"
    # string edits per name: there is no vectorised form for random character surgery
    for name in names.astype(str).tolist():
        if not name or rng.random() >= rate:
            out.append(name)
            continue
        kind = rng.integers(0, 4)
        k = int(rng.integers(0, max(1, len(name) - 1)))
        if kind == 0 and len(name) > 3:
            name = name[:k] + name[k + 1:]
        elif kind == 1 and len(name) > 3:
            name = name[:k] + name[k + 1] + name[k] + name[k + 2:]
        elif kind == 2:
            name = name[:k] + letters[int(rng.integers(0, len(letters)))] + name[k + 1:]
        else:
            words = name.split()
            name = " ".join(words[:-1]) if len(words) > 1 else name.upper()
        out.append(name)
    return pd.Series(out, index=names.index)


@dataclass
class PerturbedCopy:
    """A perturbed copy of a feature table and the ground truth ``(original row, copy row)``."""

    frame: object  # GeoDataFrame
    truth: list[tuple[int, int]]


def perturbed_copy(frame: object, *, seed: int, shift_m: float = 8.0, keep: float = 0.85, extra: float = 0.1,
                   name_column: str = "name") -> PerturbedCopy:
    """A second dataset of the objects of ``frame`` (a GeoDataFrame in a metric or geographic CRS).

    ``keep`` of the rows are copied (names made noisy, geometries shifted up to ``shift_m`` metres),
    ``extra`` × rows of unrelated features (shuffled names, random places in the extent) are added,
    and the rows are shuffled.
    """
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    src = frame.reset_index(drop=True)  # type: ignore[attr-defined]
    metric = src.estimate_utm_crs() if src.crs.is_geographic else src.crs
    projected = src.to_crs(metric)
    kept = np.sort(rng.choice(len(src), size=int(round(keep * len(src))), replace=False))
    copy = projected.iloc[kept].copy()
    dx, dy = (rng.random((2, len(copy))) * 2 - 1) * shift_m / np.sqrt(2)
    copy["geometry"] = _translate(shapely.simplify(np.asarray(copy.geometry.values, dtype=object), 0.5), dx, dy)
    if name_column in copy.columns:
        has = copy[name_column].notna()
        copy.loc[has, name_column] = noisy_names(copy.loc[has, name_column], rng)
    n_extra = int(round(extra * len(src)))
    others = projected.iloc[rng.choice(len(src), size=n_extra, replace=True)].copy()
    bounds = projected.total_bounds
    offsets = rng.random((n_extra, 2)) * (bounds[2:] - bounds[:2]) + bounds[:2]
    centres = shapely.get_coordinates(shapely.centroid(others.geometry.values))
    others["geometry"] = _translate(others.geometry.values, offsets[:, 0] - centres[:, 0], offsets[:, 1] - centres[:, 1])
    if name_column in others.columns:
        others[name_column] = rng.permutation(others[name_column].to_numpy())
    combined = pd.concat([copy.assign(_origin=kept), others.assign(_origin=-1)], ignore_index=True)
    combined = combined.iloc[rng.permutation(len(combined))].reset_index(drop=True)
    truth = [(int(o), int(r)) for r, o in enumerate(combined["_origin"].to_numpy()) if o >= 0]
    out = gpd.GeoDataFrame(combined.drop(columns="_origin"), geometry="geometry", crs=metric).to_crs(src.crs)
    return PerturbedCopy(out, truth)


def _translate(geometries: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Shift each geometry by its own (dx, dy), vectorised over coordinates."""
    copy = np.asarray(shapely.from_wkb(shapely.to_wkb(np.asarray(geometries, dtype=object))), dtype=object)
    coords, index = shapely.get_coordinates(copy, return_index=True)
    return shapely.set_coordinates(copy, coords + np.column_stack([dx, dy])[index])
