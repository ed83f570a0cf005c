"""Facts that constrain each other: "immediate harm" implies "significant harm suspected".

A protocol may declare, under ``fact_constraints``, which combinations of fact values no
case can have::

    fact_constraints:
      - id: immediate_harm_is_significant
        statement: A child at immediate risk of harm is always suspected of suffering significant harm.
        if: {immediate_harm: "yes"}
        then: {significant_harm_suspected: "yes"}      # implies
      - id: no_consent_asked_when_unsafe
        if: {consent: given}
        excludes: {consent_unsafe_to_seek: "yes"}       # cannot both hold

``if``, ``then`` and ``excludes`` are fact patterns written exactly like a rule's ``when``
(``docs/semantics.md`` section 2), ``unknown`` included: ``then: {x: "yes"}`` means the case
must *state* ``x: yes``; write ``then: {x: [yes, unknown]}`` to allow a case that does not say.

Each constraint forbids a set of fact states, as a union of *cubes* (one set of allowed
values per fact; a state is in a cube when every fact's value is in its set):

- ``if P then Q1, Q2, ...`` forbids ``P and not Q1``, ``P and not Q2``, ...;
- ``if P excludes E1, E2, ...`` forbids ``P and E1 and E2 ...``.

What honours them is set out in ``docs/semantics.md`` section 11.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from pydantic import Field, model_validator

from .entities import Fact
from .keys import UNKNOWN, DottedKey, FactKey, Key, Model
from .rules import Condition, ConditionValue


class FactConstraint(Model):
    """A constraint between facts: when ``if`` holds, ``then`` must hold too, or ``excludes`` must not."""

    id: Key = Field(description="The constraint's id, cited when a request breaks it.")
    statement: str | None = Field(None, description="The constraint in plain English, as practitioners say it.")
    if_: dict[FactKey, ConditionValue] = Field(
        alias="if", min_length=1, description="The fact pattern the constraint is about (as a rule's 'when').")
    then: dict[FactKey, ConditionValue] = Field(
        default_factory=dict, description="Implies: when 'if' holds, every one of these holds as well.")
    excludes: dict[FactKey, ConditionValue] = Field(
        default_factory=dict, description="Excludes: when 'if' holds, these do not all hold.")

    @model_validator(mode="after")
    def _one_kind(self) -> "FactConstraint":
        if bool(self.then) == bool(self.excludes):
            raise ValueError("a fact constraint has either 'then' (implies) or 'excludes', not both and not neither")
        return self

    @property
    def kind(self) -> str:
        """``implies`` or ``excludes``."""
        return "implies" if self.then else "excludes"

    def parsed(self) -> tuple[list[Condition], list[Condition]]:
        """The ``if`` conditions and the ``then`` (or ``excludes``) conditions, parsed."""
        second = self.then or self.excludes
        return ([Condition.parse(f, raw) for f, raw in self.if_.items()],
                [Condition.parse(f, raw) for f, raw in second.items()])

    def describe(self) -> str:
        """Plain English, such as ``when immediate harm is yes, significant harm suspected is yes``."""
        first, second = self.parsed()
        head = " and ".join(c.describe() for c in first)
        if self.kind == "implies":
            return f"when {head}, {' and '.join(c.describe() for c in second)}"
        return f"when {head}, it cannot also be that {' and '.join(c.describe() for c in second)}"


def domain(fact: Fact) -> frozenset[str]:
    """Every value a fact can have in a request, ``unknown`` included."""
    return frozenset((UNKNOWN, *fact.values))


@dataclass(frozen=True)
class Cube:
    """A set of forbidden fact states: every fact named has a value in its set (others are free)."""

    constraint: str
    values: Mapping[str, frozenset[str]]

    def holds(self, facts: Mapping[str, str]) -> bool:
        """Whether a state (fact to value; a fact not given is ``unknown``) lies in the cube."""
        return all(facts.get(f, UNKNOWN) in allowed for f, allowed in self.values.items())


def cubes(constraint: FactConstraint, facts: Mapping[str, Fact]) -> list[Cube]:
    """The forbidden states of one constraint; ``ValueError`` for a condition that cannot be read
    (the validator reports those first).

    Examples
    --------
    >>> yes_no = ["yes", "no"]
    >>> facts = {"a": Fact(id="a", label="A?", values=yes_no), "b": Fact(id="b", label="B?", values=yes_no)}
    >>> c = FactConstraint.model_validate({"id": "c", "if": {"a": "yes"}, "then": {"b": "yes"}})
    >>> [(k, sorted(v)) for k, v in cubes(c, facts)[0].values.items()]
    [('a', ['yes']), ('b', ['no', 'unknown'])]
    """
    first, second = constraint.parsed()
    base: dict[str, frozenset[str]] = {}
    for condition in first:
        base[condition.fact] = base.get(condition.fact, domain(facts[condition.fact])) & condition.allowed(facts[condition.fact])
    if constraint.kind == "excludes":
        values = dict(base)
        for condition in second:
            fact = facts[condition.fact]
            values[condition.fact] = values.get(condition.fact, domain(fact)) & condition.allowed(fact)
        return [Cube(constraint.id, values)]
    out = []
    for condition in second:
        fact = facts[condition.fact]
        values = dict(base)
        values[condition.fact] = values.get(condition.fact, domain(fact)) - condition.allowed(fact)
        out.append(Cube(constraint.id, values))
    return out


def broken(constraints: list[FactConstraint], facts: Mapping[str, Fact], state: Mapping[str, str]) -> list[FactConstraint]:
    """The constraints a state breaks, in protocol order."""
    return [c for c in constraints if any(cube.holds(state) for cube in cubes(c, facts))]




def fact_components(all_cubes: list[Cube], order: list[str]) -> list[list[str]]:
    """Groups of facts tied together by constraints (facts in one cube are tied), each in ``order``.

    Facts no constraint names are in no group.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for cube in all_cubes:
        names = list(cube.values)
        for name in names:
            find(name)
        for other in names[1:]:
            parent[find(other)] = find(names[0])
    groups: dict[str, list[str]] = {}
    for fact in order:
        if fact in parent:
            groups.setdefault(find(fact), []).append(fact)
    return sorted(groups.values(), key=lambda g: order.index(g[0]))


#: The most states of one group of tied facts that will be listed.
MAX_TIED_STATES = 2_000_000


def possible_states(group: list[str], domains: Mapping[str, list[str]], all_cubes: list[Cube]) -> list[tuple[str, ...]]:
    """Every state of a group of facts that no cube forbids, in lexicographic order of ``domains``.

    ``domains[f]`` lists the values of ``f`` in order (``unknown`` first where the caller wants it
    first). Raises ``ValueError`` when the group has more than :data:`MAX_TIED_STATES` states.

    Examples
    --------
    >>> yes_no = ["yes", "no"]
    >>> facts = {"a": Fact(id="a", label="A?", values=yes_no), "b": Fact(id="b", label="B?", values=yes_no)}
    >>> c = FactConstraint.model_validate({"id": "c", "if": {"a": "yes"}, "then": {"b": "yes"}})
    >>> possible_states(["a", "b"], {"a": ["unknown", "yes", "no"], "b": ["unknown", "yes", "no"]}, cubes(c, facts))
    [('unknown', 'unknown'), ('unknown', 'yes'), ('unknown', 'no'), ('yes', 'yes'), ('no', 'unknown'), ('no', 'yes'), ('no', 'no')]
    """
    size = 1
    for fact in group:
        size *= len(domains[fact])
    if size > MAX_TIED_STATES:
        raise ValueError(f"the facts {', '.join(group)} are tied together by constraints into {size:,} combinations, "
                         f"more than {MAX_TIED_STATES:,}; split the constraints or use fewer values")
    relevant = [c for c in all_cubes if set(c.values) <= set(group)]
    # a cube is checked as soon as its last fact (in group order) is assigned
    position = {f: i for i, f in enumerate(group)}
    due: dict[int, list[Cube]] = {}
    for cube in relevant:
        due.setdefault(max(position[f] for f in cube.values), []).append(cube)
    out: list[tuple[str, ...]] = []
    state: dict[str, str] = {}

    def assign(i: int) -> None:
        if i == len(group):
            out.append(tuple(state[f] for f in group))
            return
        fact = group[i]
        for value in domains[fact]:
            state[fact] = value
            if not any(cube.holds(state) for cube in due.get(i, ())):
                assign(i + 1)
        state.pop(fact, None)

    assign(0)
    return out


__all__ = ["Cube", "FactConstraint", "MAX_TIED_STATES", "broken", "cubes", "domain", "fact_components", "possible_states"]
