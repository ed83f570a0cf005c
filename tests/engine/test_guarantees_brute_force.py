"""The guarantee checker against brute force: enumerate every request of a scope and compare.

Proven or violated must agree, and a violation's counterexample must be the first
violating request in the checker's documented order (axis_order), found by listing
the whole space and deciding every request with decide_many.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generated import FEATURES, CATEGORIES, FACTS, KINDS, OBLIGATION_TYPES, STAGES, possible_facts, protocols
from protocolkit.engine import decide_many
from protocolkit.engine.compiled import compile_protocol
from protocolkit.engine.guarantees import axis_order, check_guarantee, scope_axes
from protocolkit.model.guarantees import Guarantee
from protocolkit.model.rules import REQUESTED_BY

SHARED = {"share", "share_minimum"}


def brute_force(protocol, guarantee):
    """(proven, first counterexample as a dict, space size) by listing every request."""
    compiled = compile_protocol(protocol)
    order = axis_order(guarantee, compiled)
    axes = scope_axes(compiled, guarantee)
    values = {
        "from": compiled.partners.values, "to": compiled.partners.values, "category": compiled.categories.values,
        "stage": compiled.stages.values, "purpose": compiled.purposes.values, "requested_by": REQUESTED_BY,
        "about": compiled.subjects.values, **{f"fact:{d.name}": d.values for d in compiled.facts},
    }
    lists = [sorted(axes[name].allowed.tolist()) for name in order]
    rows = []
    for combo in itertools.product(*lists):
        named = {name: values[name][code] for name, code in zip(order, combo)}
        if named["from"] == named["to"]:
            continue  # a partner sending to itself is no flow (docs/semantics.md section 11)
        about = None if named["about"] == "unstated" else named["about"]
        if any(d.name.endswith(f"@{about}") and named[f"fact:{d.name}"] != named[f"fact:{d.name.partition('@')[0]}"]
               for d in compiled.facts):
            continue  # about the victim, consent and consent@victim are one value (docs/semantics.md section 16)
        if not possible_facts(protocol, {d.name: named[f"fact:{d.name}"] for d in compiled.facts}):
            continue  # ruled out by a fact constraint: not a possible request
        row = {k: named[k] for k in ("from", "to", "category", "stage", "purpose")}
        row["requested_by"] = None if named["requested_by"] == "unstated" else named["requested_by"]
        row["about"] = about
        row.update({d.name: (None if named[f"fact:{d.name}"] == "unknown" else named[f"fact:{d.name}"])
                    for d in compiled.facts})
        rows.append(row)
    if not rows:
        return True, None, 0
    table = decide_many(protocol, pd.DataFrame(rows))
    outcome = table["outcome"].astype(str)
    carried = _obligations_by_text(protocol)
    present = lambda required: table["obligations"].map(  # noqa: E731
        lambda obs: any(_meets(carried.get(o), o, required) for o in obs))
    if guarantee.kind == "never":
        bad = outcome.isin(guarantee.forbidden_outcomes())
    elif guarantee.kind == "always":
        constrained = outcome.isin(guarantee.when_outcome) if guarantee.when_outcome else pd.Series(True, index=table.index)
        wrong = ~outcome.isin(guarantee.outcomes) if guarantee.outcomes else pd.Series(False, index=table.index)
        for required in guarantee.obligations:
            wrong |= ~present(required)
        if guarantee.sharing:  # docs/semantics.md section 4: a request not shared has no sharing mode
            wrong |= ~table["sharing"].isin(guarantee.sharing)
        bad = constrained & wrong
    elif guarantee.kind == "only_via":
        via = compiled.vocab.partners_in(guarantee.via)
        bad = outcome.isin(SHARED) & ~table["from"].isin(via) & ~present(guarantee.unless_obligation)
    else:
        need = table["need_to_know"].astype(str)
        beyond = (need == "not_needed") | ((need == "no_profile") if guarantee.strict else False)
        bad = outcome.isin(SHARED) & beyond
    hits = np.flatnonzero(bad.to_numpy())
    first = None if len(hits) == 0 else rows[hits[0]]
    return len(hits) == 0, first, len(rows)


#: The durations generated protocols and guarantees use, in hours (None: a named working-day duration).
HOURS = {"PT2H": 2, "PT4H": 4, "PT12H": 12, "PT24H": 24, "P1D": 24, "P2D": 48}
#: Working time, the oracle's own reading of section 17: (unit, position). Working days in half-day steps: the
#: same working day ends before one working day has run, which ends before the close of the next working day,
#: which comes before two working days have run. Working hours count hours; the two units never compare.
WORKING = {"same_working_day": ("day", 1), "1_working_day": ("day", 2), "next_working_day": ("day", 3),
           "2_working_days": ("day", 4), "4_working_hours": ("hour", 4), "24_working_hours": ("hour", 24)}


def _obligations_by_text(protocol) -> dict:
    """Every obligation a decision can carry, by the text decide_many lists it as."""
    out = {}
    for entry in [*protocol.rules, *protocol.fallbacks, *getattr(protocol, "defaults", [])]:
        for o in entry.obligations:
            out[str(o)] = o
    return out


def _meets(obligation, text: str, required) -> bool:
    """The oracle's reading of docs/semantics.md section 17: same type; the required timing; a deadline from the
    same event no longer than the required one (hours against hours, a working day against a working day)."""
    if isinstance(required, str):
        return text.partition(": ")[0] == required
    if obligation is None or obligation.type != required.type:
        return False
    if required.timing and obligation.timing != required.timing:
        return False
    if required.within:
        if obligation.within is None or obligation.from_ != required.from_:
            return False
        if obligation.within in WORKING or required.within in WORKING:
            a, b = WORKING.get(obligation.within), WORKING.get(required.within)
            return a is not None and b is not None and a[0] == b[0] and a[1] <= b[1]
        return HOURS[obligation.within] <= HOURS[required.within]
    return True


#: What an 'always' guarantee may require: a type, or a type with a timing and a deadline.
REQUIRED = [*OBLIGATION_TYPES,
            {"record_decision": {"timing": "after"}}, {"record_decision": {"timing": "before"}},
            {"record_decision": {"timing": "after", "within": "PT24H"}}, {"record_decision": {"within": "PT12H"}},
            {"record_decision": {"within": "P2D", "from": "disclosure"}},
            {"deadline": {"within": "next_working_day", "from": "referral_received"}},
            {"deadline": {"within": "same_working_day", "from": "disclosure"}},
            {"deadline": {"within": "1_working_day", "from": "referral_received"}},
            {"deadline": {"within": "2_working_days", "from": "referral_received"}},
            {"deadline": {"within": "24_working_hours", "from": "request"}},
            {"deadline": {"within": "4_working_hours", "from": "request"}},
            {"inform_family": {"timing": "after"}}]


@st.composite
def guarantees(draw, protocol, kind):
    ids = [p.id for p in protocol.partners]
    selector = st.one_of(st.just("any"), st.builds(lambda p: {"partners": [p]}, st.sampled_from(ids)),
                         st.builds(lambda k: {"kinds": [k]}, st.sampled_from(sorted(KINDS))))
    data = {
        "id": "G1", "kind": kind, "statement": "generated",
        "from": draw(selector), "to": draw(selector),
        "categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True)),
        "stages": draw(st.lists(st.sampled_from(STAGES), min_size=1, max_size=2, unique=True)),
        "purposes": ["safeguarding", "family_support"],
        # keep the brute-force space small: two facts pinned, two free (unknown included)
        "when": {"statutory_notice": draw(st.sampled_from(["yes", "no"])), "child_competent": ["no", "unknown"],
                 **draw(st.sampled_from([{}, {"risk": ">= amber"}, {"consent": ["refused", "unknown"]}]))},
    }
    if kind == "never":
        data["outcomes"] = draw(st.sampled_from([[], ["refuse"], ["escalate", "gap"]]))
    elif kind == "always":
        data["outcomes"] = draw(st.sampled_from([[], ["share", "share_minimum"], ["refuse", "gap"]]))
        data["obligations"] = draw(st.lists(st.sampled_from(REQUIRED), max_size=1))
        if not data["outcomes"] and not data["obligations"]:
            data["obligations"] = ["record_decision"]
        data["when_outcome"] = draw(st.sampled_from([[], ["share", "share_minimum"]]))
        data["sharing"] = draw(st.sampled_from([[], [], ["required"], ["required", "discretion"], ["permitted"]]))
    elif kind == "only_via":
        data["via"] = {"partners": [draw(st.sampled_from(ids))]}
        data["unless_obligation"] = draw(st.sampled_from(OBLIGATION_TYPES))
    else:
        data["strict"] = draw(st.booleans())
    return Guarantee.model_validate(data)


KINDS_CHECKED = ["never", "always", "only_via", "need_to_know"]
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("kind", KINDS_CHECKED)
@settings(max_examples=6, **SETTINGS)
@given(data=st.data())
def test_checker_agrees_with_brute_force(kind, data):
    """The smaller form: 6 generated protocols and guarantees of each kind (the full form below runs 20)."""
    agrees_with_brute_force(kind, data)


@pytest.mark.large
@pytest.mark.parametrize("kind", KINDS_CHECKED)
@settings(max_examples=20, **SETTINGS)
@given(data=st.data())
def test_checker_agrees_with_brute_force_full(kind, data):
    agrees_with_brute_force(kind, data)


def agrees_with_brute_force(kind, data):
    # history and data subject roles each add fact columns; together they make the listed space too large to
    # enumerate by brute force, so a protocol uses one or the other (each with every other feature)
    features = data.draw(st.sampled_from([FEATURES - {"subjects"}, FEATURES - {"history"}]))
    protocol = data.draw(protocols(features))
    guarantee = data.draw(guarantees(protocol, kind))
    result = check_guarantee(protocol, guarantee)
    proven, first, size = brute_force(protocol, guarantee)
    assert result.space_size == size
    event(f"{guarantee.kind} {'proven' if proven else 'violated'}")
    assert result.proven == proven
    if not proven:
        c = result.counterexample
        assert (c.sender, c.recipient, c.categories[0], c.stage, c.purpose, c.requested_by) == (
            first["from"], first["to"], first["category"], first["stage"], first["purpose"], first["requested_by"])
        assert c.about == first["about"]
        # a person's own value is said once: about the victim, consent@victim is the plain consent
        own = f"@{first['about']}"
        assert dict(c.facts) == {f: v for f, v in first.items()
                                 if (f in FACTS or f in ("statutory_notice", "child_competent")
                                     or f.startswith("history.") or ("@" in f and not f.endswith(own))) if v is not None}
        assert result.explanation.count("Violated") == 1
        assert result.decision is not None and result.explanation.startswith("Violated")
