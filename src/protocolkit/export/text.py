"""Safe literals and comments for the generated policy languages (Rego, Cedar).

Free text from a protocol (titles, obligation details, the minimum a rule names) can
hold anything: quotes, backslashes, newlines, policy syntax, right-to-left and
zero-width marks. In a string literal it is escaped so that it can never end the
string or the line; in a comment only ids and escaped text appear, never raw text.
"""

from __future__ import annotations

import json
import unicodedata

#: Unicode categories written as escapes: controls, format marks (zero-width, bidi), separators, private use.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in _ESCAPED_CATEGORIES


def rego_string(text: str) -> str:
    r"""A Rego double-quoted string literal for any text.

    JSON escaping (Rego strings follow JSON), plus every control, format and separator
    character of the Basic Multilingual Plane as ``\uXXXX``, so a bidi override or a
    zero-width mark is visible in the file and cannot reorder the code around it.

    Examples
    --------
    >>> print(rego_string('say "hi"\n\u202e'))
    "say \"hi\"\n\u202e"
    """
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    if body.isascii() and "\x7f" not in body:   # JSON has escaped every other ASCII control character
        return '"' + body + '"'
    out = []
    for char in body:
        if _invisible(char) and ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def cedar_string(text: str) -> str:
    r"""A Cedar string literal for any text: quotes and backslashes escaped, every non-ASCII or
    non-printable character as ``\u{...}``.

    Examples
    --------
    >>> print(cedar_string('a "b" \\ c\n\u200b'))
    "a \"b\" \\ c\u{a}\u{200b}"
    """
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append(f"\\u{{{ord(char):x}}}")
    return '"' + "".join(out) + '"'


def comment_safe(text: str, limit: int = 120) -> str:
    """Text that may stand in a one-line comment: printable ASCII only, escaped otherwise, cut to a limit.

    Examples
    --------
    >>> comment_safe("Police share\\nwith \u202eMASH")
    'Police share\\\\nwith \\\\u202eMASH'
    """
    escaped = json.dumps(text, ensure_ascii=True)[1:-1]
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."
