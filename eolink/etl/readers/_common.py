"""Helpers shared by the readers (private: not API)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from eolink.errors import CRSError, InputError

__all__: list[str] = []


def fail(path: Path | str, problem: str, cls: type[InputError] = InputError) -> InputError:
    """An error whose message starts with the file name and states the problem in one line."""
    name = Path(path).name or str(path)
    text = " ".join(str(problem).split())
    text = text.replace("; It might help to specify the correct driver explicitly by prefixing the file path "
                        "with '<DRIVER>:', e.g. 'CSV:path'.", "")
    return cls(f"{name}: {text}")


def check_file(path: Path | str) -> Path:
    """The path as a :class:`Path` after checking that it is an existing, non-empty, readable file."""
    path = Path(path)
    if not path.exists():
        raise fail(path, "no such file")
    if not path.is_file():
        raise fail(path, "not a regular file")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as err:
        raise fail(path, f"cannot be read ({err.strerror or err})") from err
    if size == 0:
        raise fail(path, "empty file (0 bytes)")
    return path


def head_bytes(path: Path, n: int = 16) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


#: Magic numbers of image formats a vector reader must not accept under a vector suffix.
IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"II*\x00": "TIFF image",
    b"MM\x00*": "TIFF image",
    b"II+\x00": "BigTIFF image",
    b"GIF8": "GIF image",
}


def sniff_image(path: Path) -> str | None:
    """The kind of image ``path`` is by its first bytes, or None."""
    head = head_bytes(path, 16)
    for magic, kind in IMAGE_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def epsg_of(crs: Any) -> int | None:
    """EPSG code of a rasterio/pyproj CRS (or anything pyproj understands), None when it has none."""
    if crs is None:
        return None
    try:
        from pyproj import CRS

        return CRS.from_user_input(crs).to_epsg()
    except Exception:  # noqa: BLE001 - an unidentifiable CRS simply has no EPSG code
        return None


def resolve_crs(path: Path, found: Any, given: Any) -> Any:
    """The CRS to use: the file's, else the caller's ``crs=``, else :class:`CRSError`."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    if found:
        return found
    if given is None:
        raise fail(path, "has no coordinate reference system; pass crs= (e.g. crs='EPSG:4326')", CRSError)
    try:
        return CRS.from_user_input(given)
    except ProjCRSError as err:
        raise fail(path, f"unknown CRS {given!r} given as crs=", CRSError) from err


def geodesic_area(geoms: Any, crs: Any) -> np.ndarray:
    """Geodesic area in m² (WGS84 ellipsoid) of each polygon, whatever its CRS.

    Geometries are transformed to EPSG:4326 (vectorised) first. pyproj's
    ``Geod.geometry_area_perimeter`` takes one geometry at a time, hence the loop
    (charts have at most a few thousand polygons).
    """
    import geopandas as gpd
    from pyproj import Geod

    series = gpd.GeoSeries(geoms, crs=crs)
    if series.crs is not None and series.crs.to_epsg() != 4326:
        series = series.to_crs(4326)
    geod = Geod(ellps="WGS84")
    out = np.zeros(len(series), dtype=float)
    for i, geom in enumerate(series.values):  # one call per polygon: pyproj has no array API here
        if geom is not None and not geom.is_empty:
            out[i] = abs(geod.geometry_area_perimeter(geom)[0])
    return out


def planar_area_m2(geoms: Any, crs: Any) -> np.ndarray:
    """Planar area in m² of geometries in a projected CRS (vectorised)."""
    import shapely
    from pyproj import CRS

    factor = 1.0
    if crs is not None:
        units = CRS.from_user_input(crs).axis_info
        if units and units[0].unit_conversion_factor:
            factor = float(units[0].unit_conversion_factor)
    return shapely.area(np.asarray(geoms)) * factor * factor


def parse_iso(value: str | None) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string ('Z' allowed), None for None/''."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "y", "t")
