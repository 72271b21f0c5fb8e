"""IRI-safe escaping, literal escaping, language tags and value text (private helpers)."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pytest

from eolink.etl.rml import _terms as T


@pytest.mark.parametrize(
    "value",
    ["Bob", "Emily Smith", "Bob/Charles", "path/../Danny", "http://ex.org/a?b=c#d", "100%", "a+b=c&d;e",
     "(French part)", "[x]{y}|z\\", "tab\there", "ü and 日本", "\x01ctl", "\ue000private", "~_-.ok"],
)
def test_iri_safe_matches_r2rml(value: str) -> None:
    # R2RML IRI-safe: percent-encode everything but iunreserved (ALPHA DIGIT - . _ ~ and ucschar)
    expected = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-._~") or
                       (not ch.isascii() and ch.isprintable() and not 0xE000 <= ord(ch) <= 0xF8FF) else
                       quote(ch, safe="") for ch in value)
    assert T.iri_safe(pa.array([value])).to_pylist() == [expected]


def test_iri_safe_keeps_nulls() -> None:
    assert T.iri_safe(pa.array(["a b", None])).to_pylist() == ["a%20b", None]


def test_resolve_iris() -> None:
    arr = pa.array(["http://ex.org/x", "Carlos", "Juan Daniel", "path/../Danny", None])
    assert T.resolve_iris(arr, "http://ex.org/base/").to_pylist() == [
        "http://ex.org/x", "http://ex.org/base/Carlos", None, "http://ex.org/base/path/../Danny", None]
    assert T.resolve_iris(arr, None).to_pylist() == ["http://ex.org/x", None, None, None, None]


def test_escape_literals() -> None:
    arr = pa.array(['a "q"', "back\\slash", "two\nlines\r", "ünïcödé"])
    assert T.escape_literals(arr).to_pylist() == ['a \\"q\\"', "back\\\\slash", "two\\nlines\\r", "ünïcödé"]


def test_blank_labels_are_injective() -> None:
    labels = T.blank_labels(pa.array(["BobSmith", "Bob Smith", "Bob_Smith", "Bob_20_Smith"])).to_pylist()
    assert labels[0] == "BobSmith"
    assert len(set(labels)) == 4
    assert all(ch.isalnum() or ch == "_" for label in labels for ch in label)


@pytest.mark.parametrize(("tag", "ok"), [("en", True), ("en-GB", True), ("zh-Hant-TW", True), ("fi", True),
                                         ("english", False), ("spanish", False), ("e", False), ("en_GB", False)])
def test_language_tags(tag: str, ok: bool) -> None:
    assert T.valid_language_tag(tag) is ok


def test_to_text_by_dtype() -> None:
    assert T.to_text(pd.Series([True, False])).to_pylist() == ["true", "false"]
    assert T.to_text(pd.Series([10, 20])).to_pylist() == ["10", "20"]
    assert T.to_text(pd.Series([3.0, None]), T.XSD + "integer").to_pylist() == ["3", None]
    assert T.to_text(pd.Series([0.5, float("nan")])).to_pylist() == ["0.5", None]
    times = pd.Series(pd.to_datetime(["2024-06-01T10:00:00Z"], utc=True))
    assert T.to_text(times).to_pylist() == ["2024-06-01T10:00:00Z"]
    assert T.to_text(pd.Series(["True"]), T.XSD + "boolean").to_pylist() == ["true"]
    assert T.to_text(pd.Series(["x", 1, None], dtype=object)).to_pylist() == ["x", "1", None]
