"""Text normalisation and tokenisation shared by query parsing and the lexical index.

>>> normalise("Maïs  MAISSI")
'mais maissi'
>>> tokenize("Sentinel-2 scenes, cloud < 20 %")
['sentinel', '2', 'scenes', 'cloud', '20']
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise", "tokenize", "STOPWORDS", "MAX_QUERY_CHARS"]

#: Longest query text accepted (characters); longer queries are refused with a 4xx.
MAX_QUERY_CHARS = 1000

_TOKEN = re.compile(r"[a-z0-9]+")

#: Words that carry no meaning for retrieval (en, plus a few de/fi function words).
STOPWORDS = frozenset(
    """a an and or the of in on at to for with without by from over under into onto within inside near
    is are was were be been any all some show find give me list get search what which where when that this those these
    my our your their it its as than then there here please i we you do does did have has
    der die das und mit im in von für auf ja tai sekä""".split()
)


def normalise(text: str) -> str:
    """Case-folded text without accents, whitespace collapsed (for matching labels and names)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def tokenize(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Lower-case ASCII-folded word tokens (letters and digits), stop words removed."""
    tokens = _TOKEN.findall(normalise(text))
    return [t for t in tokens if t not in STOPWORDS] if drop_stopwords else tokens
