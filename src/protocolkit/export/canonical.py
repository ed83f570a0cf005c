"""The canonical JSON form of a protocol: the one form every export derives from, and its content hash.

The canonical form is the protocol as it decides: its metadata, partners, rules,
need-to-know profiles, statements and guarantees, with every vocabulary section
(partner kinds, categories, stages, purposes, facts, obligation types, lawful bases)
*effective*, that is the shipped defaults merged with the protocol's own entries.
It is therefore self-contained: the same canonical JSON always decides the same way,
whatever taxonomy a later version of protocolkit ships. How the files were laid out
(``include``) is not part of it, and neither is the lifecycle ``status`` (draft, agreed,
published): the status is a label *about* the content, carried beside the hash in the
:class:`Stamp`, so agreeing or publishing a protocol does not change the content the
partners signed (see :mod:`protocolkit.lifecycle`).

Serialisation is fixed: keys sorted, lists in protocol order (rule order matters),
UTF-8 without escaping, two-space indentation, one newline at the end. The content
hash is the SHA-256 of those bytes; every artefact carries it in a :class:`Stamp`.

This module does not check a protocol (see :func:`ensure_exportable`) or write files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolValidationError, Severity
from ..model.protocol import Protocol

#: Version of the canonical form; bumped whenever its shape changes.
FORMAT_VERSION = "1.0"

#: The JSON Schema ``$id`` of the canonical form.
SCHEMA_ID = "https://protocolkit.invalid/schema/canonical-1.0.json"

#: Vocabulary sections written with the shipped defaults merged in.
VOCABULARY_SECTIONS: tuple[str, ...] = (
    "partner_kinds", "categories", "stages", "purposes", "facts", "obligation_types", "lawful_bases",
)

_VOCAB_ATTRIBUTE = {"partner_kinds": "kinds", "categories": "categories", "stages": "stages", "purposes": "purposes",
                    "facts": "facts", "obligation_types": "obligation_types", "lawful_bases": "lawful_bases"}


def canonical_dict(protocol: Protocol) -> dict[str, Any]:
    """The canonical form of a protocol as plain data (JSON types only).

    Parameters
    ----------
    protocol : Protocol

    Returns
    -------
    dict
        The protocol's sections (vocabularies effective), plus ``format_version``.

    Examples
    --------
    >>> import protocolkit
    >>> data = canonical_dict(protocolkit.load(protocolkit.example_path("mash")))
    >>> data["format_version"], data["metadata"]["id"]
    ('1.0', 'northbridge_mash')
    >>> "include" in data, data["rules"][0]["id"]
    (False, 'R-GEN-01')
    """
    from ..model.vocabulary import Vocabulary

    data = protocol.model_dump(mode="json", by_alias=True, exclude={"include": True, "metadata": {"status"}})
    vocab = Vocabulary.of(protocol)
    for section in VOCABULARY_SECTIONS:
        entries = getattr(vocab, _VOCAB_ATTRIBUTE[section])
        entries = entries.values() if isinstance(entries, dict) else entries
        data[section] = [e.model_dump(mode="json", by_alias=True) for e in entries]
    data["format_version"] = FORMAT_VERSION
    return data


def dumps_canonical(data: Any) -> bytes:
    """Serialise plain data the canonical way: sorted keys, UTF-8, two spaces, newline at the end.

    Examples
    --------
    >>> dumps_canonical({"b": 1, "a": "é"})
    b'{\\n  "a": "\\xc3\\xa9",\\n  "b": 1\\n}\\n'
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2, separators=(",", ": "), allow_nan=False)
    return (text + "\n").encode("utf-8")


def canonical_json(protocol: Protocol) -> bytes:
    """The canonical JSON of a protocol, as bytes.

    Examples
    --------
    >>> import protocolkit
    >>> text = canonical_json(protocolkit.load(protocolkit.example_path("mash")))
    >>> text[:1], text[-1:]
    (b'{', b'\\n')
    """
    from ..model.unchanged import remembered

    return remembered(protocol, "canonical_json", lambda: dumps_canonical(canonical_dict(protocol)))


def content_hash(protocol: Protocol) -> str:
    """The SHA-256 (hex) of the protocol's canonical JSON: what the agreement's sign-off block cites.

    Examples
    --------
    >>> import protocolkit
    >>> len(content_hash(protocolkit.load(protocolkit.example_path("mash"))))
    64
    """
    key = content_key(protocol)
    found = _HASHES.get(key)
    if found is None:
        found = hashlib.sha256(canonical_json(protocol)).hexdigest()
        _HASHES[key] = found
        while len(_HASHES) > 16:
            _HASHES.pop(next(iter(_HASHES)))
    return found


_HASHES: dict[bytes, str] = {}


def content_key(protocol: Protocol) -> bytes:
    """A digest of the protocol's whole content (pydantic's compiled JSON writer: milliseconds, where the
    canonical JSON takes a good part of a second); equal keys mean equal canonical JSON, so
    :func:`content_hash` is worked out once per content however often the exports ask for it."""
    from ..model.unchanged import model_json, remembered

    return remembered(protocol, "content_key", lambda: hashlib.sha256(model_json(protocol)).digest())


@dataclass(frozen=True)
class Stamp:
    """What every exported artefact carries: which protocol, which version, in which state, which content.

    Examples
    --------
    >>> s = Stamp("northbridge_mash", "1.0", "draft", "ab" * 32)
    >>> s.line()
    'protocol northbridge_mash version 1.0 (draft), sha256 abababababababababababababababababababababababababababababababab'
    >>> sorted(s.to_dict())
    ['format_version', 'protocol', 'sha256', 'status', 'version']
    """

    protocol: str
    version: str
    status: str
    sha256: str
    format_version: str = FORMAT_VERSION

    def to_dict(self) -> dict[str, str]:
        """Plain data, for JSON, JSON-LD and document properties."""
        return {"protocol": self.protocol, "version": self.version, "status": self.status,
                "sha256": self.sha256, "format_version": self.format_version}

    def line(self) -> str:
        """One line of text, for comments in Rego, Cedar and CSV files and for document footers.

        The protocol id and status are ids (lower_snake_case); the version is written as JSON
        text when it holds anything but letters, digits, dots and dashes, so a stamp line can
        never break out of a comment.
        """
        version = self.version if _plain(self.version) else json.dumps(self.version, ensure_ascii=True)
        return f"protocol {self.protocol} version {version} ({self.status}), sha256 {self.sha256}"


def _plain(text: str) -> bool:
    return bool(text) and all(c.isascii() and (c.isalnum() or c in ".-_+") for c in text)


def stamp(protocol: Protocol) -> Stamp:
    """The stamp of a protocol: id, version, status and the SHA-256 of its canonical JSON.

    Examples
    --------
    >>> import protocolkit
    >>> s = stamp(protocolkit.load(protocolkit.example_path("mash")))
    >>> s.protocol, len(s.sha256)
    ('northbridge_mash', 64)
    """
    m = protocol.metadata
    return Stamp(protocol=m.id, version=m.version, status=m.status, sha256=content_hash(protocol))


def ensure_exportable(protocol: Protocol) -> list:
    """Check a protocol before export; raise when it has errors, return its warnings.

    A protocol with errors is never exported: the exports would state rules the
    partnership has not got right. Warnings do not block; documents list them.

    Raises
    ------
    ProtocolValidationError
        Carrying every finding, when any is an error.

    Examples
    --------
    >>> import protocolkit
    >>> ensure_exportable(protocolkit.load(protocolkit.example_path("mash")))
    []
    """
    from ..model.checks import check_protocol

    findings = check_protocol(protocol, locate=getattr(protocol._source, "locate", None))
    if any(f.severity is Severity.ERROR for f in findings):
        raise ProtocolValidationError(findings)
    return [f for f in findings if f.severity is Severity.WARNING]


def canonical_schema() -> dict[str, Any]:
    """The published JSON Schema of the canonical form (draft 2020-12).

    It is the protocol file schema (generated from the model, so the two never disagree)
    with ``format_version`` required and ``include`` removed.

    Examples
    --------
    >>> schema = canonical_schema()
    >>> schema["properties"]["format_version"]["const"]
    '1.0'
    >>> "include" in schema["properties"]
    False
    """
    from ..model.schema import protocol_schema

    schema = protocol_schema()
    schema["$id"] = SCHEMA_ID
    schema["title"] = "protocolkit canonical protocol"
    schema["description"] = (
        "The canonical JSON form of an information sharing protocol: every vocabulary section effective "
        "(shipped defaults merged in), keys sorted, lists in protocol order. Its SHA-256 is the content hash."
    )
    schema["properties"].pop("include", None)
    schema["properties"]["format_version"] = {
        "const": FORMAT_VERSION, "description": "Version of the canonical form."}
    schema["required"] = sorted({*schema.get("required", []), "format_version", "metadata", *VOCABULARY_SECTIONS})
    schema["additionalProperties"] = False
    return schema


def write_json(protocol: Protocol, out_dir) -> list:
    """Write ``<id>.json`` (the canonical form) and ``<id>.schema.json`` (its JSON Schema) into ``out_dir``.

    Refuses a protocol with errors (:func:`ensure_exportable`).

    Examples
    --------
    >>> import protocolkit, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     [p.name for p in write_json(protocolkit.load(protocolkit.example_path("mash")), out)]
    ['northbridge_mash.json', 'northbridge_mash.schema.json']
    """
    from pathlib import Path

    ensure_exportable(protocol)
    out = Path(out_dir)
    data = canonical_json(protocol)
    target, schema = out / f"{protocol.metadata.id}.json", out / f"{protocol.metadata.id}.schema.json"
    target.write_bytes(data)
    schema.write_bytes(dumps_canonical(canonical_schema()))
    return [target, schema]
