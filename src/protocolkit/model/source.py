"""Reading YAML with positions, and finding where a model path sits in the files.

Every finding names a file, line and column. This module reads YAML with
ruamel.yaml's round-trip loader (which keeps comments and positions, so the same
document can be written back by :mod:`protocolkit.model.saving`) and maps a
model path such as ``("rules", 3, "from", "partners", 0)`` back to its place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import codes
from ..errors import Finding

#: Documents larger than this many nodes (after expanding aliases) are refused.
MAX_NODES = 200_000


def round_trip_yaml() -> YAML:
    """The one YAML reader/writer configuration used for protocol files."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the author's long lines when a file is written back
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@dataclass
class YamlFile:
    """A YAML file as read: its document (comments kept), its text and the text's hash."""

    path: Path
    display: str
    doc: Any
    sha256: str


class TooLarge(Exception):
    """A document expands to more nodes than protocolkit reads."""


def read_yaml(path: Path, display: str) -> tuple[YamlFile | None, list[Finding]]:
    """Read one YAML file, returning it or a PK100/PK114 finding; never raises for bad content."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [codes.MISSING_FILE.finding(
            f"file '{display}' does not exist", "create it or correct the name", file=display)]
    except OSError as exc:
        return None, [codes.MISSING_FILE.finding(f"cannot read '{display}': {exc.strerror}", "check the path and permissions", file=display)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [codes.YAML_SYNTAX.finding(
            f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8", file=display)]
    try:
        doc = round_trip_yaml().load(text)
        to_plain(doc)  # bound the size before anything walks it
    except TooLarge:
        return None, [codes.YAML_SYNTAX.finding(
            f"the document expands to more than {MAX_NODES} values (repeated aliases?)",
            "write the content out without deeply nested aliases", file=display)]
    except RecursionError:
        return None, [codes.YAML_SYNTAX.finding(
            "the document nests too deeply", "flatten the structure", file=display)]
    except Exception as exc:  # ruamel raises many types for malformed input; all mean "not YAML we can read"
        line, column = _mark_of(exc)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, [codes.YAML_SYNTAX.finding(
            f"cannot read YAML: {problem}", "fix the YAML syntax at this position (indentation, quotes, colons)",
            file=display, line=line, column=column)]
    return YamlFile(path, display, doc, hashlib.sha256(raw).hexdigest()), []


def _mark_of(exc: Exception) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def to_plain(node: Any, _count: list[int] | None = None) -> Any:
    """Convert ruamel containers to plain dicts and lists, refusing alias bombs."""
    count = _count if _count is not None else [0]
    count[0] += 1
    if count[0] > MAX_NODES:
        raise TooLarge()
    if isinstance(node, dict):
        return {k if isinstance(k, (str, int, float, bool)) or k is None else str(k): to_plain(v, count)
                for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v, count) for v in node]
    return node


@dataclass
class ItemSource:
    """Where one entry of a list section came from."""

    file: YamlFile
    seq: CommentedSeq
    index: int

    @property
    def node(self) -> Any:
        return self.seq[self.index]


@dataclass
class SourceMap:
    """The files a protocol was read from, and where each of its entries sits.

    ``items[section][i]`` says where the i-th entry of a merged list section came from;
    the ``metadata`` mapping lives in the main file.
    """

    folder: Path
    main: YamlFile
    files: dict[str, YamlFile] = field(default_factory=dict)
    items: dict[str, list[ItemSource]] = field(default_factory=dict)
    original: Any = None  # the protocol as loaded, to know what an edit changed

    def locate(self, path: tuple) -> tuple[str, int | None, int | None]:
        """File, line and column of a model path; as deep as the files allow."""
        if not path:
            return self.main.display, 1, 1
        head, rest = path[0], path[1:]
        if head in self.items and rest and isinstance(rest[0], int) and rest[0] < len(self.items[head]):
            source = self.items[head][rest[0]]
            line, column = node_position(source.seq, (source.index, *rest[1:]))
            return source.file.display, line, column
        line, column = node_position(self.main.doc, path)
        return self.main.display, line, column


def node_position(node: Any, path: tuple) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node on ``path`` that exists.

    Path elements that are not keys of the current node (pydantic's union labels) are skipped.
    """
    best: tuple[int | None, int | None] = (None, None)
    if hasattr(node, "lc"):
        best = (node.lc.line + 1, node.lc.col + 1)
    for step in path:
        if isinstance(node, CommentedMap) and step in node:
            try:
                line, col = node.lc.value(step) if not isinstance(node[step], (CommentedMap, CommentedSeq)) else node.lc.key(step)
            except (KeyError, TypeError, AttributeError):
                break
            best = (line + 1, col + 1)
            node = node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            try:
                line, col = node.lc.item(step)
            except (KeyError, TypeError, AttributeError):
                break
            best = (line + 1, col + 1)
            node = node[step]
        else:
            continue
    return best


def key_position(node: Any, path: tuple) -> tuple[int | None, int | None]:
    """Like :func:`node_position`, but points at the last key itself (for unknown keys)."""
    *parents, last = path if path else (None,)
    target = node
    for step in parents:
        if isinstance(target, CommentedMap) and step in target:
            target = target[step]
        elif isinstance(target, CommentedSeq) and isinstance(step, int) and 0 <= step < len(target):
            target = target[step]
    if isinstance(target, CommentedMap) and last in target:
        try:
            line, col = target.lc.key(last)
        except (KeyError, TypeError, AttributeError):  # a key brought in by a merge (<<: *alias) has no position
            return node_position(node, path)
        return line + 1, col + 1
    return node_position(node, path)


def path_text(path: tuple, entry_id: Callable[[str, int], str | None]) -> str:
    """A model path as people read it: ``rules[R12].from.partners[0]``.

    ``entry_id(section, index)`` names the entry of a list section by its id where it has one.
    """
    text = ""
    for i, step in enumerate(path):
        if isinstance(step, int):
            label = entry_id(path[0], step) if i == 1 else None
            text += f"[{step if label is None else label}]"
        else:
            text += ("." if text else "") + str(step)
    return text


def file_hash(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None where it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
