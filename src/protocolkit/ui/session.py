"""The workbench session: one protocol folder open in a notebook, shared by every widget.

A :class:`Session` holds the protocol as loaded, the sample cases, the edits made since
it was opened (each can be undone) and what the engine says about the current text
(case results, guarantees, review findings), recomputed only after an edit.

Edits are checked before they are kept: an edit that would break the protocol's
structure (an unknown partner, a duplicate id: the ``PK1xx`` findings of
``protocolkit validate``) is refused and the protocol stays as it was. Legal-sense
findings (``PK2xx``) do not block an edit; the widgets flag them.

Saving goes through :func:`protocolkit.save` (atomic, comments kept). A file changed on
disk since it was loaded is never silently overwritten: :meth:`Session.save` reports the
conflict, and the person chooses to reload (drop their edits) or overwrite.

This module does not draw anything; the widgets in :mod:`protocolkit.ui` do.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, get_args

from pydantic import ValidationError

from ..errors import Finding, ProtocolValidationError, SaveRefusedError, Severity
from ..model.cases import Case, load_cases
from ..model.checks import check_protocol
from ..model.loading import findings_from_validation_error, load
from ..model.protocol import Protocol
from ..model.saving import save
from ..model.source import file_hash
from ..model.vocabulary import Vocabulary

#: Sections of a protocol that the widgets edit entry by entry.
EDITABLE_SECTIONS = ("partner_kinds", "partners", "categories", "rules", "facts", "need_to_know")


class EditRefused(Exception):
    """An edit that would break the protocol; carries the findings that explain why."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = list(findings or [])


@dataclass(frozen=True)
class SaveResult:
    """What happened when the session saved.

    ``status`` is ``saved`` (``files`` written; none when nothing had changed), ``conflict``
    (``files`` changed on disk since loading; nothing written: choose reload or overwrite),
    ``reloaded`` (the disk version was loaded and the session's edits dropped) or
    ``refused`` (the protocol does not validate; nothing written).
    """

    status: Literal["saved", "conflict", "reloaded", "refused"]
    message: str
    files: tuple[Path, ...] = ()


@dataclass
class _Edit:
    description: str
    before: Protocol


@dataclass
class _Derived:
    """What the engine says about one version of the protocol, computed on first use.

    Tied to the protocol object it describes, so work started for one version (in the
    background) never stores its result as another version's.
    """

    protocol: Protocol | None = None
    values: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def get(self, name: str, compute: Callable[[Protocol], Any]) -> Any:
        with self.lock:
            if name not in self.values:
                self.values[name] = compute(self.protocol)
            return self.values[name]


def _content(protocol: Protocol) -> Protocol:
    """A deep copy of a protocol's content, without its files' documents."""
    source = protocol._source
    protocol._source = None
    try:
        return protocol.model_copy(deep=True)
    finally:
        protocol._source = source


class Session:
    """A protocol folder open in the workbench.

    Parameters
    ----------
    path : str or Path
        The protocol folder (or its ``protocol.yaml``).
    cases : str or Path, optional
        The folder of sample cases (default: the protocol's ``cases/``).

    Examples
    --------
    >>> import shutil, tempfile, protocolkit
    >>> from protocolkit.ui.session import Session
    >>> work = shutil.copytree(protocolkit.example_path("mash"), tempfile.mkdtemp() + "/mash")
    >>> s = Session(work)
    >>> s.edit("retitle the first rule", lambda p: setattr(p.rules[0], "title", "A clearer title"))
    >>> s.history
    ['retitle the first rule']
    >>> s.undo()
    'retitle the first rule'
    >>> s.dirty
    False
    """

    def __init__(self, path: str | Path, cases: str | Path | None = None, *, background: bool = True,
                 today: dt.date | None = None):
        self.path = Path(path)
        #: Run the slow whole-protocol checks in a background thread (False: at once, before returning).
        self.background = background
        #: The date the review date is counted from (None: today's date).
        self.today = today
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []
        self._holding: list[Callable[[], None]] | None = None
        self._previous: _Derived | None = None     # what the engine said about the version before the last edit
        self._rules_changed: set[str] | None = None  # the rules that edit changed (None: something else changed)
        self._scope = None
        self._last_candidate: tuple | None = None
        self._cases_indexed = None  # the cases' requests as codes, to find those an edit touches
        self.protocol: Protocol = load(self.path)
        self.folder: Path = self.protocol.folder
        self.cases_path = Path(cases) if cases else self.folder / "cases"
        self.cases: list[Case] = load_cases(self.cases_path) if self.cases_path.exists() else []
        self._undo: list[_Edit] = []
        self._saved_content = _content(self.protocol)
        self._listeners: list[Callable[["Session", str], None]] = []
        self._derived = _Derived(self.protocol)
        self.version = 0

    # -- notifications -------------------------------------------------------------------------
    def on_change(self, callback: Callable[["Session", str], None]) -> None:
        """Call ``callback(session, what)`` after every edit, undo, reload or save."""
        self._listeners.append(callback)

    def _changed(self, what: str, known: dict[str, Any] | None = None) -> None:
        self.version += 1
        self._rules_changed = self._scope = None
        if what != "save":  # a save writes the same content: what the engine said still holds
            before = self._derived
            self._derived = _Derived(self.protocol, dict(known or {}))
            if what in ("edit", "undo") and before.protocol is not None:
                from ._incremental import rule_delta

                self._previous, self._rules_changed = before, rule_delta(before.protocol, self.protocol)
        else:
            self._derived.protocol = self.protocol
        # the listeners update the fast views; slow checks they ask for start once all of them are done
        self._holding = []
        try:
            for callback in list(self._listeners):
                callback(self, what)
        finally:
            held, self._holding = self._holding, None
            for job in held:
                self._submit(job)

    # -- what the protocol holds ---------------------------------------------------------------
    @property
    def vocabulary(self) -> Vocabulary:
        """The names the protocol may use (the shipped taxonomy plus its own entries)."""
        return self._cached("vocabulary", lambda: Vocabulary.of(self.protocol))

    def label(self, section: str, key: str) -> str:
        """The plain-English name of an entry (``partners``, ``categories``, ``stages``, ...)."""
        return self.vocabulary.label(section, key)

    @property
    def compiled(self):
        """The compiled decision tables of the current protocol."""
        return self.compiled_for(self.protocol)

    def compiled_for(self, protocol: Protocol):
        """The compiled decision tables of ``protocol`` (the current one or one a background check holds)."""
        from ..engine.compiled import compile_protocol

        # kept here with the protocol object (each edit makes a new one), so the engine's cache, which
        # hashes the whole protocol to find equal content, is not needed
        return self.cached(protocol, "compiled", lambda p: compile_protocol(p, cache=False))

    def case(self, case_id: str) -> Case:
        """The sample case with this id."""
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(f"no sample case {case_id!r}; the cases are {', '.join(c.id for c in self.cases)}")

    def case_results(self):
        """Every sample case run against the current protocol (:class:`~protocolkit.engine.CaseResults`).

        Decisions are not explained here (the fast form re-run after every edit); the stepper
        explains the decisions a person looks at.
        """
        from ..engine.cases import run_cases

        def compute(protocol: Protocol):
            compiled = self.compiled_for(protocol)
            incremental = self._incremental("cases")
            if incremental is None:
                return run_cases(compiled, self.cases, explain=False)
            from ._incremental import merge_case_results

            previous, scope = incremental
            rerun = self._case_index().affected(scope)
            if not rerun:  # no decision changes; the rule list (and so the coverage table) may have
                from dataclasses import replace

                from ._incremental import updated_coverage

                none = previous.decisions.iloc[0:0]
                return replace(previous, coverage=updated_coverage(protocol, previous.coverage, none, none))
            fresh = run_cases(compiled, rerun, explain=False)
            return merge_case_results(previous, fresh, {c.id for c in rerun}, self.cases, protocol)

        return self._derived.get("cases", compute)

    def _case_index(self):
        """The sample cases' requests as codes (made again when the cases change)."""
        from ._incremental import CaseIndex

        index = self._cases_indexed
        if index is None or not index.describes(self.cases):
            index = self._cases_indexed = CaseIndex(self.cases)
        return index

    def flow_parts(self, facts: dict[str, str] | None = None):
        """The permitted flows under these facts (None: whatever the facts), kept in parts per stage and
        purpose (a :class:`~protocolkit.ui._incremental.FlowParts`); after a rule edit only the part of
        the space the edited rules can change is asked of the engine again."""
        from ._incremental import FlowParts, facts_key

        name = ("flows", facts_key(facts))

        def compute(protocol: Protocol):
            incremental = self._incremental(name)
            if incremental is None:
                return FlowParts(self.compiled_for(protocol), facts)
            previous, scope = incremental
            return previous.after_edit(self.compiled_for(protocol), scope)

        return self._derived.get(name, compute)

    def _incremental(self, name) -> tuple[Any, Any] | None:
        """The previous version's value and the scope of the rule edit since, when that is all that changed."""
        previous, rules = self._previous, self._rules_changed
        if previous is None or rules is None or name not in previous.values:
            return None
        from ._incremental import edit_scope

        if self._scope is None:
            self._scope = edit_scope(previous.protocol, self._derived.protocol, rules)
        return previous.values[name], self._scope

    def unchanged_by_last_change(self, case: Case) -> bool:
        """Whether the last change was a rule edit that cannot change any decision of this sample case:
        no request of the case (whatever its facts) is inside the edited rules' scope, before or after."""
        previous, rules = self._previous, self._rules_changed
        if previous is None or rules is None or self._derived.protocol is not self.protocol:
            return False
        from ._incremental import CaseIndex, edit_scope

        if self._scope is None:
            self._scope = edit_scope(previous.protocol, self._derived.protocol, rules)
        return not CaseIndex([case]).affected(self._scope)

    def guarantees(self, protocol: Protocol | None = None):
        """The guarantees checked over every possible request (a ``GuaranteeReport``)."""
        from ..engine.guarantees import check_guarantees

        return self.cached(protocol or self.protocol, "guarantees", check_guarantees)

    def review(self, protocol: Protocol | None = None):
        """The review findings of the current protocol (a :class:`~protocolkit.review.ReviewReport`)."""
        from ..review import review

        return self.cached(protocol or self.protocol, "review", review)

    def findings(self, protocol: Protocol | None = None) -> list[Finding]:
        """The findings ``protocolkit validate`` reports for the current (possibly unsaved) protocol."""
        return self.cached(protocol or self.protocol, "findings",
                           lambda p: check_protocol(p, locate=self._locate))

    def lifecycle(self, protocol: Protocol | None = None):
        """Where the protocol stands: status, who has signed this content, days to the review date."""
        from ..lifecycle.status import lifecycle

        return self.cached(protocol or self.protocol, "lifecycle", lambda p: lifecycle(p, today=self.date))

    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        return self._derived.get(name, lambda protocol: compute())

    # -- slow checks, after the fast views -----------------------------------------------------
    @property
    def date(self) -> dt.date:
        """The date the review date is counted from."""
        return self.today or dt.date.today()

    def later(self, compute: Callable[[Protocol], Any], show: Callable[[Any], None],
              failed: Callable[[Exception], None] | None = None) -> None:
        """Run ``compute(protocol)`` after the fast views have updated, then ``show(result)``.

        In a notebook the work runs in a background thread, so the person can go on while
        it runs. The result is shown only while the protocol is still the version it was
        computed for: after a newer edit it is dropped (that edit started its own check),
        so a result is never shown for a protocol it does not describe.
        """
        version, derived = self.version, self._derived

        def run() -> None:
            if version != self.version:
                return  # a newer edit came first: its own check will run
            try:
                result = compute(derived.protocol)
            except Exception as exc:  # shown in the widget, never lost
                if failed is not None and version == self.version:
                    failed(exc)
                return
            if version == self.version:
                show(result)

        if not self.background:
            run()
        elif self._holding is not None:
            self._holding.append(run)
        else:
            self._submit(run)

    def _submit(self, run: Callable[[], None]) -> None:
        if not self.background:
            run()
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="protocolkit-checks")
        self._pending = [f for f in self._pending if not f.done()] + [self._pool.submit(run)]

    def cached(self, protocol: Protocol, name: str, compute: Callable[[Protocol], Any]) -> Any:
        """``compute(protocol)`` cached with the session's other results for that version of the protocol."""
        derived = self._derived
        if derived.protocol is not protocol:
            return compute(protocol)
        return derived.get(name, compute)

    @property
    def checking(self) -> bool:
        """Whether slow checks are still running."""
        return any(not f.done() for f in self._pending)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the slow checks started so far have finished (and shown their results)."""
        for future in list(self._pending):
            future.result(timeout=timeout)

    def _locate(self, path: tuple) -> tuple:
        source = self.protocol._source
        if source is None:
            return None, None, None
        try:
            return source.locate(path)
        except (IndexError, KeyError, TypeError):
            return source.main.display, None, None

    # -- checking and making edits -------------------------------------------------------------
    def check_entry(self, section: str, data: dict, index: int | None = None) -> list[Finding]:
        """The findings the protocol would have with ``data`` as entry ``index`` of ``section``
        (appended when ``index`` is None): the same codes as ``protocolkit validate``.

        Nothing changes; the widgets call this as a person types.
        """
        candidate, findings = self._candidate(section, data, index)
        return findings

    def _candidate(self, section: str, data: dict, index: int | None) -> tuple[Protocol | None, list[Finding]]:
        if section not in EDITABLE_SECTIONS:
            raise ValueError(f"the workbench does not edit {section!r}; it edits {', '.join(EDITABLE_SECTIONS)}")
        key = (self.version, section, index, repr(data))
        if self._last_candidate is not None and self._last_candidate[0] == key:
            return self._last_candidate[1]  # checked as it was typed: applying it does not check it twice
        entries = list(getattr(self.protocol, section))
        if index is not None and _same_entry(entries[index], data, section):
            answer = (self.protocol, self.findings())  # the entry as it is: the protocol's own findings
        else:
            answer = self._check_candidate(section, data, index, entries)
        self._last_candidate = (key, answer)
        return answer

    def _check_candidate(self, section: str, data: dict, index: int | None,
                         entries: list) -> tuple[Protocol | None, list[Finding]]:
        """The protocol with the entry in place, and its findings: only the entry is validated anew
        (the protocol model has no checks across entries beyond ``check_protocol``'s)."""
        (item_type,) = get_args(Protocol.model_fields[section].annotation)
        try:
            entry = item_type.model_validate(data)
        except ValidationError:
            return self._validate_whole(section, data, index)  # rare: the slow way locates the error exactly
        if index is None:
            entries.append(entry)
        else:
            entries[index] = entry
        candidate = self.protocol.model_copy(update={section: entries})
        candidate._folder, candidate._source = self.protocol._folder, self.protocol._source
        return candidate, check_protocol(candidate, locate=self._locate)

    def _validate_whole(self, section: str, data: dict, index: int | None) -> tuple[Protocol | None, list[Finding]]:
        dump = self.protocol.model_dump(mode="python", by_alias=True, exclude_defaults=True)
        entries = list(dump.get(section, []))
        if index is None:
            entries.append(data)
        else:
            entries[index] = data
        dump[section] = entries
        try:
            candidate = Protocol.model_validate(dump)
        except ValidationError as exc:
            source = self.protocol._source
            if source is None:
                return None, [Finding("PK101", Severity.ERROR, str(exc))]
            return None, findings_from_validation_error(exc, source)
        return candidate, check_protocol(candidate, locate=self._locate)

    def set_entry(self, section: str, data: dict, index: int | None = None, description: str | None = None) -> list[Finding]:
        """Replace entry ``index`` of ``section`` with ``data`` (append when None); returns the findings.

        Raises
        ------
        EditRefused
            The entry does not validate or would break the protocol's structure; nothing changed.
        """
        candidate, findings = self._candidate(section, data, index)
        structural = [f for f in findings if f.severity is Severity.ERROR and f.code.startswith("PK1")]
        if candidate is None or structural:
            raise EditRefused(_refusal(findings), findings)
        what = description or (f"add {_singular(section)} {data.get('id', '')}".strip() if index is None
                               else f"edit {_singular(section)} {data.get('id', '')}".strip())
        if candidate is self.protocol:
            return findings  # nothing changed
        # the candidate is a new protocol object (copy-on-write): it becomes the protocol, and the
        # findings just computed for it are the new version's
        self._undo.append(_Edit(what, self.protocol))
        self.protocol = candidate
        self._changed("edit", known={"findings": findings})
        return findings

    def remove_entry(self, section: str, entry_id: str) -> list[Finding]:
        """Remove the entry with this id from ``section``; refused when something still names it."""
        dump = self.protocol.model_dump(mode="python", by_alias=True, exclude_defaults=True)
        remaining = [e for e in dump.get(section, []) if e.get("id") != entry_id]
        if len(remaining) == len(dump.get(section, [])):
            raise EditRefused(f"there is no {_singular(section)} {entry_id!r} to remove")
        dump[section] = remaining
        try:
            candidate = Protocol.model_validate(dump)
        except ValidationError as exc:
            raise EditRefused(f"removing {entry_id} would leave the protocol invalid: {exc}") from None
        findings = check_protocol(candidate, locate=self._locate)
        structural = [f for f in findings if f.severity is Severity.ERROR and f.code.startswith("PK1")]
        if structural:
            raise EditRefused(f"{entry_id} is still in use, so it cannot be removed yet. " + _refusal(findings),
                              findings)
        self.edit(f"remove {_singular(section)} {entry_id}", lambda p: setattr(p, section, getattr(candidate, section)))
        return findings

    def edit(self, description: str, change: Callable[[Protocol], None]) -> None:
        """Apply ``change`` to a copy of the protocol, which becomes the session's protocol: one undoable edit.

        A change that raises (pydantic refuses a value) leaves the protocol as it was.
        """
        before = self.protocol
        after = _working_copy(before)
        change(after)  # a change that raises leaves self.protocol untouched
        self._undo.append(_Edit(description, before))
        self.protocol = after
        self._changed("edit")

    @property
    def history(self) -> list[str]:
        """The edits made since the session opened (or last reloaded), oldest first."""
        return [e.description for e in self._undo]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> str | None:
        """Undo the last edit; returns its description (None when there is nothing to undo)."""
        if not self._undo:
            return None
        last = self._undo.pop()
        self.protocol = last.before
        self._changed("undo")
        return last.description

    @property
    def dirty(self) -> bool:
        """Whether the protocol differs from its files as last loaded or saved."""
        saved = self._saved_content
        return any(getattr(self.protocol, name) != getattr(saved, name) for name in Protocol.model_fields)

    # -- files -------------------------------------------------------------------------------
    def changed_on_disk(self) -> list[Path]:
        """The protocol's files that changed on disk since they were loaded or saved."""
        source = self.protocol._source
        if source is None:
            return []
        return [f.path for f in source.files.values() if file_hash(f.path) != f.sha256]

    def save(self, on_conflict: Literal["ask", "reload", "overwrite"] = "ask") -> SaveResult:
        """Save the edits to the protocol's files (atomic, comments kept).

        Parameters
        ----------
        on_conflict : {"ask", "reload", "overwrite"}
            What to do when a file changed on disk since it was loaded: ``ask`` (the default)
            writes nothing and reports the conflict; ``reload`` drops this session's edits and
            loads the files as they are now; ``overwrite`` writes this session's protocol over
            the changed files (their comments are kept where the entries survive).
        """
        changed = self.changed_on_disk()
        if changed and on_conflict == "ask":
            names = ", ".join(p.name for p in changed)
            return SaveResult("conflict", f"{names} changed on disk since you opened it, so nothing was saved. "
                                          "Reload to take the file as it is now (your unsaved edits are dropped), "
                                          "or overwrite it with your version.", tuple(changed))
        if changed and on_conflict == "reload":
            self.reload()
            return SaveResult("reloaded", "Loaded the protocol as it is on disk now; your unsaved edits were dropped.",
                              tuple(changed))
        target = self.protocol
        if changed:  # overwrite: carry this session's content onto the files as they are now
            target = load(self.path)
            for name in Protocol.model_fields:
                setattr(target, name, copy.deepcopy(getattr(self.protocol, name)))
        try:
            written = save(target)
        except SaveRefusedError as exc:
            return SaveResult("refused", str(exc))
        self.protocol = target
        self._saved_content = _content(target)
        self._changed("save")
        if not written:
            return SaveResult("saved", "Nothing to save: the files already hold this protocol.")
        return SaveResult("saved", "Saved " + ", ".join(p.name for p in written) + ".", tuple(written))

    def reload(self) -> None:
        """Load the protocol and cases as they are on disk now, dropping unsaved edits and the undo history."""
        try:
            protocol = load(self.path)
        except ProtocolValidationError:
            raise
        self.protocol = protocol
        self.cases = load_cases(self.cases_path) if self.cases_path.exists() else []
        self._undo.clear()
        self._saved_content = _content(protocol)
        self._changed("reload")


def _working_copy(protocol: Protocol) -> Protocol:
    """A copy to edit, tied to the same files.

    Edits never change a protocol object in place: the engine caches compiled tables
    together with the protocol object they came from, and undo keeps the old object.
    """
    copied = _content(protocol)
    copied._folder, copied._source = protocol._folder, protocol._source
    return copied


def _dump(protocol: Protocol) -> dict:
    return protocol.model_dump(mode="json", by_alias=True)


def _same_entry(entry, data: dict, section: str) -> bool:
    """Whether the form's data is the entry as it stands (defaults written out or not)."""
    if entry.model_dump(mode="python", by_alias=True, exclude_defaults=True) == data:
        return True
    (item_type,) = get_args(Protocol.model_fields[section].annotation)
    try:
        return item_type.model_validate(data) == entry
    except ValidationError:
        return False


def _singular(section: str) -> str:
    return {"partner_kinds": "partner kind", "partners": "partner", "categories": "data category",
            "rules": "rule", "facts": "fact", "need_to_know": "need-to-know profile"}.get(section, section)


def _refusal(findings: list[Finding]) -> str:
    errors = [f for f in findings if f.severity is Severity.ERROR] or findings
    lines = [f"{f.message}" + (f" ({f.fix})" if f.fix else "") + f" [{f.code}]" for f in errors[:5]]
    more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
    return "The change was not made: " + "; ".join(lines) + more + "."


__all__ = ["EDITABLE_SECTIONS", "EditRefused", "SaveResult", "Session"]
