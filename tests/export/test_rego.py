"""The Rego export decides exactly as the engine: sample cases, 10,000 generated requests over the example
and over generated protocols, in two interpreters (regorus through opa-eval, rego-cpp through regopy)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import protocolkit
from engine.generated import FEATURES, protocols

#: What the exports encode of tests/engine/generated.py's features (history within a case is not in them yet).
EXPORTED = FEATURES - {"history"}
from policy_eval import Regopy, Regorus, comparable, engine_answers, random_requests
from protocolkit.engine import decide, decide_many
from protocolkit.export.rego import rego_module, write_rego
from protocolkit.export.rego_tests import sample_requests


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


@pytest.fixture(scope="module")
def mash_regorus(mash):
    return Regorus(mash)


def test_module_is_rego_v1_only(mash):
    """No v0 forms: every rule head with a body says ``if``; no ``name[x] {`` partial sets; no bare ``name {``."""
    text = rego_module(mash)
    assert "import rego.v1" in text
    heads = [line for line in text.splitlines() if re.match(r"^[a-z_]+[(\[ ]", line) and line.rstrip().endswith("{")]
    assert heads, "the module has rule bodies"
    for line in heads:
        assert re.search(r"\bif \{$|:= \{$|:= \[?\{$|^[a-z_]+ := \{$|\bif \{$", line.rstrip()) or " if " in line \
            or line.rstrip().endswith(":= {"), f"v0 rule body: {line}"
    assert not re.search(r"^[a-z_]+(\([^)]*\))?\s*\{", text, re.M), "v0 rule body without if"
    assert not re.search(r"^[a-z_]+\[[a-z_]+\]\s*(\{| if)", text, re.M), "v0 partial set rule"


@pytest.mark.parametrize("regopy_all", [pytest.param(False, id="default"),
                                        pytest.param(True, marks=pytest.mark.large, id="full")])
def test_every_sample_case_request_in_both_interpreters(regopy_all, mash, mash_regorus):
    """Every sample request in regorus; in regopy (rego-cpp, about 0.3 s a request) the smaller form evaluates
    one request of each outcome, the first about one person's data and the first naming who asked, and the
    full form (``large``) every one."""
    samples = sample_requests(mash)
    assert len(samples) >= 20
    requests = [r for _, r in samples]
    assert any("about" in r for r in requests)  # the sample cases about one person's data (section 16) are in
    engine = [comparable(decide(mash, r).to_dict()) for r in requests]
    if not regopy_all:
        assert [comparable(d) for d in mash_regorus.decide_many(requests)] == engine
        # the single-request entry point too
        assert comparable(mash_regorus.decide(requests[0])) == engine[0]
    picked = range(len(requests)) if regopy_all else _one_of_each(requests, engine)
    assert [comparable(d) for d in Regopy(mash).decide_many([requests[i] for i in picked])] == \
        [engine[i] for i in picked]


def _one_of_each(requests: list[dict], engine: list[tuple]) -> list[int]:
    """The first request of each outcome, the first about one person's data and the first naming who asked."""
    firsts = {}
    for i, answer in enumerate(engine):
        firsts.setdefault(answer[0], i)
    picked = set(firsts.values())
    picked.add(next(i for i, r in enumerate(requests) if "about" in r))
    picked.update(i for i in [next((i for i, r in enumerate(requests) if "requester" in r or "requested_by" in r),
                                   None)] if i is not None)
    assert len(firsts) >= 4, firsts   # the sample reaches share, refuse, escalate, a gap...
    return sorted(picked)


def test_generated_test_module_passes_in_regorus(mash, tmp_path):
    """The ``*_test.rego`` written for partners' ``opa test`` runs its ``with input as`` tests: all true."""
    module, test = write_rego(mash, tmp_path)
    body = test.read_text(encoding="utf-8")
    body = body[body.index("# ", body.index("import data.")):]  # the tests, in the policy's own package
    results = run_rego_tests(mash, module.read_text(encoding="utf-8"), body)
    assert len(results) == len(sample_requests(mash))
    assert all(v is True for v in results.values()), [k for k, v in results.items() if v is not True][:5]


def run_rego_tests(protocol, module: str, tests: str) -> dict:
    """Each ``test_`` rule of a test body, evaluated in regorus in the policy's package: True or undefined."""
    import opa_eval

    runner = Regorus(protocol, source=module, extra="\n" + tests)
    names = re.findall(r"^(test_[a-z0-9_]+) if \{", tests, re.M)
    out = {}
    for name in names:
        result = opa_eval.OpaEval(str(runner.path), query=f"data.{runner.package}.{name}").evaluate_parsed("{}")
        out[name] = result
    return out


def test_a_wrong_expectation_in_the_test_module_fails(mash, tmp_path):
    module, test = write_rego(mash, tmp_path)
    body = test.read_text(encoding="utf-8")
    body = body[body.index("# ", body.index("import data.")):]
    broken = body.replace('\td.outcome == "refuse"', '\td.outcome == "share"', 1)
    assert broken != body
    results = run_rego_tests(mash, module.read_text(encoding="utf-8"), broken)
    assert sorted(k for k, v in results.items() if v is not True) == ["test_sample_002"]


@pytest.mark.parametrize("size", [pytest.param(1_000, id="default"),
                                  pytest.param(10_000, marks=pytest.mark.large, id="full")])
def test_generated_requests_over_the_example(size, mash, mash_regorus):
    requests = random_requests(mash, size, seed=20261127) + _matching_requests(mash)
    engine = engine_answers(mash, requests)
    rego = [comparable(d) for d in mash_regorus.decide_many(requests)]
    mismatches = [(requests[i], engine[i], rego[i]) for i in range(len(requests)) if engine[i] != rego[i]]
    assert not mismatches, mismatches[:3]
    outcomes = {e[0] for e in engine}
    assert outcomes >= {"gap", "refuse", "share"}, outcomes  # the sample reaches the outcomes that matter
    # whose data (docs/semantics.md section 16): requests name a subject, give people's own consent, and the
    # example's rules for one person's data decide some of them
    assert any("about" in r for r in requests) and any("about" not in r for r in requests)
    assert any(any("@" in k for k in r["facts"]) for r in requests)
    assert {c[2] for e in engine for c in e[4]} >= {"R-GEN-20", "R-GEN-21"}
    # retention (docs/semantics.md section 18): the example's periods come from each layer - a default kept by the
    # recipient, a default for a purpose, and the protocol's statements - and each is compared above
    stated = {(dict(p)["owner"], dict(p)["origin"]) for e in engine for c in e[4] for p in c[-1]}
    assert {("csc_retention", "default"), ("marac_retention", "default"), ("matching_retention", "default"),
            ("partner_extracts", "statement")} <= stated, stated


def _matching_requests(protocol) -> list[dict]:
    """Requests for the example's Supporting Families matching (a purpose-scoped retention default): the purpose
    is one of six and its flows few, so a uniform draw need not reach them; these make sure it is compared."""
    from protocolkit.graph import permitted_flows

    flows = permitted_flows(protocol, purpose="programme_identification")
    chosen = flows[flows["category"].str.startswith("supporting_families")].head(3)
    assert len(chosen), "the example no longer lets Supporting Families matching data go"
    return [{"from": f["from"], "to": f["to"], "categories": [f["category"]], "stage": f["stage"],
             "purpose": f["purpose"], "facts": dict(f["facts"])} for f in chosen.to_dict("records")]


def test_regopy_agrees_on_generated_requests_over_the_example(mash):
    requests = random_requests(mash, 30, seed=7)
    assert [comparable(d) for d in Regopy(mash).decide_many(requests)] == engine_answers(mash, requests)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(protocol=protocols(EXPORTED), seed=st.integers(0, 2**32))
def test_generated_protocols_ten_thousand_requests(protocol, seed):
    """10 generated protocols x 1,000 requests: priorities, conditions with unknown, kind and team hierarchies,
    fallbacks, fact constraints, parties outside the partnership (as senders and recipients, named by id or kind),
    who asked (requester or requested_by) and duty, permission or discretion."""
    requests = random_requests(protocol, 1_000, seed)
    engine = engine_answers(protocol, requests)
    rego = [comparable(d) for d in Regorus(protocol).decide_many(requests)]
    assert rego == engine


@pytest.mark.parametrize("phases", [pytest.param([Phase.generate], id="default"),
                                    pytest.param(list(Phase), marks=pytest.mark.large, id="full")])
def test_generated_requests_reach_outside_parties_and_requesters(phases):
    """The generated equivalence set is not vacuous: over the ten protocols above, requests go to and come from
    outside parties that rules name, rules look at who asked, and sharing is a duty or a discretion somewhere.

    The smaller form takes the first generated protocol that has all of these; the full form (``large``) shrinks
    it to the smallest such protocol first (about 35 s of CPU)."""
    from hypothesis import find

    protocol = find(protocols(EXPORTED), lambda p: bool(p.outside) and any(r.requested_by != "any" for r in p.rules)
                    and any(r.to != "any" and r.to.outside for r in p.rules)
                    and any(r.sharing != "permitted" for r in p.rules),
                    settings=settings(database=None, derandomize=True, max_examples=2000, phases=phases))
    requests = random_requests(protocol, 1_000, seed=5)
    outside = {o.id for o in protocol.outside}
    assert any(r["to"] in outside for r in requests) and any("requester" in r for r in requests)
    engine = engine_answers(protocol, requests)
    assert [comparable(d) for d in Regorus(protocol).decide_many(requests)] == engine
    # regopy (rego-cpp) is far slower (docs/exports.md): it evaluates a slice that reaches outside parties and requesters
    picked = [i for i, r in enumerate(requests) if r["to"] in outside or r["from"] in outside][:10]
    picked += [i for i, r in enumerate(requests) if "requester" in r or "requested_by" in r][:10]
    assert [comparable(d) for d in Regopy(protocol).decide_many([requests[i] for i in picked])] == \
        [engine[i] for i in picked]
    decided_outside = [e for r, e in zip(requests, engine) if r["to"] in outside and e[1] is not None]
    assert decided_outside, "some request to an outside party is decided by a rule"


def test_generated_protocols_with_data_subject_roles():
    """Whose data (docs/semantics.md section 16) on a generated protocol where rules are limited to roles and read
    one person's consent by role (consent@victim): 1,000 requests about each role or none, with people's own values,
    in regorus; a slice of those naming a subject in regopy."""
    from hypothesis import find

    protocol = find(protocols(EXPORTED), lambda p: bool(p.subjects) and any(r.about != "any" for r in p.rules)
                    and any("@" in k for r in p.rules for k in r.when),
                    settings=settings(database=None, derandomize=True, max_examples=2000, phases=[Phase.generate]))
    requests = random_requests(protocol, 1_000, seed=16)
    assert any("about" in r for r in requests) and any(any("@" in k for k in r["facts"]) for r in requests)
    engine = engine_answers(protocol, requests)
    assert [comparable(d) for d in Regorus(protocol).decide_many(requests)] == engine
    limited = {r.id for r in protocol.rules if r.about != "any"}
    matched = decide_many(protocol, requests, detail="rules")["rules_matched"]
    assert any(limited & set(m) for m in matched), "a rule limited to roles matches some request"
    picked = [i for i, r in enumerate(requests) if "about" in r][:15]
    assert [comparable(d) for d in Regopy(protocol).decide_many([requests[i] for i in picked])] == \
        [engine[i] for i in picked]


def test_a_request_about_an_undeclared_role_or_with_two_values_for_its_subject_is_bad_input(mash, mash_regorus):
    """docs/semantics.md section 16: an undeclared role, or the subject's value given twice differently, is an error
    (the engine raises for both)."""
    from protocolkit.errors import ProtocolError, UnknownValueError

    request = {"from": "da_service", "to": "probation", "categories": ["contact.phone"], "stage": "plan",
               "purpose": "safeguarding", "about": "victm", "facts": {"consent": "given"}}
    with pytest.raises(UnknownValueError):
        decide(mash, request)
    assert "unknown data subject role victm" in mash_regorus.decide(request)["error"]
    assert "unknown data subject role unstated" in mash_regorus.decide({**request, "about": "unstated"})["error"]
    twice = {**request, "about": "victim", "facts": {"consent": "given", "consent@victim": "refused"}}
    with pytest.raises(ProtocolError):
        decide(mash, twice)
    assert "gives consent two values" in mash_regorus.decide(twice)["error"]
    assert "unknown value maybe of fact consent@child" in \
        mash_regorus.decide({**request, "about": "victim", "facts": {"consent@child": "maybe"}})["error"]
    # the same person's value given both ways, agreeing, is read once
    agreeing = {**request, "about": "victim", "facts": {"consent": "given", "consent@victim": "given"}}
    assert comparable(mash_regorus.decide(agreeing)) == comparable(decide(mash, agreeing).to_dict())


def test_bad_request_gets_an_error_not_a_decision(mash, mash_regorus):
    bad = {"from": "polise", "to": "dwp", "categories": ["health"], "stage": "referral", "purpose": "safeguarding",
           "facts": {"risk": "purple"}}
    answer = mash_regorus.decide(bad)
    assert set(answer) == {"error"}
    assert "unknown partner polise" in answer["error"] and "unknown value purple of fact risk" in answer["error"]
