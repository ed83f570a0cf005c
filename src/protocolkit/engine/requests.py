"""Sharing requests: what people ask, checked against the protocol and coded for the tables.

A request that names something the protocol lacks is bad input: it raises
:class:`~protocolkit.errors.UnknownValueError` naming the value and the closest
matches, and is never decided as a gap.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import BadRequestsError, ProtocolError, UnknownValueError
from ..model.keys import ROLE_MARK, UNKNOWN, split_fact_key
from ..model.rules import REQUESTED_BY
from .compiled import CompiledProtocol, Dimension

#: How errors name a party: a partner, or someone outside the partnership the protocol declares.
PARTY = "partner"


@dataclass(frozen=True)
class Request:
    """A sharing request: may ``sender`` share ``categories`` with ``recipient`` at ``stage`` for ``purpose``?

    Parameters
    ----------
    sender, recipient : str
        Partner ids.
    categories : tuple of str
        Data category ids (one decision each).
    stage, purpose : str
        Stage and purpose ids.
    facts : mapping
        Fact id to value; a fact not given is ``unknown``.
    requester : str, optional
        Who asked (a partner or outside party id): the sender itself for a proactive disclosure,
        the recipient, or a third party. None when nobody says.
    requested_by : str, optional
        The same, as a relation (``proactive``, ``recipient``, ``third_party``, ``unstated``), for
        a request that does not name the requester; derived from ``requester`` when that is given.
    about : str, optional
        Whose data the categories are: a data subject role of the protocol (``victim``). None when
        the request names nobody (``docs/semantics.md`` section 16). A per-subject fact given plainly
        (``consent: refused``) is then the subject's value; a role's own value is written
        ``consent@alleged_perpetrator`` or as a mapping ``consent: {victim: refused}``.

    Examples
    --------
    >>> Request("police", "csc", ["criminal.intelligence"], "screening", "safeguarding", {"risk": "amber"}).categories
    ('criminal.intelligence',)
    >>> Request("school", "csc", ["education"], "referral", "safeguarding", requester="school").initiative
    'proactive'
    >>> Request("police", "csc", ["criminal"], "referral", "safeguarding", {"consent": {"victim": "refused"}},
    ...         about="alleged_perpetrator").facts
    {'consent@victim': 'refused'}
    """

    sender: str
    recipient: str
    categories: tuple[str, ...]
    stage: str
    purpose: str
    facts: Mapping[str, str] = field(default_factory=dict)
    requester: str | None = None
    requested_by: str | None = None
    about: str | None = None

    @property
    def initiative(self) -> str:
        """Who asked, relative to the flow: ``unstated``, ``proactive``, ``recipient`` or ``third_party``."""
        if self.requester is None:
            return self.requested_by or "unstated"
        if self.requester == self.sender:
            return "proactive"
        return "recipient" if self.requester == self.recipient else "third_party"

    def __post_init__(self):
        if self.requested_by is not None and self.requested_by not in REQUESTED_BY:
            raise UnknownValueError("requested_by", self.requested_by, _suggest(self.requested_by, REQUESTED_BY))
        if self.requester is not None and self.requested_by is not None and self.initiative != self.requested_by:
            raise ProtocolError(f"the request says requested_by {self.requested_by!r}, but requester "
                                f"{self.requester!r} makes it {self.initiative!r}: give one of them")
        cats = (self.categories,) if isinstance(self.categories, str) else tuple(self.categories)
        if not cats:
            raise ProtocolError("a request must name at least one data category")
        object.__setattr__(self, "categories", cats)
        facts: dict[str, str] = {}
        for k, v in dict(self.facts).items():
            if isinstance(v, Mapping):  # a per-subject fact given per role: consent: {victim: refused}
                facts.update({f"{k}{ROLE_MARK}{role}": _text(value) for role, value in v.items() if value is not None})
            elif v is not None:
                facts[k] = _text(v)
        object.__setattr__(self, "facts", facts)
        if self.about is not None and not isinstance(self.about, str):
            raise ProtocolError(f"'about' names one data subject role, not {self.about!r}")

    @classmethod
    def from_mapping(cls, data: Mapping) -> "Request":
        """Build from a mapping with keys ``from``, ``to``, ``categories``, ``stage``, ``purpose``, ``facts``."""
        categories = data.get("categories", data.get("category", ()))
        return cls(data["from"], data["to"], categories, data["stage"], data["purpose"], data.get("facts") or {},
                   data.get("requester"), data.get("requested_by"), data.get("about"))


def _suggest(value: str, known: Iterable[str]) -> list[str]:
    return get_close_matches(str(value), list(known), n=3, cutoff=0.6)


def check_value(value: str, dimension, what: str) -> int:
    """The code of a value in a dimension, or :class:`UnknownValueError` with suggestions."""
    code = dimension.index.get(value)
    if code is None:
        if what == PARTY:
            raise unknown_party(value, dimension.values)
        raise UnknownValueError(what, value, _suggest(value, dimension.values))
    return code


def unknown_party(value: str, known) -> UnknownValueError:
    """The error for a party that is neither a partner nor a declared outside party, with the fix."""
    from ..model.entities import OUTSIDE_KIND_LABELS

    if value in OUTSIDE_KIND_LABELS:
        fix = f"to speak of {OUTSIDE_KIND_LABELS[value].lower()}, declare it in the protocol: outside: [{value}]"
    else:
        fix = ("name a partner, or declare someone outside the partnership under 'outside' "
               "(organisation, data_subject, family_member or public)")
    return UnknownValueError(PARTY, value, _suggest(value, known), fix)


def check_about(compiled: CompiledProtocol, about: str | None) -> int:
    """The code of a request's data subject role (0: none named), or an error naming the roles there are."""
    if about is None or about == "" or (isinstance(about, float) and np.isnan(about)):
        return 0
    code = compiled.subjects.index.get(str(about))
    if code is None or code == 0:
        roles = compiled.subjects.values[1:]
        fix = ("declare the data subject roles under 'subjects' (such as child, parent, victim)" if not roles
               else f"name one of the protocol's data subject roles: {', '.join(roles)}")
        raise UnknownValueError("data subject role", str(about), _suggest(str(about), roles), fix)
    return code


def subject_facts(compiled: CompiledProtocol, facts: Mapping[str, str], about: str | None) -> dict[str, str]:
    """A request's facts as the compiled tables read them (``docs/semantics.md`` section 16).

    A per-subject fact given plainly is the value for the request's subject; a role's value
    (``consent@victim``) is the subject's value when the request is about that role, and otherwise
    kept where some rule reads it. Raises for a role-read fact that names no per-subject fact or role,
    or gives the subject two different values.
    """
    out: dict[str, str] = {}
    for key, value in facts.items():
        fact, role = split_fact_key(key)
        if role is None:
            out[key] = value
            continue
        try:
            entry = compiled.vocab.fact(key)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        if entry is None:
            raise UnknownValueError("fact", fact, _suggest(fact, compiled.fact_index))
        if role == about:
            if out.get(fact, facts.get(fact, value)) != value:
                raise ProtocolError(f"the request is about the {role.replace('_', ' ')} and gives '{fact}' two values "
                                    f"({facts.get(fact)} and {value} for {key}): give one")
            out[fact] = value
        if key in compiled.fact_index:
            out[key] = value
    for plain, role_code, role_read in compiled.links:
        if about is not None and compiled.subjects.values[role_code] == about:
            name = compiled.facts[plain].name
            if name in out:
                out[compiled.facts[role_read].name] = out[name]
    return out


def encode_facts(compiled: CompiledProtocol, facts: Mapping[str, str], about: str | None = None) -> np.ndarray:
    """The fact codes of one request, checking every fact and value (every unknown one is named).

    ``about`` is the request's data subject role: per-subject facts are read for it (:func:`subject_facts`).
    """
    codes = np.zeros(len(compiled.facts), dtype=np.int64)
    problems: list[UnknownValueError] = []
    for key in [k for k in facts if split_fact_key(k)[1] is not None and k not in compiled.fact_index]:
        fact, role = split_fact_key(key)  # a role no rule reads: still checked
        value = facts[key]
        try:
            entry = compiled.vocab.fact(key)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        if entry is None:
            problems.append(UnknownValueError("fact", fact, _suggest(fact, compiled.fact_index)))
        elif value != UNKNOWN and value not in entry.values:
            problems.append(UnknownValueError(f"value of fact '{key}'", value, _suggest(value, entry.values)))
    if not problems:
        facts = subject_facts(compiled, facts, about)
    for fact, value in facts.items():
        if split_fact_key(fact)[1] is not None and fact not in compiled.fact_index:
            continue
        if fact not in compiled.fact_index:
            problems.append(UnknownValueError("fact", fact, _suggest(fact, compiled.fact_index)))
            continue
        dimension = compiled.facts[compiled.fact_index[fact]]
        if value != UNKNOWN and value not in dimension.index:
            problems.append(UnknownValueError(f"value of fact '{fact}'", value, _suggest(value, dimension.values[1:])))
            continue
        codes[compiled.fact_index[fact]] = compiled.encode_fact(fact, value)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise _several(problems)
    return codes


def _several(problems: list[UnknownValueError]) -> UnknownValueError:
    """One error naming every unknown fact or value of a request."""
    error = UnknownValueError(problems[0].what, problems[0].value, problems[0].suggestions)
    error.args = ("; ".join(str(p) for p in problems),)
    error.problems = problems
    return error


def _text(value) -> str:
    return "yes" if value is True else "no" if value is False else str(value)


def _codes(values: pd.Series, dimension) -> np.ndarray:
    """Codes of a column in a dimension, -1 where missing or not a value of it."""
    return _encoded(values, dimension)[0]


def _encoded(values: pd.Series, dimension) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column in a dimension (-1 where missing or not a value of it), and which cells are missing.

    Each distinct value is looked up once (dictionary encoding), never once per row: a
    categorical column by its categories; a text or object column by the distinct objects it
    holds (:func:`_distinct_objects`), whose text is then looked up (booleans read as
    ``yes``/``no``). Other columns (numbers) take one hashed look-up per row.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        raw, distinct = values.cat.codes.to_numpy(), values.cat.categories
        missing = raw < 0
    elif values.dtype == object or values.dtype == bool or _python_text(values.dtype):
        objects = values.to_numpy(dtype=object)
        grouped = _distinct_objects(objects)
        if grouped is None:
            return _encoded_by_value(values, dimension)
        raw, distinct = grouped
        absent = pd.isna(distinct)
        missing = absent[raw]
        lookup = dimension.lookup.get_indexer(pd.Index([_text(v) for v in distinct], dtype=object))
        lookup[absent] = -1
        return lookup.astype(np.int64)[raw], missing
    else:
        return dimension.lookup.get_indexer(values).astype(np.int64), values.isna().to_numpy()
    if not len(distinct):
        return np.full(len(raw), -1, dtype=np.int64), missing
    lookup = dimension.lookup.get_indexer(pd.Index(distinct, dtype=object).map(_text))
    return np.where(raw >= 0, lookup[np.maximum(raw, 0)], -1).astype(np.int64), missing


def _encoded_by_value(values: pd.Series, dimension) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_encoded` for a column of many distinct objects: by value (``pandas.factorize``), or a row at a
    time where it holds booleans (factorize counts True, 1 and 1.0 as one value; as text they differ)."""
    missing = values.isna().to_numpy()
    raw, distinct = pd.factorize(values, use_na_sentinel=True)
    if any(isinstance(v, (bool, np.bool_)) for v in distinct):
        return dimension.lookup.get_indexer(values.map(_text, na_action="ignore")).astype(np.int64), missing
    lookup = dimension.lookup.get_indexer(pd.Index(distinct, dtype=object).map(_text))
    return np.where(raw >= 0, lookup[np.maximum(raw, 0)], -1).astype(np.int64), missing


def _python_text(dtype) -> bool:
    """A pandas text dtype that holds Python strings (``str`` in pandas 3 without pyarrow, ``string[python]``)."""
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "python"


#: Beyond this many distinct objects, and one in eight rows, a column is encoded by value rather than by identity.
MANY_OBJECTS = 4096


def _distinct_objects(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Dictionary-encode an object array by identity: (index of each row's object in ``distinct``, ``distinct``).

    A column read from a CSV file or built from a few labels holds the same string objects
    over and over, so its rows are grouped by the objects' addresses (integers, hashed in C in
    a few nanoseconds each) rather than by hashing and comparing each string. Two equal
    strings that are different objects get two entries of ``distinct``; the look-up of their
    text makes them one value again, so the codes are the same as a look-up per row would give.
    ``None`` when most rows hold an object of their own (more than :data:`MANY_OBJECTS`).

    Examples
    --------
    >>> name = "".join(["scho", "ol"])              # a second object equal to "school"
    >>> rows, distinct = _distinct_objects(np.array(["school", "police", "school", name], dtype=object))
    >>> rows.tolist(), [str(v) for v in distinct]
    ([0, 1, 0, 2], ['school', 'police', 'school'])
    """
    if not len(objects):
        return np.zeros(0, dtype=np.intp), objects[:0]
    objects = np.ascontiguousarray(objects, dtype=object)
    # an object array is an array of pointers (CPython): read them as integers, without a copy
    addresses = np.ctypeslib.as_array((ctypes.c_ssize_t * len(objects)).from_address(objects.ctypes.data))
    rows, distinct = pd.factorize(addresses)
    if len(distinct) > MANY_OBJECTS and len(distinct) * 8 > len(objects):
        return None   # a new object in most rows (text made row by row): grouping by address gains nothing
    # back from the few distinct addresses to their objects, which ``objects`` keeps alive meanwhile
    out = np.empty(len(distinct), dtype=object)
    for k, address in enumerate(distinct.tolist()):
        out[k] = ctypes.cast(address, ctypes.py_object).value
    return rows, out


class _Problems:
    """The bad rows of a request table: a mask over every row and what is wrong with each."""

    def __init__(self, n: int):
        self.mask = np.zeros(n, dtype=bool)
        self.text = np.full(n, None, dtype=object)
        self.errors: dict[int, UnknownValueError] = {}   # the first error of the first few rows

    def add(self, positions: np.ndarray, errors: list[Exception]) -> None:
        fresh = ~self.mask[positions]
        self.mask[positions] = True
        errors = np.asarray(errors, dtype=object)
        for pos, error in zip(positions[fresh][:50], errors[fresh][:50]):
            if isinstance(error, UnknownValueError):
                self.errors.setdefault(int(pos), error)
        self.text[positions[fresh]] = [str(e) for e in errors[fresh]]


def _unknown_texts(values: pd.Series, positions: np.ndarray, what: str, known) -> list[str]:
    """What is wrong with each bad cell; suggestions looked up once per distinct value."""
    cells = values.iloc[positions]
    said: dict = {}
    out = []
    for cell in cells.tolist():
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            out.append(ProtocolError(f"has no {what}: every request names its from, to, categories, stage and purpose"))
            continue
        key = _text(cell)
        if key not in said:
            said[key] = UnknownValueError(what, key, _suggest(key, known) if len(said) < 50 else [])
        out.append(said[key])
    return out


def encode_column(values: pd.Series, dimension, what: str, problems: _Problems | None = None) -> np.ndarray:
    """Integer codes of a column of ids; a missing or unknown id raises, naming every bad row.

    With ``problems``, bad rows are recorded there instead (their code becomes 0).
    """
    codes = _codes(values, dimension)
    if (codes < 0).any():
        positions = np.flatnonzero(codes < 0)
        collect = problems if problems is not None else _Problems(len(values))
        collect.add(positions, _unknown_texts(values, positions, what, dimension.values))
        if problems is None:
            raise _bad_requests(collect, np.arange(len(values)))
        codes[positions] = 0
    return codes


def encode_fact_column(column: pd.Series, dimension, what: str, into: np.ndarray,
                       problems: _Problems | None = None) -> None:
    """Write a fact column's codes into ``into``; an empty cell leaves what ``into`` holds (unknown,
    or the value from a ``facts`` column)."""
    codes, missing = _encoded(column, dimension)
    stated = ~missing
    bad = (codes < 0) & stated
    if bad.any():
        positions = np.flatnonzero(bad)
        collect = problems if problems is not None else _Problems(len(column))
        collect.add(positions, _unknown_texts(column, positions, what, dimension.values[1:]))
        if problems is None:
            raise _bad_requests(collect, np.arange(len(column)))
        stated &= ~bad
    np.copyto(into, codes, where=stated)


def _bad_requests(problems: _Problems, requests: np.ndarray) -> BadRequestsError:
    """The error naming every bad request (by its position in the table given) and what is wrong."""
    positions = np.flatnonzero(problems.mask)
    rows = requests[positions]
    order = np.argsort(rows, kind="stable")
    shown, seen = [], set()
    for pos in positions[order]:
        row = int(requests[pos])
        if row in seen:
            continue
        seen.add(row)
        shown.append(f"request {row}: {problems.text[pos]}")
        if len(shown) >= BadRequestsError.SHOWN:
            break
    first = next((problems.errors[int(pos)] for pos in positions[order] if int(pos) in problems.errors), None)
    return BadRequestsError(np.unique(rows), shown, first)


def expand_requests(requests: pd.DataFrame | Iterable[Request | Mapping]) -> pd.DataFrame:
    """A tidy table with one row per request and category.

    Accepts a DataFrame with columns ``from``, ``to``, ``categories`` (a list or one id per
    row; ``category`` is accepted too), ``stage``, ``purpose`` and either a ``facts`` column
    of mappings or one column per fact; or an iterable of :class:`Request` or mappings.
    The result keeps a ``request`` column with the position of the original request.
    """
    if not isinstance(requests, pd.DataFrame):
        rows = []
        for r in requests:
            r = r if isinstance(r, Request) else Request.from_mapping(r)
            rows.append({"from": r.sender, "to": r.recipient, "categories": list(r.categories),
                         "stage": r.stage, "purpose": r.purpose, "facts": dict(r.facts),
                         "requester": r.requester, "requested_by": r.requested_by, "about": r.about})
        requests = pd.DataFrame(rows, columns=["from", "to", "categories", "stage", "purpose", "facts", "requester",
                                               "requested_by", "about"])
    frame = requests.reset_index(drop=True)
    frame = frame.assign(request=np.arange(len(frame)))
    if "category" in frame.columns and "categories" not in frame.columns:
        frame = frame.rename(columns={"category": "categories"})
    missing = [c for c in ("from", "to", "categories", "stage", "purpose") if c not in frame.columns]
    if missing:
        raise ProtocolError(f"the request table has no '{missing[0]}' column "
                            "(it needs from, to, categories, stage and purpose)")
    column = frame["categories"]
    if column.dtype == object and any(isinstance(v, (list, tuple)) for v in column.to_numpy()):
        frame = frame.explode("categories", ignore_index=True)
    return frame.rename(columns={"categories": "category"})


REQUEST_COLUMNS = frozenset({"from", "to", "category", "categories", "stage", "purpose", "facts", "request",
                             "requester", "requested_by", "about"})


def encode_frame(compiled: CompiledProtocol, frame: pd.DataFrame, errors: str = "raise") -> dict[str, np.ndarray]:
    """Integer codes of every dimension of an expanded request table.

    Every other column must be a fact of the protocol: a misspelt fact column is an error,
    never a fact silently left unknown. A row naming something the protocol lacks is an
    error naming every such request by its position (:class:`~protocolkit.errors.BadRequestsError`);
    with ``errors="gap"`` the bad rows are marked instead: ``codes["bad"]`` is their mask and
    ``codes["problem"]`` says what is wrong with each.
    """
    role_columns = []
    for column in frame.columns:
        if column not in REQUEST_COLUMNS and column not in compiled.fact_index and split_fact_key(str(column))[1]:
            try:
                entry = compiled.vocab.fact(str(column))
            except ValueError as exc:
                raise ProtocolError(str(exc)) from None
            if entry is not None:
                role_columns.append(str(column))
                continue
        if column not in REQUEST_COLUMNS and column not in compiled.fact_index:
            raise UnknownValueError("request column", str(column),
                                    _suggest(str(column), [*compiled.fact_index, "from", "to", "categories", "stage",
                                                           "purpose", "facts"]))
    problems = _Problems(len(frame))
    codes = {
        "from": encode_column(frame["from"], compiled.partners, "partner", problems),
        "to": encode_column(frame["to"], compiled.partners, "partner", problems),
        "category": encode_column(frame["category"], compiled.categories, "category", problems),
        "stage": encode_column(frame["stage"], compiled.stages, "stage", problems),
        "purpose": encode_column(frame["purpose"], compiled.purposes, "purpose", problems),
    }
    about = np.zeros(len(frame), dtype=np.int64)
    roles = [None] * len(frame)
    if "about" in frame.columns:
        for i, role in enumerate(frame["about"].tolist()):
            try:
                about[i] = check_about(compiled, role)
            except UnknownValueError as exc:
                problems.add(np.array([i]), [exc])
            roles[i] = compiled.subjects.values[about[i]] if about[i] else None
    codes["about"] = about
    facts = np.zeros((len(frame), len(compiled.facts)), dtype=np.int64)
    if "facts" in frame.columns:
        for i, mapping in enumerate(frame["facts"].tolist()):
            if isinstance(mapping, Mapping) and mapping:
                try:
                    facts[i] = encode_facts(compiled, Request("-", "-", ("-",), "-", "-", mapping).facts, roles[i])
                except (UnknownValueError, ProtocolError) as exc:
                    problems.add(np.array([i]), [exc])
    for f, dimension in enumerate(compiled.facts):
        if dimension.name in frame.columns:
            encode_fact_column(frame[dimension.name], dimension, f"value of fact '{dimension.name}'", facts[:, f],
                               problems)
    for column in role_columns:  # a role no rule reads: its value counts only where the request is about it
        fact, role = split_fact_key(column)
        entry = compiled.vocab.fact(column)
        values = np.zeros(len(frame), dtype=np.int64)
        encode_fact_column(frame[column], Dimension(column, (UNKNOWN, *entry.values)), f"value of fact '{column}'",
                           values, problems)
        if role in compiled.subjects.index:
            rows = np.flatnonzero((about == compiled.subjects.index[role]) & (values > 0))
            plain = compiled.fact_index[fact]
            clash = rows[(facts[rows, plain] > 0) & (facts[rows, plain] != values[rows])]
            if len(clash):
                problems.add(clash, [ProtocolError(f"gives the subject two values of '{fact}' (plain and as "
                                                   f"{column}): give one")] * len(clash))
            facts[rows, plain] = values[rows]
    _link_subject_values(compiled, about, facts, problems)
    codes["facts"] = facts
    codes["initiative"] = encode_initiative(compiled, frame, codes)
    if problems.mask.any():
        if errors != "gap":
            raise _bad_requests(problems, frame["request"].to_numpy())
        codes["bad"] = problems.mask
        codes["problem"] = problems.text
    return codes


def _link_subject_values(compiled: CompiledProtocol, about: np.ndarray, facts: np.ndarray, problems: _Problems) -> None:
    """In rows about a role, the subject's value of a per-subject fact and that role's own column are one value."""
    for plain, role, role_read in compiled.links:
        rows = np.flatnonzero(about == role)
        if not len(rows):
            continue
        a, b = facts[rows, plain], facts[rows, role_read]
        clash = (a > 0) & (b > 0) & (a != b)
        if clash.any():
            name = compiled.facts[role_read].name
            problems.add(rows[clash], [ProtocolError(f"gives the subject two values of '{name.partition('@')[0]}' "
                                                     f"(plain and as {name}): give one")] * int(clash.sum()))
        merged = np.where(a > 0, a, b)
        facts[rows, plain], facts[rows, role_read] = merged, merged


def encode_initiative(compiled: CompiledProtocol, frame: pd.DataFrame, codes: dict) -> np.ndarray:
    """Codes of who asked (:data:`~protocolkit.model.rules.REQUESTED_BY`), from ``requester`` or ``requested_by``."""
    initiative = np.zeros(len(frame), dtype=np.int64)
    if "requested_by" in frame.columns:
        stated = frame["requested_by"].notna().to_numpy()
        given = _codes(frame["requested_by"], _RELATIONS)
        bad = stated & (given < 0)
        if bad.any():
            value = _text(frame["requested_by"][bad].iloc[0])
            raise UnknownValueError("requested_by", value, _suggest(value, REQUESTED_BY))
        initiative[stated] = given[stated]
    if "requester" in frame.columns:
        stated = frame["requester"].notna().to_numpy()
        if stated.any():
            who = encode_column(frame["requester"][stated], compiled.partners, PARTY)
            relation = np.where(who == codes["from"][stated], 1, np.where(who == codes["to"][stated], 2, 3))
            clash = (initiative[stated] != 0) & (initiative[stated] != relation)
            if clash.any():
                raise ProtocolError("a request's requested_by disagrees with its requester: give one of them")
            initiative[stated] = relation
    return initiative


class _Relations:
    values = REQUESTED_BY
    lookup = pd.Index(list(REQUESTED_BY))


_RELATIONS = _Relations()
