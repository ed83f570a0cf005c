"""Making model text safe to print: one place for what every document format does to text first.

Text from a protocol may hold anything: quotes, newlines, markup, right-to-left and
zero-width marks, very long names. Before a renderer escapes text for its format,
:func:`clean` removes control characters, turns line breaks into spaces, and shows
bidirectional embedding, override and isolate characters as visible codes such as ``[U+202E]``, so
no name can make an agreement display something other than what it holds.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


def clean(text: str, strip: bool = True) -> str:
    """One line of printable text; ``strip=False`` keeps one space at either end (text runs).

    Examples
    --------
    >>> clean("a\\nb\\u202egnp.exe\\x07")
    'a b[U+202E]gnp.exe'
    """
    text = _CONTROL.sub(" ", str(text))
    text = _BIDI.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)
    text = _SPACE.sub(" ", text)
    return text.strip() if strip else text
