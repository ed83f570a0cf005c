"""Saving a protocol back to its files without losing anything people wrote.

:func:`save` writes only what changed since the protocol was loaded, into the
file each entry came from, through ruamel.yaml's round-trip writer: comments,
key order, quoting and untouched shorthand survive. Before a byte is written the
new text is read back and must give the same protocol, and the protocol must
validate; otherwise the save is refused and every file stays as it was. Each
file is replaced atomically (a temporary file in the same folder, then a rename).

A file changed on disk since it was loaded (by a person, another notebook) is
not overwritten: the save is refused and says so.
"""

from __future__ import annotations

import copy
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

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
    for yaml_file in source.files.values():
        if file_hash(yaml_file.path) != yaml_file.sha256:
            raise SaveRefusedError(
                f"{yaml_file.display} changed on disk since it was loaded; nothing was saved. "
                "Load the protocol again and redo the edit.")

    docs = {name: copy.deepcopy(f.doc) for name, f in source.files.items()}
    _apply_changes(protocol, source, docs)
    texts = {name: _render(doc) for name, doc in docs.items()}
    changed = {name: text for name, text in texts.items() if text != _render(source.files[name].doc)}
    _verify_round_trip(protocol, source, texts)
    written = []
    for name, text in changed.items():
        path = source.files[name].path
        atomic_write(path, text)
        written.append(path)
    for name, doc in docs.items():
        yaml_file = source.files[name]
        yaml_file.doc, yaml_file.sha256 = doc, file_hash(yaml_file.path)
    _refresh_item_sources(protocol, source)
    source.original = _snapshot(protocol)
    return written


def _snapshot(protocol: Protocol) -> Protocol:
    """A deep copy of the protocol's content, without copying its files' documents."""
    source = protocol._source
    protocol._source = None
    try:
        return protocol.model_copy(deep=True)
    finally:
        protocol._source = source


def atomic_write(path: Path, text: str) -> None:
    """Replace a file's content atomically: write a temporary file beside it, then rename."""
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
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / source.folder.name
        for name, yaml_file in source.files.items():
            target = root / yaml_file.path.relative_to(source.folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(texts[name], encoding="utf-8")
        reread, findings = load_with_findings(root / source.main.path.relative_to(source.folder))
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
    new_top = {k: v for k, v in _dump(protocol).items() if k not in LIST_SECTIONS}
    old_top = {k: v for k, v in _dump(original).items() if k not in LIST_SECTIONS}
    update_mapping(main, old_top, new_top)

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
            _update_sequence(seq, new_list, old_nodes)


def _section_home(source: SourceMap, section: str) -> str:
    entries = source.items.get(section)
    return entries[-1].file.display if entries else source.main.display


def _update_sequence(seq: CommentedSeq, new_items: list, old_nodes: dict[str, tuple]) -> None:
    wanted = []
    for item in new_items:
        if item.id in old_nodes:
            old, node = old_nodes[item.id]
            if isinstance(node, CommentedMap):
                update_mapping(node, _dump(old), _dump(item))
            else:
                node = to_yaml(_dump(item))
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


def update_mapping(node: CommentedMap, old: dict, new: dict) -> None:
    """Change a YAML mapping in place from ``old`` to ``new`` values, touching only what differs.

    Keys whose value did not change keep their text, comments and position; a
    changed nested mapping is updated key by key; a key the new value lacks is removed.
    """
    for key, value in new.items():
        if key in old and old[key] == value and key in node:
            continue
        current = node.get(key)
        if isinstance(current, CommentedMap) and isinstance(value, dict) and isinstance(old.get(key), dict):
            update_mapping(current, old[key], value)
        else:
            flow = current.fa.flow_style() if isinstance(current, (CommentedMap, CommentedSeq)) else None
            node[key] = to_yaml(value, flow=flow)
    for key in list(old):
        if key not in new and key in node:
            del node[key]


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


def _render(doc: Any) -> str:
    buffer = io.StringIO()
    round_trip_yaml().dump(doc, buffer)
    return buffer.getvalue()


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


__all__ = ["save", "atomic_write", "update_mapping", "to_yaml", "YamlFile"]
