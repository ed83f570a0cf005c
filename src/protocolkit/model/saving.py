"""Saving a protocol back to its files without losing anything people wrote.

:func:`save` writes only what changed since the protocol was loaded, into the
file each entry came from, through ruamel.yaml's round-trip writer: comments,
key order, quoting and untouched shorthand survive. Before a byte is written the
new text is read back (in memory: nothing is written anywhere for the check) and
must give the same protocol, and the protocol must validate; otherwise the save is
refused and every file stays as it was.

All files of one save land together or none do: every new text is written to a
temporary file beside its target and flushed to disk first, then the files are
renamed into place; if a rename fails, the files already replaced get their old
content back. A symbolic link inside the folder is kept and its target written.
Each file keeps its form: line endings, byte order mark, folded and literal blocks.

A file changed on disk since it was loaded (by a person, another notebook) is
not overwritten: the save is refused and says so. The check is made again
immediately before the renames.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import tempfile
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

from .checks import check_protocol
from .loading import PROTOCOL_FILE, load_with_findings
from .protocol import LIST_SECTIONS, Protocol
from .readiness import blocking_findings
from .source import ItemSource, SourceMap, YamlFile, file_hash, round_trip_yaml
from ..errors import ProtocolValidationError, SaveRefusedError, Severity


def save(protocol: Protocol, folder: str | Path | None = None) -> list[Path]:
    """Write a protocol to its files, keeping comments and formatting; return the files written.

    Parameters
    ----------
    protocol : Protocol
        A loaded protocol (saved to the files it came from) or one built in memory.
    folder : str or Path, optional
        Where to write a protocol built in memory (a new ``protocol.yaml`` there).

    Raises
    ------
    SaveRefusedError
        The protocol does not validate, a file changed on disk since loading, or the
        written text would not read back as the same protocol. No file is changed.

    Examples
    --------
    >>> import shutil, tempfile, protocolkit
    >>> work = shutil.copytree(protocolkit.example_path("mash"), tempfile.mkdtemp() + "/mash")
    >>> p = protocolkit.load(work)
    >>> p.rules[0].title = "A clearer title"
    >>> [f.name for f in protocolkit.save(p)]
    ['protocol.yaml']
    >>> protocolkit.load(work).rules[0].title
    'A clearer title'
    """
    _refuse_if_invalid(protocol)
    source: SourceMap | None = protocol._source
    if source is None:
        if folder is None:
            raise SaveRefusedError("this protocol was built in memory: name the folder to save it in")
        return _save_new(protocol, Path(folder))
    if folder is not None and Path(folder).resolve() != source.folder.resolve():
        raise SaveRefusedError("a loaded protocol saves to its own folder; copy the folder first to save elsewhere")
    _refuse_outside_changes(source)

    docs = {name: copy.deepcopy(f.doc) for name, f in source.files.items()}
    _apply_changes(protocol, source, docs)
    texts = {name: _render(doc, source.files[name]) for name, doc in docs.items()}
    changed = {name: text for name, text in texts.items()
               if text != _render(source.files[name].doc, source.files[name])}
    _verify_round_trip(protocol, source, texts)
    hashes = write_together({source.files[name]: text for name, text in changed.items()}, source)
    for name, doc in docs.items():
        yaml_file = source.files[name]
        yaml_file.doc = doc
        if name in changed:
            yaml_file.sha256 = hashes[yaml_file]
    _refresh_item_sources(protocol, source)
    source.original = _snapshot(protocol)
    return [source.files[name].path for name in changed]


def _refuse_outside_changes(source: SourceMap) -> None:
    for yaml_file in source.files.values():
        if file_hash(yaml_file.path) != yaml_file.sha256:
            raise SaveRefusedError(
                f"{yaml_file.display} changed on disk since it was loaded; nothing was saved. "
                "Load the protocol again and redo the edit.")


def _encoded(text: str, yaml_file: YamlFile) -> bytes:
    return (("\ufeff" if yaml_file.bom else "") + text.replace("\n", yaml_file.newline)).encode("utf-8")


def write_together(texts: dict[YamlFile, str], source: SourceMap) -> dict[YamlFile, str]:
    """Replace several files so that all change or none do; returns each file's new SHA-256.

    Every new text goes to a temporary file beside the file it replaces (beside a symbolic
    link's target, so the link stays) and is flushed to disk; then, after checking once more
    that no file changed on disk, each is renamed into place. A failed rename puts back the
    files already replaced. Failures raise :class:`SaveRefusedError` naming the file and the cause.
    """
    folder = Path(os.path.realpath(source.folder))
    staged: list[tuple[YamlFile, Path, Path, bytes]] = []   # (file, target, temporary file, new bytes)
    try:
        for yaml_file, text in texts.items():
            target = Path(os.path.realpath(yaml_file.path))
            if target != folder and folder not in target.parents:
                raise SaveRefusedError(f"{yaml_file.display} now leads outside the protocol folder; nothing was saved")
            data = _encoded(text, yaml_file)
            staged.append((yaml_file, target, _write_temporary(target, data, yaml_file.display), data))
        old: dict[Path, bytes] = {}
        for yaml_file, target, _, _ in staged:  # immediately before the renames
            try:
                old[target] = target.read_bytes()
            except OSError:
                old[target] = b""
            if hashlib.sha256(old[target]).hexdigest() != yaml_file.sha256:
                raise SaveRefusedError(
                    f"{yaml_file.display} changed on disk since it was loaded; nothing was saved. "
                    "Load the protocol again and redo the edit.")
        done: list[tuple[YamlFile, Path]] = []
        for yaml_file, target, temporary, _ in staged:
            try:
                os.replace(temporary, target)
            except OSError as exc:
                rollback = _put_back(done, old)
                raise SaveRefusedError(f"cannot write {yaml_file.display}: {exc.strerror or exc}; nothing was saved"
                                       + rollback) from None
            done.append((yaml_file, target))
        _sync_folders({target.parent for _, target, _, _ in staged})
    finally:
        for _, _, temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return {yaml_file: hashlib.sha256(data).hexdigest() for yaml_file, _, _, data in staged}


def _write_temporary(target: Path, data: bytes, display: str) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise SaveRefusedError(f"cannot write {display}: {exc.strerror or exc}; nothing was saved") from None
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:  # a new file gets the usual mode, not mkstemp's owner-only one
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SaveRefusedError(f"cannot write {display}: {exc.strerror or exc}; nothing was saved") from None
    return temporary


def _put_back(done: list[tuple[YamlFile, Path]], old: dict[Path, bytes]) -> str:
    """Restore the files already replaced; a note for the error message when that fails too."""
    failed = []
    for yaml_file, target in reversed(done):
        try:
            temporary = _write_temporary(target, old[target], yaml_file.display)
            os.replace(temporary, target)
        except (OSError, SaveRefusedError):
            failed.append(yaml_file.display)
    return f" (and {', '.join(failed)} could not be put back: check them)" if failed else ""


def _sync_folders(folders: set[Path]) -> None:
    for folder in folders:  # make the renames themselves durable
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def _snapshot(protocol: Protocol) -> Protocol:
    """A deep copy of the protocol's content, without copying its files' documents."""
    source = protocol._source
    protocol._source = None
    try:
        return protocol.model_copy(deep=True)
    finally:
        protocol._source = source


def atomic_write(path: Path, text: str) -> None:
    """Replace a file's content atomically: write a temporary file beside it, flush it, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:  # a new file gets the usual mode, not mkstemp's owner-only one
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- validation before writing -----------------------------------------------------------------

def _refuse_if_invalid(protocol: Protocol) -> None:
    try:
        fresh = Protocol.model_validate(protocol.model_dump(by_alias=True))
    except Exception as exc:  # pydantic's ValidationError, or a value that no longer serialises
        raise SaveRefusedError(f"the protocol does not validate; nothing was saved:\n{exc}") from exc
    errors = blocking_findings(check_protocol(fresh), fresh.metadata.status)
    if errors:
        detail = ProtocolValidationError(errors)
        raise SaveRefusedError(f"the protocol does not validate; nothing was saved:\n{detail}")


def _verify_round_trip(protocol: Protocol, source: SourceMap, texts: dict[str, str]) -> None:
    """Read the new texts back, in memory, exactly as a later load would; refuse unless they give the protocol."""
    overrides = {Path(os.path.realpath(source.files[name].path)): text for name, text in texts.items()}
    reread, findings = load_with_findings(source.main.path, texts=overrides)
    if reread is None or _canonical(reread) != _canonical(protocol):
        problems = "\n".join(f.format() for f in findings if f.severity is Severity.ERROR)
        raise SaveRefusedError("the saved text would not read back as the same protocol; nothing was saved"
                               + (f":\n{problems}" if problems else ""))


def _canonical(protocol: Protocol) -> dict:
    return protocol.model_dump(mode="json", by_alias=True)


# -- applying changes to the documents ---------------------------------------------------------

def _dump(model: Any) -> Any:
    return model.model_dump(mode="python", by_alias=True, exclude_defaults=True)


def _apply_changes(protocol: Protocol, source: SourceMap, docs: dict[str, Any]) -> None:
    original: Protocol = source.original
    main = docs[source.main.display]
    shared = {name: shared_nodes(doc) for name, doc in docs.items()}
    new_top = {k: v for k, v in _dump(protocol).items() if k not in LIST_SECTIONS}
    old_top = {k: v for k, v in _dump(original).items() if k not in LIST_SECTIONS}
    update_mapping(main, old_top, new_top, shared[source.main.display])

    for section in LIST_SECTIONS:
        old_items = {item.id: (item, where) for item, where in zip(getattr(original, section), source.items.get(section, []))}
        default_file = _section_home(source, section)
        by_file: dict[str, list] = {}
        for item in getattr(protocol, section):
            home = old_items[item.id][1].file.display if item.id in old_items else default_file
            by_file.setdefault(home, []).append(item)
        touched = set(by_file) | {where.file.display for _, where in old_items.values()}
        for name in touched:
            doc = docs[name]
            new_list = by_file.get(name, [])
            if section not in doc and not new_list:
                continue
            seq = doc.get(section)
            if not isinstance(seq, CommentedSeq):
                seq = CommentedSeq()
                doc[section] = seq
            old_nodes = {}
            for item_id, (old, where) in old_items.items():
                if where.file.display == name:
                    old_nodes[item_id] = (old, seq[where.index])
            _update_sequence(seq, new_list, old_nodes, shared[name], section)


def _section_home(source: SourceMap, section: str) -> str:
    entries = source.items.get(section)
    return entries[-1].file.display if entries else source.main.display


def _update_sequence(seq: CommentedSeq, new_items: list, old_nodes: dict[str, tuple],
                     shared: frozenset[int] = frozenset(), section: str = "") -> None:
    wanted = []
    for item in new_items:
        if item.id in old_nodes:
            old, node = old_nodes[item.id]
            if isinstance(node, CommentedMap):
                update_mapping(node, _dump(old), _dump(item), shared, f"{section}[{item.id}]")
            elif _dump(old) != _dump(item):  # an entry written short (a bare kind) stays short while it can
                replaced = node
                node = item.id if _short_form_reads_as(item) else to_yaml(_dump(item))
                for index, current in enumerate(seq):  # in its place, so the comments around it stay
                    if current is replaced:
                        seq[index] = node
                        break
            wanted.append(node)
        else:
            wanted.append(to_yaml(_dump(item)))
    current = list(seq)
    if [id(n) for n in current] == [id(n) for n in wanted]:
        return
    kept = [n for n in current if any(n is w for w in wanted)]
    for index in range(len(current) - 1, -1, -1):  # deletions keep the comments of the rest
        if not any(current[index] is w for w in wanted):
            del seq[index]
    if [id(n) for n in kept] == [id(n) for n in wanted[: len(kept)]]:
        for node in wanted[len(kept):]:
            seq.append(node)
    else:  # reordered: rebuild in the new order
        seq[:] = wanted


def _short_form_reads_as(item: Any) -> bool:
    """Whether the entry's id written alone (``- data_subject``) reads back as this very entry."""
    try:
        return type(item).model_validate(item.id) == item
    except Exception:  # pydantic's ValidationError: the section has no short form
        return False


def clear_comment_marks(doc: Any) -> Any:
    """Clear the marks ruamel.yaml leaves on the comments it has written; returns ``doc``.

    ruamel.yaml marks each comment it writes (``pre_done``) and skips a marked comment that
    sits before a list or mapping. A document written once (or a copy of it) would then lose
    those comments on the next write (``rules:`` followed by ``-`` on the same line, which
    does not even read back), so every write starts by clearing the marks.
    """
    stack, seen = [doc], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CommentToken):
            node.reset()
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        if isinstance(node, (CommentedMap, CommentedSeq)):
            ca = node.ca
            stack.extend([ca.comment, ca.end, *ca.items.values()])
    return doc


def update_mapping(node: CommentedMap, old: dict, new: dict, shared: frozenset[int] = frozenset(),
                   where: str = "") -> None:
    """Change a YAML mapping in place from ``old`` to ``new`` values, touching only what differs.

    Keys whose value did not change keep their text, comments and position; a
    changed nested mapping is updated key by key; a key the new value lacks is removed.
    A folded (``>``) or literal (``|``) block keeps its style. ``shared`` holds the ids of
    nodes written once and used in several places through a YAML anchor: changing one
    would change the others, so :class:`SaveRefusedError` says so instead.
    """
    if old == new:
        return
    _refuse_if_shared(node, shared, where)
    for key, value in new.items():
        if key in old and old[key] == value and key in node:
            continue
        current = node.get(key)
        path = f"{where}.{key}" if where else str(key)
        if isinstance(current, CommentedMap) and isinstance(value, dict) and isinstance(old.get(key), dict):
            update_mapping(current, old[key], value, shared, path)
        else:
            if isinstance(current, (CommentedMap, CommentedSeq)):
                _refuse_if_shared(current, shared, path)
            flow = current.fa.flow_style() if isinstance(current, (CommentedMap, CommentedSeq)) else None
            node[key] = _same_style(to_yaml(value, flow=flow), current)
    for key in list(old):
        if key not in new and key in node:
            del node[key]


def shared_nodes(doc: Any) -> frozenset[int]:
    """Ids of the mappings and lists that appear more than once in a document (through aliases)."""
    seen: Counter = Counter()
    stack = [doc]
    while stack:
        node = stack.pop()
        if not isinstance(node, (CommentedMap, CommentedSeq)):
            continue
        seen[id(node)] += 1
        if seen[id(node)] == 1:
            stack.extend(node.values() if isinstance(node, CommentedMap) else node)
    return frozenset(i for i, n in seen.items() if n > 1)


def _refuse_if_shared(node: Any, shared: frozenset[int], where: str) -> None:
    if id(node) not in shared:
        return
    anchor = getattr(getattr(node, "anchor", None), "value", None)
    line = node.lc.line + 1 if hasattr(node, "lc") and node.lc.line is not None else None
    raise SaveRefusedError(
        f"{where or 'this value'} is written once and shared with other entries through the YAML anchor "
        f"'&{anchor}'" + (f" (line {line})" if line else "") + ": changing it here would change them too, "
        "so nothing was saved. Edit the anchored value in the file, or write this entry out in full "
        "instead of '*" + str(anchor) + "', then load the protocol again.")


def _same_style(value: Any, current: Any) -> Any:
    """A new text in the block style of the text it replaces (folded paragraphs folded again)."""
    if isinstance(value, str) and isinstance(current, FoldedScalarString):
        return folded(value)
    if isinstance(value, str) and isinstance(current, LiteralScalarString):
        return LiteralScalarString(value)
    return value


def folded(text: str, width: int = 72) -> FoldedScalarString:
    """``text`` as a folded block (``>``), its lines broken at spaces to about ``width`` characters.

    Examples
    --------
    >>> folded("one two three four", width=8).fold_pos
    [7, 13]
    """
    out = FoldedScalarString(text)
    positions, start, last = [], 0, None
    for i, ch in enumerate(text):
        if ch == "\n":
            start, last = i + 1, None
            continue
        single = ch == " " and 0 < i < len(text) - 1 and text[i - 1] not in " \n" and text[i + 1] not in " \n"
        if i - start >= width and last is not None:
            positions.append(last)
            start, last = last + 1, None
        if single:
            last = i
    out.fold_pos = positions
    return out


def to_yaml(value: Any, flow: bool | None = None) -> Any:
    """Plain data as ruamel containers.

    ``flow`` keeps the author's style of the value being replaced; otherwise mappings are
    block style and short lists of scalars flow style.
    """
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = to_yaml(v, flow=True if flow else None)
        if flow:
            out.fa.set_flow_style()
        return out
    if isinstance(value, (list, tuple)):
        out = CommentedSeq(to_yaml(v, flow=True if flow else None) for v in value)
        short = all(not isinstance(v, (dict, list, tuple)) for v in value) and sum(len(str(v)) + 2 for v in value) < 70
        if flow or (flow is None and short):
            out.fa.set_flow_style()
        return out
    return value


def _render(doc: Any, yaml_file: YamlFile | None = None) -> str:
    """The YAML text of a document, with newline line breaks throughout (see :func:`_encoded`)."""
    buffer = io.StringIO()
    round_trip_yaml().dump(clear_comment_marks(doc), buffer)
    return buffer.getvalue().replace("\r\n", "\n").replace("\r", "\n")


def _refresh_item_sources(protocol: Protocol, source: SourceMap) -> None:
    """After a save, re-point every entry at its node in the saved documents."""
    for section in LIST_SECTIONS:
        entries: list[ItemSource] = []
        by_id = {}
        for yaml_file in source.files.values():
            seq = yaml_file.doc.get(section) if isinstance(yaml_file.doc, CommentedMap) else None
            if isinstance(seq, CommentedSeq):
                for index, node in enumerate(seq):
                    if isinstance(node, CommentedMap) and "id" in node:
                        by_id[str(node["id"])] = ItemSource(yaml_file, seq, index)
                    elif isinstance(node, str):  # a short entry (an outside party's bare kind) is its id
                        by_id[str(node)] = ItemSource(yaml_file, seq, index)
        for item in getattr(protocol, section):
            if item.id in by_id:
                entries.append(by_id[item.id])
        source.items[section] = entries


def _save_new(protocol: Protocol, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PROTOCOL_FILE
    if path.exists():
        raise SaveRefusedError(f"{path} exists: load it and save, rather than overwrite it")
    text = _render(to_yaml(_dump(protocol)))
    atomic_write(path, text)
    loaded, findings = load_with_findings(folder)
    if loaded is None or _canonical(loaded) != _canonical(protocol):
        path.unlink()
        raise SaveRefusedError("the written protocol did not read back as the same protocol; nothing was kept")
    protocol._folder, protocol._source = folder, loaded._source
    return [path]


__all__ = ["save", "atomic_write", "update_mapping", "to_yaml", "folded", "write_together", "YamlFile"]
