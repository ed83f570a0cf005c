"""Putting a name next to its description without saying the same thing twice.

Every output a practitioner reads names a lawful basis by its label and citation, and an
obligation by its label and the rule's detail. Where the two say the same thing (the common law
duty of confidentiality has no citation but its own name; a rule may repeat an obligation's
label as its detail), the line says it once. Every layer (the engine's explanation, the command
line, the agreement documents, the widgets) builds these lines here.

Examples
--------
>>> with_detail("use a secure channel", "Egress or CJSM")
'use a secure channel (Egress or CJSM)'
>>> with_detail("use a secure channel", "Use a secure channel.")
'use a secure channel'
>>> joined("Public task", "UK GDPR Article 6(1)(e)")
'Public task: UK GDPR Article 6(1)(e)'
>>> joined("Common law duty of confidentiality", "Common law duty of confidentiality")
'Common law duty of confidentiality'
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, punctuation dropped.

    Examples
    --------
    >>> words("Data Protection Act 2018, Schedule 1")
    ['data', 'protection', 'act', '2018', 'schedule', '1']
    """
    return _WORD.findall(str(text).lower())


def _within(short: list[str], long: list[str]) -> bool:
    n = len(short)
    return any(long[i:i + n] == short for i in range(len(long) - n + 1))


def repeats(first: str, second: str) -> bool:
    """Whether one text says nothing the other does not: the same words, or one's words inside the other's.

    Examples
    --------
    >>> repeats("Common law duty of confidentiality", "common law duty of confidentiality.")
    True
    >>> repeats("record the decision", "record the decision and the reasons for it")
    True
    >>> repeats("Public task", "UK GDPR Article 6(1)(e)")
    False
    >>> repeats("", "anything")
    False
    """
    a, b = words(first), words(second)
    if not a or not b:
        return False
    return _within(a, b) if len(a) <= len(b) else _within(b, a)


def with_detail(label: str, detail: str) -> str:
    """``label (detail)``; only the longer of the two where one repeats the other; ``label`` without detail.

    Examples
    --------
    >>> with_detail("record the decision and the reasons for it", "")
    'record the decision and the reasons for it'
    >>> with_detail("use a secure channel", "use a secure channel such as Egress")
    'use a secure channel such as Egress'
    """
    detail = str(detail or "").strip()
    if not detail:
        return label
    if repeats(label, detail):
        return detail if len(words(detail)) > len(words(label)) else label
    return f"{label} ({detail})"


_NICKNAME = re.compile(r"\s*(\([^()]*\))\s*$")


def _split_nickname(text: str) -> tuple[str, str]:
    """``Domestic violence disclosure scheme (Clare's Law)`` -> (the name, ``(Clare's Law)``)."""
    match = _NICKNAME.search(text)
    return (text[:match.start()], match.group(1)) if match and match.start() else (text, "")


def joined(first: str, second: str, sep: str = ": ") -> str:
    """``first: second``; said once where one repeats the other (a name and its citation).

    Where the name, without a nickname in brackets, is already inside the other text, the fuller
    text is kept with the nickname after it.

    Examples
    --------
    >>> joined("Children Act 1989 section 47", "Duty to investigate")
    'Children Act 1989 section 47: Duty to investigate'
    >>> joined("Safeguarding", "safeguarding", sep=" - ")
    'Safeguarding'
    >>> joined("Domestic violence disclosure scheme (Clare's Law)",
    ...        "Domestic Violence Disclosure Scheme statutory guidance, issued under Domestic Abuse Act 2021 section 77")
    "Domestic Violence Disclosure Scheme statutory guidance, issued under Domestic Abuse Act 2021 section 77 (Clare's Law)"
    """
    if not second:
        return first
    (core1, nick1), (core2, nick2) = _split_nickname(first), _split_nickname(second)
    if not repeats(core1, core2):
        return f"{first}{sep}{second}"
    fuller, nickname = (first, nick2) if len(words(core1)) >= len(words(core2)) else (second, nick1)
    if nickname and words(nickname)[:1] and not _within(words(nickname), words(fuller)):
        return f"{fuller} {nickname}"
    return fuller


def beyond(text: str, other: str) -> str:
    """What ``text`` says that ``other`` beside it does not: all of it, its nickname alone, or nothing.

    Examples
    --------
    >>> beyond("Public task", "UK GDPR Article 6(1)(e)")
    'Public task'
    >>> beyond("Child sex offender disclosure scheme (Sarah's Law)",
    ...        "Criminal Justice Act 2003 section 327A; Child Sex Offender Disclosure Scheme guidance")
    "Sarah's Law"
    >>> beyond("Common law duty of confidentiality", "Common law duty of confidentiality")
    ''
    """
    core, nickname = _split_nickname(text)
    if not repeats(core, other):
        return text
    return nickname[1:-1] if nickname and not _within(words(nickname), words(other)) else ""


def repeated_phrase(line: str, length: int = 4) -> str | None:
    """The first run of ``length`` words that a line says twice, or None: the test every rendered line passes.

    Examples
    --------
    >>> repeated_phrase("Common law duty of confidentiality: Common law duty of confidentiality (CLDC)")
    'common law duty of'
    >>> print(repeated_phrase("Public task: UK GDPR Article 6(1)(e) (UKGDPR.6.1.e)"))
    None
    """
    seen = set()
    ws = words(line)
    for i in range(len(ws) - length + 1):
        run = tuple(ws[i:i + length])
        if run in seen:
            return " ".join(run)
        seen.add(run)
    return None


__all__ = ["beyond", "joined", "repeated_phrase", "repeats", "with_detail", "words"]
