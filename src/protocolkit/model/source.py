"""Reading YAML with positions, and finding where a model path sits in the files.

Every finding names a file, line and column. This module reads YAML with
ruamel.yaml's round-trip loader (which keeps comments and positions, so the same
document can be written back by :mod:`protocolkit.model.saving`) and maps a
model path such as ``("rules", 3, "from", "partners", 0)`` back to its place.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import codes
from ..errors import Finding

#: Documents whose aliases expand to more than this many values are refused (an alias bomb);
#: values written out in full count only against the file size cap.
MAX_NODES = 200_000

#: The largest file protocolkit reads, in bytes, unless the environment variable
#: ``PROTOCOLKIT_MAX_FILE_BYTES`` says otherwise. Checked before a byte is parsed.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_FILE_BYTES_VARIABLE = "PROTOCOLKIT_MAX_FILE_BYTES"


def max_file_bytes() -> int:
    """The file size cap in force: ``PROTOCOLKIT_MAX_FILE_BYTES`` when set to a whole number, else 8 MiB.

    Examples
    --------
    >>> import os
    >>> os.environ.pop("PROTOCOLKIT_MAX_FILE_BYTES", None) and None
    >>> max_file_bytes()
    8388608
    """
    value = os.environ.get(MAX_FILE_BYTES_VARIABLE, "").strip().replace("_", "")
    return int(value) if value.isdigit() and int(value) > 0 else MAX_FILE_BYTES


def round_trip_yaml() -> YAML:
    """The one YAML reader/writer configuration used for protocol files."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the author's long lines when a file is written back
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [a, {b: c}] keeps its braces when written back
    return yaml


@dataclass(eq=False)  # one object per file read, hashable by identity
class YamlFile:
    """A YAML file as read: its document (comments kept), its text and the text's hash."""

    path: Path
    display: str
    doc: Any
    sha256: str
    newline: str = "\n"     # "\r\n" for a file written with Windows line endings
    bom: bool = False       # the file starts with a UTF-8 byte order mark


class PlainYamlFile:
    """A YAML file read for its data alone (:func:`read_plain_yaml`): the round-trip document, which
    knows where each node sits, is parsed from the text only when a position is asked for."""

    def __init__(self, path: Path, display: str, text: str):
        self.path, self.display, self.text = path, display, text
        self._doc = None

    @property
    def doc(self) -> Any:
        """The round-trip document (comments and positions kept), parsed on first use."""
        if self._doc is None:
            self._doc = round_trip_yaml().load(self.text)
        return self._doc

    def position(self, path: tuple) -> tuple[int | None, int | None]:
        """1-based line and column of the node at ``path`` (as :func:`node_position` gives it), found by
        streaming the file's events where it can: a big file is then never parsed the round-trip way."""
        if self._doc is None:
            from .plain_yaml import locate_plain

            found = locate_plain(self.text, path)
            if found is not None:
                return found
        return node_position(self.doc, path)


def read_plain_yaml(path: Path, display: str, *, root: Path | None = None) -> tuple[Any, PlainYamlFile] | None:
    """The data of a YAML file of plain mappings, sequences and scalars, read fast (libyaml), with the file.

    The same checks on the file as :func:`read_yaml` (regular file, inside ``root``, size cap),
    and the same values a round-trip read gives. None when the file cannot be read this way
    (a refused file, bad UTF-8, a tag, an alias, a YAML error...): read it with :func:`read_yaml`,
    which says what is wrong, where.
    """
    from .plain_yaml import load_plain

    try:
        text = read_bytes_checked(path, root).decode("utf-8")
    except (FileRefused, UnicodeDecodeError):
        return None
    data = load_plain(text)
    return None if data is None else (data, PlainYamlFile(path, display, text))


class TooLarge(Exception):
    """A document expands to more nodes than protocolkit reads."""


@dataclass(frozen=True)
class Where:
    """Where a file is named (the main file itself, or an ``include:`` line), for problems with the file."""

    label: str                      # how messages name the file, such as "included file 'rules/a.yaml'"
    file: str
    line: int | None = None
    column: int | None = None
    key: str = ""

    def finding(self, code: codes.Code, message: str, fix: str) -> Finding:
        return code.finding(message, fix, file=self.file, line=self.line, column=self.column, key=self.key)


class FileRefused(Exception):
    """A file protocolkit will not read; ``message`` and ``fix`` quote nothing from the file."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


def _loop_or(exc: OSError, where: str) -> FileRefused:
    if exc.errno == errno.ELOOP:
        return FileRefused(f"{where} is a symbolic link that leads round in a loop", "point the link at a real file")
    if isinstance(exc, FileNotFoundError):
        return FileRefused(f"{where} does not exist", "create it, or correct the name")
    return FileRefused(f"cannot read {where}: {exc.strerror or type(exc).__name__}", "check the path and permissions")


def inside(path: Path, root: Path) -> Path:
    """``path`` resolved (symbolic links followed); :class:`FileRefused` when it leaves ``root``.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "a").mkdir(); _ = (root / "b.yaml").write_text("x: 1")
    >>> inside(root / "a" / ".." / "b.yaml", root) == (root / "b.yaml").resolve()
    True
    >>> inside(root / ".." / "q.yaml", root)
    Traceback (most recent call last):
    ...
    protocolkit.model.source.FileRefused: it leads outside the protocol folder
    """
    try:
        resolved = Path(os.path.realpath(path, strict=True))
        top = Path(os.path.realpath(root))
    except OSError as exc:
        if exc.errno == errno.ENOENT and not _within(Path(os.path.realpath(path)), Path(os.path.realpath(root))):
            raise FileRefused(*_OUTSIDE) from None
        raise _loop_or(exc, "it") from None
    if not _within(resolved, top):
        raise FileRefused(*_OUTSIDE)
    return resolved


_OUTSIDE = ("it leads outside the protocol folder",
            "keep every file a protocol reads inside its folder, named relative to it; symbolic links may not leave it")


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_bytes_checked(path: Path, root: Path | None = None) -> bytes:
    """The bytes of a regular file no larger than the size cap, lying inside ``root`` when given.

    Devices, pipes, folders and sockets are never opened for reading (a FIFO would block, /dev/zero
    never ends); the size is checked before reading and again while reading.
    """
    try:
        resolved = inside(path, root) if root is not None else Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        raise _loop_or(exc, "it") from None
    limit = max_file_bytes()
    try:
        info = os.stat(resolved)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("it is not a regular file (a folder, device or pipe)", "name a YAML file")
        if info.st_size > limit:
            raise FileRefused(*_too_large(limit))
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _loop_or(exc, "it") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped between the two looks
            raise FileRefused("it is not a regular file (a folder, device or pipe)", "name a YAML file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _loop_or(exc, "it") from None
    finally:
        os.close(fd)
    if size > limit:
        raise FileRefused(*_too_large(limit))
    return b"".join(chunks)


def _too_large(limit: int) -> tuple[str, str]:
    return (f"it is larger than {limit:,} bytes, the most protocolkit reads",
            f"split it into smaller files, or raise the limit with the environment variable {MAX_FILE_BYTES_VARIABLE}")


def read_yaml(path: Path, display: str, *, root: Path | None = None, where: Where | None = None,
              text: str | None = None) -> tuple[YamlFile | None, list[Finding]]:
    """Read one YAML file, returning it or a PK100/PK114 finding; never raises for bad content.

    ``root``: the folder the file must lie in (symbolic links followed). ``where``: how to name the
    file and where to report a problem with the file itself (default: the file). ``text``: the
    file's content already in hand (a save checking what it is about to write), read instead of
    the disk.
    """
    where = where or Where(f"'{display}'", display)
    if text is None:
        try:
            raw = read_bytes_checked(path, root)
        except FileRefused as refused:
            return None, [where.finding(codes.MISSING_FILE, f"cannot read {where.label}: {refused.message}", refused.fix)]
    else:
        raw = text.encode("utf-8")
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
            f"the document's aliases expand to more than {MAX_NODES:,} values (an alias bomb?)",
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
    crlf = raw.count(b"\r\n") * 2 > raw.count(b"\n")
    return YamlFile(path, display, doc, hashlib.sha256(raw).hexdigest(), newline="\r\n" if crlf else "\n",
                    bom=raw.startswith(b"\xef\xbb\xbf")), []


def expand_pattern(folder: Path, pattern: str) -> list[Path]:
    """The paths an ``include:`` pattern names below ``folder``, in sorted order.

    Like :func:`glob.glob` (``*``, ``?``, ``[...]``; hidden names only for a pattern starting
    with a dot), but a folder that cannot be listed raises :class:`FileRefused` instead of
    silently matching nothing, and a plain name is returned as it is, existing or not.
    """
    if not any(c in pattern for c in "*?["):
        return [folder / pattern]
    current = [folder]
    for part in Path(pattern).parts:
        if not any(c in part for c in "*?["):
            current = [base / part for base in current]
            continue
        found = []
        for base in current:
            try:
                names = os.listdir(base)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                shown = base.relative_to(folder) if base != folder else Path(".")
                raise FileRefused(f"cannot list the folder '{shown.as_posix()}': {exc.strerror or exc}",
                                  "make the folder readable, or correct the pattern") from None
            found += [base / n for n in fnmatch.filter(names, part) if part.startswith(".") or not n.startswith(".")]
        current = found
    return sorted((p for p in current if os.path.lexists(p)), key=str)


def _mark_of(exc: Exception) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def to_plain(node: Any, _state: list | None = None, _expanding: bool = False) -> Any:
    """Convert ruamel containers to plain dicts and lists, refusing alias bombs.

    A container met a second time is an alias being expanded: its values count against
    :data:`MAX_NODES`. Values written out once are not counted, so a long file of plain
    entries is bounded by the file size cap only.
    """
    state = _state if _state is not None else [0, set()]
    if isinstance(node, (dict, list)):
        if not _expanding:
            if id(node) in state[1]:
                _expanding = True
            else:
                state[1].add(id(node))
    if _expanding:
        state[0] += 1
        if state[0] > MAX_NODES:
            raise TooLarge()
    if isinstance(node, dict):
        return {k if isinstance(k, (str, int, float, bool)) or k is None else str(k): to_plain(v, state, _expanding)
                for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v, state, _expanding) for v in node]
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
    """SHA-256 of a file's bytes, or None where it does not exist (or cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
