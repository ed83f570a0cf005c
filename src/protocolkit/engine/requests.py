"""Sharing requests: what people ask, checked against the protocol and coded for the tables.

A request that names something the protocol lacks is bad input: it raises
:class:`~protocolkit.errors.UnknownValueError` naming the value and the closest
matches, and is never decided as a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import BadRequestsError, ProtocolError, UnknownValueError
from ..model.keys import UNKNOWN
from ..model.rules import REQUESTED_BY
from .compiled import CompiledProtocol

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

    Examples
    --------
    >>> Request("police", "csc", ["criminal.intelligence"], "screening", "safeguarding", {"risk": "amber"}).categories
    ('criminal.intelligence',)
    >>> Request("school", "csc", ["education"], "referral", "safeguarding", requester="school").initiative
    'proactive'
    """

    sender: str
    recipient: str
    categories: tuple[str, ...]
    stage: str
    purpose: str
    facts: Mapping[str, str] = field(default_factory=dict)
    requester: str | None = None
    requested_by: str | None = None

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
        facts = {k: ("yes" if v is True else "no" if v is False else str(v)) for k, v in dict(self.facts).items()
                 if v is not None}
        object.__setattr__(self, "facts", facts)

    @classmethod
    def from_mapping(cls, data: Mapping) -> "Request":
        """Build from a mapping with keys ``from``, ``to``, ``categories``, ``stage``, ``purpose``, ``facts``."""
        categories = data.get("categories", data.get("category", ()))
        return cls(data["from"], data["to"], categories, data["stage"], data["purpose"], data.get("facts") or {},
                   data.get("requester"), data.get("requested_by"))


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


def encode_facts(compiled: CompiledProtocol, facts: Mapping[str, str]) -> np.ndarray:
    """The fact codes of one request, checking every fact and value (every unknown one is named)."""
    codes = np.zeros(len(compiled.facts), dtype=np.int64)
    problems: list[UnknownValueError] = []
    for fact, value in facts.items():
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
    """Codes of a column in a dimension, -1 where missing or not a value of it.

    Each distinct value is looked up once: a categorical column through its categories, any
    other column after dictionary encoding (``pandas.factorize``), so that a text column costs
    about what a categorical one does. Values are read as text (``True`` as ``yes``) in
    categorical, object and bool columns; other columns are matched as they are.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        raw, distinct, as_text = values.cat.codes.to_numpy(), values.cat.categories, True
    else:
        as_text = values.dtype == object or values.dtype == bool
        raw, distinct = pd.factorize(values, use_na_sentinel=True)
        if values.dtype == object and any(isinstance(v, (bool, np.bool_)) for v in distinct):
            # factorize counts True, 1 and 1.0 as one value; read as text they differ ("yes", "1", "1.0"),
            # so a mixed column holding booleans is read a row at a time
            return dimension.lookup.get_indexer(values.map(_text, na_action="ignore")).astype(np.int64)
    if not len(distinct):
        return np.full(len(raw), -1, dtype=np.int64)
    lookup = dimension.lookup.get_indexer(pd.Index(distinct, dtype=object).map(_text) if as_text else distinct)
    return np.where(raw >= 0, lookup[np.maximum(raw, 0)], -1).astype(np.int64)


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
    codes = _codes(column, dimension)
    stated = ~column.isna().to_numpy()
    bad = (codes < 0) & stated
    if bad.any():
        positions = np.flatnonzero(bad)
        collect = problems if problems is not None else _Problems(len(column))
        collect.add(positions, _unknown_texts(column, positions, what, dimension.values[1:]))
        if problems is None:
            raise _bad_requests(collect, np.arange(len(column)))
        stated &= ~bad
    into[stated] = codes[stated]


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
                         "requester": r.requester, "requested_by": r.requested_by})
        requests = pd.DataFrame(rows, columns=["from", "to", "categories", "stage", "purpose", "facts", "requester",
                                               "requested_by"])
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
                             "requester", "requested_by"})


def encode_frame(compiled: CompiledProtocol, frame: pd.DataFrame, errors: str = "raise") -> dict[str, np.ndarray]:
    """Integer codes of every dimension of an expanded request table.

    Every other column must be a fact of the protocol: a misspelt fact column is an error,
    never a fact silently left unknown. A row naming something the protocol lacks is an
    error naming every such request by its position (:class:`~protocolkit.errors.BadRequestsError`);
    with ``errors="gap"`` the bad rows are marked instead: ``codes["bad"]`` is their mask and
    ``codes["problem"]`` says what is wrong with each.
    """
    for column in frame.columns:
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
    facts = np.zeros((len(frame), len(compiled.facts)), dtype=np.int64)
    if "facts" in frame.columns:
        for i, mapping in enumerate(frame["facts"].tolist()):
            if isinstance(mapping, Mapping) and mapping:
                try:
                    facts[i] = encode_facts(compiled, {k: _text(v) for k, v in mapping.items() if v is not None})
                except UnknownValueError as exc:
                    problems.add(np.array([i]), [exc])
    for f, dimension in enumerate(compiled.facts):
        if dimension.name in frame.columns:
            encode_fact_column(frame[dimension.name], dimension, f"value of fact '{dimension.name}'", facts[:, f],
                               problems)
    codes["facts"] = facts
    codes["initiative"] = encode_initiative(compiled, frame, codes)
    if problems.mask.any():
        if errors != "gap":
            raise _bad_requests(problems, frame["request"].to_numpy())
        codes["bad"] = problems.mask
        codes["problem"] = problems.text
    return codes


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
