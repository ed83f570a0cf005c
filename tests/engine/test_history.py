"""History within a case (docs/semantics.md section 15): rules that condition on what the case already
shared or decided, and on counts over a window; decided alone (told or unknown) and in case runs.

Expectations are worked out by hand from section 15, written before running them."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocolkit
from protocolkit import ProtocolValidationError
from protocolkit.engine import decide, run_cases
from protocolkit.model.cases import Case
from protocolkit.model.vocabulary import Vocabulary

from generated import oracle
from handbuilt import build, rule

RECEIVED = "history.received.criminal.intelligence"
THIRD = "history.count.shared.criminal.to.school.at_least_2.within_p12m"

PROTOCOL = build(
    [
        rule("R-TELL-SCHOOL", "share", sender={"kinds": ["police"]}, to={"partners": ["school"]},
             categories=["criminal"]),
        rule("R-FORWARD", "share_minimum", sender={"partners": ["school"]}, to={"partners": ["csc"]},
             categories=["criminal.intelligence"], history={"received": "criminal.intelligence"}, priority=1),
        rule("R-NOT-OURS", "refuse", sender={"partners": ["school"]}, categories=["criminal"]),
        rule("R-REPEAT", "share", sender={"kinds": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
             history={"count": {"of": {"shared": {"category": "criminal", "to": "school"}}, "at_least": 2,
                                "within": "P12M"}}),
        rule("R-BEFORE-PLAN", "seek_consent", sender={"partners": ["keyworker"]}, categories=["education"],
             history={"not": {"decided": {"outcome": "share", "at_stage": "plan"}}}),
    ],
    fallbacks=[{"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate", "escalate_to": "MASH manager",
                "rationale": "Never refused for want of a rule."}],
)


def test_history_conditions_are_yes_no_facts_with_stable_ids():
    facts = Vocabulary.of(PROTOCOL).facts
    assert facts[RECEIVED].values == ["no", "yes"]
    assert facts[RECEIVED].label == "Has the sender already received criminal intelligence in this case?"
    assert THIRD in facts
    assert "history.decided.share.at.plan" in facts
    described = [c.describe() for c in PROTOCOL.rule("R-BEFORE-PLAN").conditions()]
    assert described == ["earlier in the case, no request for information at plan was decided share"]


def test_decide_treats_an_untold_history_as_unknown_and_never_assumes_it():
    forward = {"from": "school", "to": "csc", "categories": ["criminal.intelligence"], "stage": "screening",
               "purpose": "safeguarding"}
    told = decide(PROTOCOL, {**forward, "facts": {RECEIVED: "yes"}})
    assert (told.outcome, told.rule) == ("share_minimum", "R-FORWARD")
    assert "the sender already received criminal intelligence earlier in the case" in told.explanation
    assert decide(PROTOCOL, {**forward, "facts": {RECEIVED: "no"}}).rule == "R-NOT-OURS"
    untold = decide(PROTOCOL, forward)  # R-FORWARD waits on the history fact and outranks R-NOT-OURS
    assert (untold.outcome, untold.categories[0].fallback, untold.categories[0].waiting_on) == (
        "escalate", "front_door", (RECEIVED,))
    # for a purpose without a fallback, unknown history simply does not satisfy the condition
    assert decide(PROTOCOL, {**forward, "purpose": "family_support"}).rule == "R-NOT-OURS"


CASE = """\
id: repeat_incidents
title: Three incidents in a year
steps:
  - id: first
    stage: referral
    date: 2026-01-10
    requests:
      - {from: police, to: school, categories: [criminal.intelligence], purpose: safeguarding}
      - {from: school, to: csc, categories: [criminal.convictions], purpose: safeguarding}
  - id: second
    stage: screening
    date: 2026-06-01
    requests:
      - {from: school, to: csc, categories: [criminal.intelligence], purpose: safeguarding,
         expect: {outcome: share_minimum}}
      - {from: police, to: school, categories: [criminal.domestic_abuse_incidents], purpose: family_support}
      - {from: police, to: csc, categories: [criminal.intelligence], purpose: family_support,
         expect: {outcome: gap}}
  - id: third
    stage: screening
    date: 2026-12-20
    requests:
      - {from: police, to: csc, categories: [criminal.intelligence], purpose: family_support,
         expect: {outcome: share}}
  - id: fourth
    stage: screening
    date: 2027-05-30
    requests:
      - {from: police, to: csc, categories: [criminal.intelligence], purpose: family_support,
         expect: {outcome: gap}}
"""


def write(tmp_path, text: str, name: str = "case"):
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return protocolkit.load_cases(folder)


def test_a_case_run_works_history_out_from_the_earlier_steps(tmp_path):
    results = run_cases(PROTOCOL, write(tmp_path, CASE))
    assert results.ok, results.failures[["step", "request", "problems"]].to_dict("records")
    rows = results.expectations.set_index(["step", "request"])
    forward = rows.loc[("second", "request_1")]
    assert forward["facts"][RECEIVED] == "yes"
    assert ("The sender already received criminal intelligence: Testshire Primary received it from Testshire "
            "Police at referral (step 'first').") in forward["explanation"]
    # the second notification: one earlier share to the school in the window, so not yet two
    assert rows.loc[("second", "request_3")]["facts"][THIRD] == "no"
    # the third: two earlier shares to the school within 12 months of 2026-12-20
    assert rows.loc[("third", "request_1")]["facts"][THIRD] == "yes"
    # 2027-05-30: the January share fell out of the window; only June's remains
    assert rows.loc[("fourth", "request_1")]["facts"][THIRD] == "no"


def test_an_undated_step_leaves_a_windowed_count_unknown(tmp_path):
    undated = CASE.replace("    date: 2026-06-01\n", "")
    results = run_cases(PROTOCOL, write(tmp_path, undated))
    third = results.expectations.set_index(["step", "request"]).loc[("third", "request_1")]
    assert THIRD not in third["facts"]  # unknown: the June step may or may not be inside the window
    assert "an earlier step has no date" in third["explanation"]


def test_a_case_that_states_a_history_fact_is_refused_where_it_says_it(tmp_path):
    stated = CASE.replace("    date: 2026-06-01\n", f"    date: 2026-06-01\n    learn: {{{RECEIVED}: 'yes'}}\n")
    with pytest.raises(ProtocolValidationError) as caught:
        run_cases(PROTOCOL, write(tmp_path, stated))
    (finding,) = caught.value.findings
    assert finding.code == "PK301" and finding.line == 13 and RECEIVED in finding.message


def test_validation_locates_a_history_condition_naming_an_unknown_category(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(textwrap.dedent("""\
        metadata: {id: t, title: T, version: "1", owner: police, status: draft}
        partners:
          - {id: police, name: Police, kind: police}
          - {id: school, name: School, kind: school}
        rules:
          - id: R1
            title: Forward what was received
            from: {partners: [school]}
            to: {partners: [police]}
            categories: [education]
            stages: any
            purposes: any
            outcome: share
            rationale: x
            history:
              received: criminal.inteligence
        """), encoding="utf-8")
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(folder)
    finding = next(f for f in caught.value.findings if f.code == "PK110")
    assert finding.line == 16 and "criminal.inteligence" in finding.message and "criminal.intelligence" in finding.fix


def test_the_old_format_still_loads_and_saves_without_history():
    p = protocolkit.load(protocolkit.example_path("mash"))
    plain = [r for r in p.rules if r.history is None]
    assert plain and "history" not in plain[0].model_dump(by_alias=True)


# -- brute force: a case run against section 15 read literally ------------------------------------------------
PARTNERS = ["police", "school", "csc", "keyworker"]
CATEGORIES = ["criminal", "criminal.intelligence", "education.attendance"]
STAGES = ["referral", "screening", "plan"]


def literal_history(condition, sender: str, date, earlier: list[dict]) -> str:
    """Section 15 read literally, by plain loops over the earlier category decisions."""
    def up(c):
        while c:
            yield c
            c = c.rpartition(".")[0]

    def related(mine, wanted):
        return wanted in up(mine) or mine in up(wanted)

    def concerns(e, kind, ev):
        return ((e["outcome"] in ("share", "share_minimum")) if kind == "shared" else e["outcome"] in ev.outcomes()) \
            and (ev.category is None or related(e["category"], ev.category)) \
            and (ev.from_ is None or e["from"] == ev.from_) and (ev.to is None or e["to"] == ev.to) \
            and (ev.at_stage is None or e["stage"] == ev.at_stage)

    if condition.kind == "received":
        return "yes" if any(e["outcome"] in ("share", "share_minimum") and e["to"] == sender
                            and e["category"] in up(condition.category) for e in earlier) else "no"
    if condition.kind in ("shared", "decided"):
        return "yes" if any(concerns(e, condition.kind, condition.event) for e in earlier) else "no"
    days = {"D": 1, "W": 7}
    requests = {(e["step"], e["request"]): e["date"] for e in earlier if concerns(e, condition.counted, condition.event)}
    if condition.window is None:
        return "yes" if len(requests) >= condition.at_least else "no"
    number, unit = condition.window
    start = date - dt.timedelta(days=number * days[unit])
    inside = sum(1 for d in requests.values() if start <= d <= date)
    return "yes" if inside >= condition.at_least else "no"


@st.composite
def history_protocols(draw):
    event = st.fixed_dictionaries({}, optional={"category": st.sampled_from(CATEGORIES),
                                                "from": st.sampled_from(PARTNERS), "to": st.sampled_from(PARTNERS),
                                                "at_stage": st.sampled_from(STAGES)})
    condition = st.one_of(
        st.builds(lambda c: {"received": c}, st.sampled_from(CATEGORIES)),
        st.builds(lambda e: {"shared": e}, event),
        st.builds(lambda e, o: {"decided": {**e, "outcome": o}}, event, st.sampled_from(["share", "refuse", "gap"])),
        st.builds(lambda e, n, w: {"count": {"of": {"shared": e}, "at_least": n, "within": w}},
                  event, st.integers(1, 3), st.sampled_from(["P30D", "P2W", "P60D"])),
    )
    rules = []
    for i in range(draw(st.integers(1, 5))):
        history = draw(st.one_of(st.none(), condition, condition.map(lambda c: {"not": c})))
        rules.append(rule(f"R{i}", draw(st.sampled_from(["share", "refuse", "share_minimum", "seek_consent"])),
                          sender=draw(st.sampled_from(["any", {"partners": [draw(st.sampled_from(PARTNERS))]}])),
                          categories=draw(st.sampled_from(["any", [draw(st.sampled_from(CATEGORIES))]])),
                          priority=draw(st.integers(0, 1)), **({"history": history} if history else {})))
    return build(rules)


@st.composite
def history_cases(draw):
    steps, day = [], dt.date(2026, 1, 1)
    for s in range(draw(st.integers(1, 5))):
        day += dt.timedelta(days=draw(st.sampled_from([0, 1, 14, 16, 30, 60])))  # window edges are hit
        steps.append({"stage": draw(st.sampled_from(STAGES)), "date": day.isoformat(), "requests": [
            {"from": draw(st.sampled_from(PARTNERS)), "to": draw(st.sampled_from(PARTNERS)),
             "categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True)),
             "purpose": "safeguarding"} for _ in range(draw(st.integers(1, 3)))]})
    return Case.model_validate({"id": "generated", "title": "Generated", "steps": steps})


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(protocol=history_protocols(), case=history_cases())
def test_case_runs_agree_with_section_15_read_literally(protocol, case):
    from protocolkit.engine.requests import Request
    from protocolkit.model.history import history_conditions

    conditions = history_conditions(protocol.rules)
    table = run_cases(protocol, [case], explain=False).decisions
    got = iter(table.sort_values(["request"], kind="stable").to_dict("records"))
    earlier: list[dict] = []
    for s, step in enumerate(case.steps):
        now = []
        for r, req in enumerate(step.requests):
            facts = {f: literal_history(c, req.from_, step.date, earlier) for f, c in conditions.items()}
            request = Request(req.from_, req.to, tuple(req.categories), step.stage, req.purpose, facts)
            for category in req.categories:
                want, row = oracle(protocol, request, category), next(got)
                rule_id = row["rule"] if isinstance(row["rule"], str) else None
                assert (row["category"], str(row["outcome"]), rule_id) == (category, want["outcome"], want["rule"])
                now.append({"step": s, "request": r, "date": step.date, "from": req.from_, "to": req.to,
                            "category": category, "stage": step.stage, "outcome": want["outcome"]})
        earlier += now


def test_a_window_counts_both_of_its_ends():
    from protocolkit.engine.compiled import compile_protocol
    from protocolkit.engine.history import Event, HistoryReader

    condition = next(c.meaning for c in PROTOCOL.rule("R-REPEAT").conditions())
    reader = HistoryReader(compile_protocol(PROTOCOL))

    def shared(day: str, request: int) -> Event:
        return Event(0, "s", request, dt.date.fromisoformat(day), "police", "school", "criminal.intelligence",
                     "referral", "share")

    edge = [shared("2025-12-20", 0), shared("2026-12-20", 1)]
    assert reader.value(condition, "police", dt.date(2026, 12, 20), edge).value == "yes"   # 12 months to the day
    assert reader.value(condition, "police", dt.date(2026, 12, 21), edge).value == "no"
    assert reader.value(condition, "police", None, edge).value == "unknown"  # no date: cannot place the window
    assert reader.value(condition, "police", None, edge[:1]).value == "no"   # too few in all, whatever the dates
