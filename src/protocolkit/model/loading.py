"""Loading a protocol folder: read the files, merge includes, validate, report every problem.

:func:`load` returns a :class:`~protocolkit.model.protocol.Protocol` or raises one
:class:`~protocolkit.errors.ProtocolValidationError` carrying every finding.
:func:`validate` returns the findings (errors and warnings) without raising.
Neither ever raises another exception for bad file content.
"""

from __future__ import annotations

import datetime as dt
import os
from difflib import get_close_matches
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from . import codes
from .checks import check_protocol
from .protocol import LIST_SECTIONS, Protocol
from .readiness import blocking_findings
from .source import (
    FileRefused, ItemSource, SourceMap, Where, YamlFile, expand_pattern, key_position, node_position, path_text,
    read_yaml, to_plain,
)
from ..errors import Finding, ProtocolValidationError, Severity

PROTOCOL_FILE = "protocol.yaml"


def protocol_file(path: str | Path) -> Path:
    """The ``protocol.yaml`` of a folder, or the file itself when given one."""
    path = Path(path)
    return path / PROTOCOL_FILE if path.is_dir() else path


def load(path: str | Path, *, today: dt.date | None = None) -> Protocol:
    """Load and validate a protocol folder (or its ``protocol.yaml``).

    Parameters
    ----------
    path : str or Path
        The protocol folder, or its main YAML file.
    today : date, optional
        The date the review-date check compares with (default: today).

    Returns
    -------
    Protocol

    Raises
    ------
    ProtocolValidationError
        With every finding, when any error blocks: every error, except that a draft's
        legal-sense errors (``PK2xx``) do not block (see :mod:`protocolkit.model.readiness`).

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> p.partners[0].id, p.partners[0].name
    ('police', 'Northbridge Constabulary')
    """
    protocol, findings = load_with_findings(path, today=today)
    if protocol is None or blocking_findings(findings, protocol.metadata.status):
        raise ProtocolValidationError(findings)
    return protocol


def validate(path: str | Path, *, today: dt.date | None = None) -> list[Finding]:
    """Every finding for a protocol folder, errors and warnings, in file order.

    Examples
    --------
    >>> import protocolkit
    >>> [f.code for f in protocolkit.validate(protocolkit.example_path("mash")) if f.severity == "error"]
    []
    """
    return load_with_findings(path, today=today)[1]


def load_with_findings(path: str | Path, *, today: dt.date | None = None,
                       texts: dict[Path, str] | None = None) -> tuple[Protocol | None, list[Finding]]:
    """The protocol (None when it cannot be built) and every finding.

    Every file read must be a regular file inside the protocol folder (the main file's folder),
    symbolic links followed, and no larger than the size cap. ``texts`` maps files (resolved
    paths) to the text to read instead of the disk's, so a save can check what it would write.
    """
    main_path = protocol_file(path)
    folder = main_path.parent
    texts = texts or {}
    main, findings = read_yaml(main_path, display_name(main_path), root=folder,
                               text=texts.get(_resolved(main_path)))
    if main is None:
        return None, findings
    if not isinstance(main.doc, CommentedMap):
        return None, [codes.STRUCTURE.finding(
            "a protocol file must be a mapping of sections (metadata:, partners:, rules:, ...)",
            "start the file with 'metadata:' and list the sections under it", file=main.display, line=1, column=1)]

    source = SourceMap(folder=folder, main=main, files={main.display: main})
    merged: dict[str, Any] = {}
    for key, value in main.doc.items():
        if key in LIST_SECTIONS and isinstance(value, CommentedSeq):
            _add_items(source, merged, key, main, value)
        else:
            merged[key] = to_plain(value)
    include_findings, unread = _read_includes(source, merged, main, texts)
    findings += include_findings

    try:
        protocol = Protocol.model_validate(merged)
    except ValidationError as exc:
        return None, _sorted(findings + findings_from_validation_error(exc, source))
    if unread:  # what is missing would show as dozens of unknown references: report the root cause only
        return None, _sorted(findings)
    source.original = protocol.model_copy(deep=True)  # before the source is attached, so it is not copied too
    protocol._folder = folder
    protocol._source = source
    findings += check_protocol(protocol, locate=source.locate, today=today)
    return protocol, _sorted(findings)


def display_name(path: Path) -> str:
    """How findings name a file: relative to the working directory where it lies below it.

    Symbolic links are not followed: a file is named as the protocol names it, never by its target.
    """
    absolute = Path(os.path.normpath(os.path.abspath(path)))
    for cwd in (Path.cwd(), Path(os.path.realpath(Path.cwd()))):
        try:
            return str(absolute.relative_to(cwd))
        except ValueError:
            continue
    return str(path)


def _add_items(source: SourceMap, merged: dict, section: str, file: YamlFile, seq: CommentedSeq) -> None:
    merged.setdefault(section, []).extend(to_plain(item) for item in seq)
    source.items.setdefault(section, []).extend(ItemSource(file, seq, i) for i in range(len(seq)))


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _read_includes(source: SourceMap, merged: dict, main: YamlFile,
                   texts: dict[Path, str]) -> tuple[list[Finding], bool]:
    """Read and merge the included files; the findings, and whether some file could not be read."""
    includes = main.doc.get("include")
    if includes is None:
        return [], False
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        return [], False  # pydantic reports the shape
    findings: list[Finding] = []
    unread = False
    for index, pattern in enumerate(includes):
        line, column = node_position(main.doc, ("include", index))
        at = dict(file=main.display, line=line, column=column, key=f"include[{index}]")
        outside = os.path.isabs(pattern) or pattern.startswith("~") or os.path.normpath(pattern).startswith("..")
        try:
            if outside:
                raise FileRefused("it leads outside the protocol folder",
                                  "include only files inside the protocol folder, named relative to it")
            matches = expand_pattern(source.folder, pattern)
        except FileRefused as refused:
            findings.append(codes.MISSING_FILE.finding(f"cannot read include '{pattern}': {refused.message}",
                                                       refused.fix, **at))
            unread = True
            continue
        if not matches:
            findings.append(codes.MISSING_FILE.finding(
                f"include '{pattern}' matches no file", "correct the pattern or remove it", **at))
            unread = True
        for path in matches:
            display = display_name(path)
            label = f"included file '{pattern}'" if path == source.folder / pattern else f"'{display}' (from include '{pattern}')"
            included, problems = read_yaml(path, display, root=source.folder, where=Where(label, **at),
                                           text=texts.get(_resolved(path)))
            findings += problems
            if included is None:
                unread = True
                continue
            source.files[display] = included
            findings += _merge_included(source, merged, included)
    return findings, unread


def _merge_included(source: SourceMap, merged: dict, included: YamlFile) -> list[Finding]:
    if included.doc is None:
        return []
    if not isinstance(included.doc, CommentedMap):
        return [codes.STRUCTURE.finding(
            "an included file must be a mapping of list sections (partners:, rules:, ...)",
            "start it with a section name such as 'rules:'", file=included.display, line=1, column=1)]
    findings = []
    for key, value in included.doc.items():
        line, column = key_position(included.doc, (key,))
        if key not in LIST_SECTIONS:
            close = get_close_matches(str(key), LIST_SECTIONS, n=1)
            findings.append(codes.UNKNOWN_KEY.finding(
                f"'{key}' cannot be included from another file",
                f"did you mean '{close[0]}'?" if close else f"included files hold only: {', '.join(LIST_SECTIONS)}",
                file=included.display, line=line, column=column, key=str(key)))
        elif not isinstance(value, CommentedSeq):
            findings.append(codes.STRUCTURE.finding(
                f"'{key}' must be a list", f"write each entry of '{key}' as a '- ' item",
                file=included.display, line=line, column=column, key=str(key)))
        else:
            _add_items(source, merged, key, included, value)
    return findings


# -- pydantic errors to findings ----------------------------------------------------------------

def findings_from_validation_error(
    exc: ValidationError, source: SourceMap, root: type[BaseModel] = Protocol
) -> list[Finding]:
    """Turn pydantic's errors into located findings, one per offending key."""
    grouped: dict[tuple, list[dict]] = {}
    for error in exc.errors(include_url=False):
        # an unknown or missing key is always the last step, whatever its name ('[', 'str', ...)
        loc = _clean_loc(error["loc"], source, keep_last=error["type"] in {"extra_forbidden", "missing"})
        grouped.setdefault(loc, []).append(error)
    # a deeper error explains a union member better than "should be 'any'" at its parent
    has_deeper = {loc[:n] for loc in grouped for n in range(len(loc))}  # proper prefixes: linear, not quadratic
    findings = []
    for loc, errors in grouped.items():
        deeper = loc in has_deeper
        if deeper and all(e["type"] in {"literal_error", "model_type", "list_type", "model_attributes_type"} for e in errors):
            continue
        findings.append(_finding_for(loc, errors, source, root))
    return findings


def _clean_loc(loc: tuple, source: SourceMap, keep_last: bool = False) -> tuple:
    """Drop pydantic's union-member labels, keeping only keys and indexes present in the data."""
    out: list = []
    for step in loc[:-1] if keep_last else loc:
        if isinstance(step, int) or (isinstance(step, str) and not _is_type_label(step)):
            out.append(step)
    if keep_last and loc:
        out.append(loc[-1])
    return tuple(out)


def _is_type_label(step: str) -> bool:
    return step in {"Selector", "Obligation"} or "[" in step or step in {"str", "int", "bool", "list", "dict"} or step.startswith("function-")


def _finding_for(loc: tuple, errors: list[dict], source: SourceMap, root: type[BaseModel]) -> Finding:
    file, line, column = source.locate(loc)
    key = _key_text(loc, source)
    kinds = {e["type"] for e in errors}
    if "extra_forbidden" in kinds:
        file, line, column = _key_locate(loc, source)
        allowed = _allowed_keys(loc[:-1], root)
        close = get_close_matches(str(loc[-1]), allowed, n=1)
        fix = f"did you mean '{close[0]}'?" if close else (f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it")
        return codes.UNKNOWN_KEY.finding(f"unknown key '{loc[-1]}'", fix, file=file, line=line, column=column, key=key)
    if "missing" in kinds:
        parent_file, parent_line, parent_col = source.locate(loc[:-1])
        return codes.MISSING_KEY.finding(
            f"missing required key '{loc[-1]}'", f"add '{loc[-1]}:' to this entry",
            file=parent_file, line=parent_line, column=parent_col, key=key)
    messages = []
    for e in errors:
        text = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if e["type"] == "literal_error" and "'any'" in text:
            text = "or 'any'" if len(errors) > 1 else text
        if text not in messages:
            messages.append(text)
    message = "; ".join(m for m in messages if not m.startswith("or ")) or messages[0]
    if any(m.startswith("or ") for m in messages):
        message += " (or write 'any')"
    fix = _fix_for(kinds)
    return codes.STRUCTURE.finding(f"{key or 'value'}: {message}", fix, file=file, line=line, column=column, key=key)


def _fix_for(kinds: set[str]) -> str:
    if kinds & {"list_type"}:
        return "write a YAML list, one '- ' item per entry, or [a, b]"
    if kinds & {"model_type", "dict_type", "model_attributes_type"}:
        return "write a mapping of keys and values here"
    if kinds & {"date_type", "date_parsing", "date_from_datetime_parsing"}:
        return "write a date as YYYY-MM-DD"
    if kinds & {"literal_error", "enum"}:
        return "use one of the values listed"
    if kinds & {"string_type"}:
        return "write text here (quote it if it looks like a number or date)"
    return "correct the value as the message says"


def _key_locate(loc: tuple, source: SourceMap) -> tuple[str, int | None, int | None]:
    head = loc[0] if loc else None
    if head in source.items and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(source.items[head]):
        item = source.items[head][loc[1]]
        line, column = key_position(item.seq, (item.index, *loc[2:]))
        return item.file.display, line, column
    line, column = key_position(source.main.doc, loc)
    return source.main.display, line, column


def _key_text(loc: tuple, source: SourceMap) -> str:
    """``rules[R12].from.partners[0]``: list entries named by their id where they have one."""
    def entry_id(section: str, index: int) -> str | None:
        if section in source.items and index < len(source.items[section]):
            item = source.items[section][index].node
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                return item["id"]
        return None

    return path_text(loc, entry_id)


def _allowed_keys(loc: tuple, root: type[BaseModel]) -> list[str]:
    """The keys the format allows at a path, found by walking the model classes."""
    candidates: list[type[BaseModel]] = [root]
    for step in loc:
        if isinstance(step, int):
            continue
        nxt: list[type[BaseModel]] = []
        for model in candidates:
            field = _field_by_key(model, step)
            if field is not None:
                nxt += _models_in(field.annotation)
        candidates = nxt
        if not candidates:
            return []
    keys: list[str] = []
    for model in candidates:
        for name, field in model.model_fields.items():
            key = field.alias or name
            if key not in keys:
                keys.append(key)
    return keys


def _field_by_key(model: type[BaseModel], key: str):
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        out += _models_in(arg)
    return out


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.code))
