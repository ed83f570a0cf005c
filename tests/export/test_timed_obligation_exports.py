"""Rego and Cedar decide obligations with a timing and a deadline as data (docs/semantics.md section 17)
exactly as the engine, kept obligations included."""

from __future__ import annotations

from engine.handbuilt import build, rule
from policy_eval import Regorus, comparable
from protocolkit.engine import decide
from protocolkit.export.cedar import CedarDecider

RECORD_AFTER = {"record_decision": {"timing": "after", "within": "PT24H", "from": "disclosure"}}
SAME_DAY = {"deadline": {"within": "same_working_day", "from": "referral_received"}}
TELL_BEFORE = {"inform_family": {"timing": "before", "detail": "by telephone"}}
REQUEST = {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "stage": "referral",
           "purpose": "safeguarding"}


def test_rego_and_cedar_decide_the_timed_obligations_as_the_engine():
    p = build([rule("EMG", sender={"partners": ["police"]}, to={"partners": ["csc"]}, priority=1,
                    categories=["criminal.intelligence"], obligations=[SAME_DAY, TELL_BEFORE]),
               rule("R2", sender={"partners": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
                    obligations=[RECORD_AFTER])])
    requests = [REQUEST, {**REQUEST, "categories": ["criminal.convictions", "criminal.intelligence"]}]
    engine = [comparable(decide(p, r).to_dict()) for r in requests]
    assert any("after the disclosure" in o for o in engine[0][2])
    assert [comparable(d) for d in Regorus(p).decide_many(requests)] == engine
    assert [comparable(d) for d in CedarDecider.of(p).decide_many(requests)] == engine


def test_rego_and_cedar_decide_inherited_bases_and_obligations_as_the_engine():
    """Agreement-level defaults (section 18): the exports decide and report the same inherited lists."""
    defaults = [{"id": "security", "obligations": ["secure_channel"]},
                {"id": "police_bases", "senders": {"kinds": ["police"]}, "lawful_bases": ["UKGDPR.6.1.e"]},
                {"id": "sg", "purposes": ["safeguarding"], "lawful_bases": ["CA2004.s11"], "obligations": [RECORD_AFTER]}]
    p = build([rule("A", sender={"partners": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
                    purposes=["safeguarding"]),
               rule("B", sender={"partners": ["police"]}, to={"partners": ["csc"]}, priority=1, inherit="add",
                    categories=["criminal.intelligence"], purposes=["safeguarding"], lawful_bases=["UKGDPR.6.1.d"]),
               rule("C", "refuse", to={"kinds": ["school"]}, categories=["criminal"])], defaults=defaults)
    requests = [REQUEST, {**REQUEST, "categories": ["criminal.convictions", "criminal.intelligence"]},
                {**REQUEST, "to": "school"}]
    engine = [comparable(decide(p, r).to_dict()) for r in requests]
    assert engine[0][3] == ("UKGDPR.6.1.d", "UKGDPR.6.1.e", "CA2004.s11")
    assert [comparable(d) for d in Regorus(p).decide_many(requests)] == engine
    assert [comparable(d) for d in CedarDecider.of(p).decide_many(requests)] == engine
