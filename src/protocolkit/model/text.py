"""Which characters text in a protocol may hold, and how to show the rest harmlessly.

A protocol folder arrives from partners by clone, e-mail or upload, so its text is
untrusted. Control characters (C0, DEL, C1) and the bidirectional embedding, override and
isolate characters can clear a terminal, retitle its window, fake output, break XML or
make one id look like another. Names and labels may hold none of them; free text
(descriptions, rationales, notes) may hold newlines and tabs only. Anything that still
reaches an output is shown by :func:`visible` as an escape such as ``\\x1b``.
"""

from __future__ import annotations

import re

#: C0 controls, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
_HOSTILE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")

#: Fields whose text is prose: newlines and tabs are allowed there, nowhere else.
FREE_TEXT_FIELDS = frozenset({
    "description", "rationale", "summary", "notes", "note", "scenario", "text", "minimum", "reason",
    "statement", "explanation", "comment", "comments", "purpose_text", "detail", "details",
})


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control and bidirectional-override character written as an escape.

    ``keep`` lists characters to leave as they are (a terminal keeps ``"\\n\\t"``).

    Examples
    --------
    >>> visible("Police\\x1b[2J")
    'Police\\\\x1b[2J'
    >>> visible("a\\nb\\u202ec", keep="\\n")
    'a\\nb\\\\u202ec'
    """
    if keep:
        return _HOSTILE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return _HOSTILE.sub(_escape, text)


def hostile_character(text: str, free_text: bool = False) -> str | None:
    """The first character a name (or, with ``free_text``, prose) may not hold, as ``U+001B``; else None.

    Examples
    --------
    >>> hostile_character("Testshire\\x1b Police")
    'U+001B'
    >>> hostile_character("line one\\nline two", free_text=True) is None
    True
    """
    for match in _HOSTILE.finditer(text):
        if free_text and match.group() in "\n\t":
            continue
        return f"U+{ord(match.group()):04X}"
    return None


def check_text(value: str, field: str | None) -> str:
    """``value`` unchanged, or ``ValueError`` saying which character it may not hold and why."""
    free = field in FREE_TEXT_FIELDS
    bad = hostile_character(value, free_text=free)
    if bad is None:
        return value
    code = int(bad[2:], 16)
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        kind = "a bidirectional override character"
    else:
        kind = "a control character"
    where = "free text may hold newlines and tabs, but no other control characters" if free else \
        "names, labels and ids hold plain text on one line"
    raise ValueError(f"contains {kind} ({bad}); {where}: remove it")
