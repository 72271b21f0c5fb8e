"""Column-wise building blocks of RDF terms in N-Triples syntax (private).

Everything here takes and returns :mod:`pyarrow` string arrays, so that a term
map is evaluated for a whole chunk of rows at once; nulls mean "no term".

>>> import pyarrow as pa
>>> iri_safe(pa.array(["Saint Martin (French part)", "Bob"])).to_pylist()
['Saint%20Martin%20%28French%20part%29', 'Bob']
>>> escape_literal('say "hi"\\n')
'say \\\\"hi\\\\"\\\\n'
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "escape_literal",
    "escape_literals",
    "valid_language_tag",
    "LANGUAGE_TAG_RE",
    "iri_safe",
    "resolve_iris",
    "blank_labels",
    "to_text",
    "concat",
]

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "negativeInteger", "nonPositiveInteger",
                                    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}

#: BCP 47 language tags (RFC 5646), with the primary language subtag limited to 2–3
#: letters: a 5–8 letter "registered" subtag such as ``english`` is not accepted (RMLTC0015b).
LANGUAGE_TAG_RE = (
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?|[xX](?:-[A-Za-z0-9]{1,8})+)$"
)
_LANGUAGE_TAG = re.compile(LANGUAGE_TAG_RE)

# Characters allowed unescaped in an IRI-safe value (R2RML: iunreserved).
_UCS = r"\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}\x{10000}-\x{EFFFD}"
_UNSAFE_RE = r"[^A-Za-z0-9\-._~" + _UCS + "]"
_NON_ASCII_UNSAFE_RE = r"[^\x00-\x7F" + _UCS + "]"
_UNSAFE_ASCII = [chr(c) for c in range(128) if not (chr(c).isalnum() or chr(c) in "-._~%")]
_ABSOLUTE_RE = r"^[A-Za-z][A-Za-z0-9+.\-]*:"
_VALID_IRI_RE = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*$"
#: An absolute IRI with only characters N-Triples allows (public: the executor's template check uses it).
VALID_IRI_RE = _VALID_IRI_RE


def escape_literal(text: str) -> str:
    """Escape ``text`` for the inside of an N-Triples string literal."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def escape_literals(arr: pa.Array) -> pa.Array:
    """:func:`escape_literal` for a whole column (one scan when nothing needs escaping)."""
    if not _any(pc.match_substring_regex(arr, r'[\\"\n\r]')):
        return arr
    for old, new in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
        if _any(pc.match_substring(arr, old)):
            arr = pc.replace_substring(arr, old, new)
    return arr


def valid_language_tag(tag: str) -> bool:
    """Whether ``tag`` is a well-formed BCP 47 language tag.

    >>> valid_language_tag("en-GB"), valid_language_tag("english")
    (True, False)
    """
    return bool(_LANGUAGE_TAG.match(tag))


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def _percent(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def iri_safe(arr: pa.Array) -> pa.Array:
    """Percent-encode every character that is not iunreserved (R2RML IRI-safe form).

    Replacements run once per distinct unsafe ASCII character present, each over
    the whole column; only values holding non-ASCII characters outside
    ``ucschar`` (controls, private use) take a per-value path.
    """
    if not _any(pc.match_substring_regex(arr, _UNSAFE_RE)):
        return arr
    if _any(pc.match_substring(arr, "%")):
        arr = pc.replace_substring(arr, "%", "%25")
    for ch in _UNSAFE_ASCII:
        if _any(pc.match_substring(arr, ch)):
            arr = pc.replace_substring(arr, ch, _percent(ch))
    mask = pc.match_substring_regex(arr, _NON_ASCII_UNSAFE_RE)
    if _any(mask):
        bad = re.compile(r"[^\x00-\x7F\xA0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF\U00010000-\U000EFFFD]")
        # rare: a Python loop over only the values that hold such characters
        values = arr.to_pylist()
        flags = mask.to_pylist()
        arr = pa.array([bad.sub(lambda m: _percent(m.group()), v) if f else v for v, f in zip(values, flags)],
                       type=pa.string())
    return arr


def resolve_iris(arr: pa.Array, base: str | None) -> pa.Array:
    """Resolve relative IRIs against ``base`` (by concatenation, as R2RML does); null invalid ones."""
    absolute = pc.match_substring_regex(arr, _ABSOLUTE_RE)
    if base is None:
        arr = pc.if_else(absolute, arr, pa.scalar(None, pa.string()))
    elif not _any(absolute) or not bool(pc.all(absolute).as_py()):
        arr = pc.if_else(absolute, arr, pc.binary_join_element_wise(base, arr, ""))
    valid = pc.match_substring_regex(arr, _VALID_IRI_RE)
    return pc.if_else(valid, arr, pa.scalar(None, pa.string()))


def blank_labels(arr: pa.Array) -> pa.Array:
    """Blank-node labels from values: injective, using only ``[A-Za-z0-9_]``."""
    plain = pc.match_substring_regex(arr, r"^[A-Za-z0-9]+$")
    if bool(pc.all(pc.or_kleene(plain, pc.is_null(arr))).as_py()):
        return arr
    unsafe = re.compile(r"[^A-Za-z0-9]")
    # rare (labels with punctuation): a Python loop over the values that need escaping
    values = arr.to_pylist()
    flags = plain.to_pylist()
    return pa.array(
        [v if v is None or f else unsafe.sub(lambda m: f"_{ord(m.group()):X}_", v) for v, f in zip(values, flags)],
        type=pa.string(),
    )


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; a null in any part makes the result null."""
    if not any(isinstance(p, (pa.Array, pa.ChunkedArray)) for p in parts):
        raise ValueError("concat needs at least one array")
    return pc.binary_join_element_wise(*parts, "")


def _scalar_text(value: object) -> str | None:
    """Text of one non-string value (object columns of mixed types)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        if np.isinf(value):
            return "INF" if value > 0 else "-INF"
        return repr(float(value))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == _dt.timedelta(0):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "wkt") and hasattr(value, "geom_type"):  # a shapely geometry
        return value.wkt
    return str(value)


def to_text(values: pd.Series, datatype: str | None = None) -> pa.Array:
    """The lexical forms of a column of values, column-wise where the dtype allows.

    Booleans become ``true``/``false``; integral floats typed as an XSD integer type
    lose their ``.0``; datetimes become ISO 8601 (``Z`` for UTC); missing values
    (None, NaN, NaT) become null.
    """
    dtype = values.dtype
    if len(values) == 0:
        return pa.array([], type=pa.string())
    if pd.api.types.is_bool_dtype(dtype):
        arr = pa.array(values.astype("boolean"), type=pa.bool_(), from_pandas=True)
        return pc.if_else(arr, "true", "false")
    if pd.api.types.is_integer_dtype(dtype):
        return pa.array(values, from_pandas=True).cast(pa.string())
    if pd.api.types.is_float_dtype(dtype):
        arr = pa.array(values.astype("float64"), type=pa.float64(), from_pandas=True)
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.float64()), arr)
        if datatype in _INTEGER_TYPES and bool(pc.all(pc.equal(pc.round(arr), arr)).as_py() in (True, None)):
            return arr.cast(pa.int64()).cast(pa.string())
        if datatype == XSD + "decimal":
            return pa.array([None if v is None else np.format_float_positional(v, trim="-")
                             for v in arr.to_pylist()], type=pa.string())
        text = arr.cast(pa.string())
        text = pc.replace_substring_regex(text, r"^(-?[0-9]+)$", r"\1.0")  # 100.0 stays "100.0", as Python
        text = pc.replace_substring(text, "inf", "INF")
        return text
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        utc = isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) in ("UTC", "utc")
        text = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        arr = pa.array(text, type=pa.string(), from_pandas=True)
        return pc.binary_join_element_wise(arr, "Z", "") if utc else arr
    if getattr(dtype, "name", "") == "geometry":
        import shapely

        return pa.array(shapely.to_wkt(np.asarray(values.array), rounding_precision=-1), type=pa.string(),
                        from_pandas=True)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    else:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        if kind in ("string", "empty"):
            arr = pa.array(values, type=pa.string(), from_pandas=True)
        else:
            # mixed-type object columns (in-memory tables) have no column-wise path
            arr = pa.array([_scalar_text(v) for v in values], type=pa.string())
    if datatype == XSD + "boolean":
        lower = pc.utf8_lower(arr)
        arr = pc.if_else(pc.is_in(lower, pa.array(["true", "false"])), lower, arr)
    return arr
