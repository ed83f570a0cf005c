"""Shared by the export tests: run exported policies in real interpreters, and the engine's answers to compare.

Requests are plain mappings (``from``, ``to``, ``categories``, ``stage``, ``purpose``, ``facts``).
Every answer is reduced to the same comparable shape: per request, the overall outcome, the
request's deciding rule, obligations and lawful bases, and per category the outcome, the
deciding rule, the deciding rules, the obligations, the lawful bases, minimum and escalation.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from protocolkit.engine import decide_many, summary_outcome
from protocolkit.engine.decisions import CategoryDecision, Decision
from protocolkit.engine.requests import Request
from protocolkit.export.rego import package_name, rego_module
from protocolkit.export.tables import rule_tables

CATEGORY_FIELDS = ("category", "outcome", "rule", "deciding_rules", "obligations", "lawful_bases", "minimum",
                   "escalate_to", "fallback", "fallback_reason", "sharing", "decided_by", "retention")


def comparable(decision: dict) -> tuple:
    """A decision (engine ``to_dict`` or Rego ``decision``) as a tuple that compares exactly (retention periods as
    tuples of their fields, in order)."""
    return (decision["outcome"], decision["rule"], tuple(decision["obligations"]), tuple(decision["lawful_bases"]),
            tuple(tuple(_plain(c.get(k)) for k in CATEGORY_FIELDS) for c in decision["categories"]))


def _plain(value):
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    return value


def engine_answers(protocol, requests: list[dict]) -> list[tuple]:
    """The engine's decisions on many requests at once (``decide_many``), in the comparable shape.

    Request-level fields come from the engine's own :class:`Decision` built on its category decisions.
    """
    table = decide_many(protocol, requests, detail="rules")
    out, rows = [], table.to_dict("records")
    by_request: dict[int, list[dict]] = {}
    for row in rows:
        by_request.setdefault(row["request"], []).append(row)
    for index, request in enumerate(requests):
        cats = tuple(CategoryDecision(
            category=r["category"], outcome=str(r["outcome"]), rule=r["rule"], deciding_rules=tuple(r["deciding_rules"]),
            rules_matched=tuple(r["rules_matched"]), lawful_bases=tuple(r["lawful_bases"]),
            obligations=tuple(r["obligations"]), minimum=r["minimum"], escalate_to=r["escalate_to"],
            need_to_know=str(r["need_to_know"]), explanation="", fallback=r["fallback"],
            fallback_reason=r["fallback_reason"], sharing=r["sharing"], decided_by=r["decided_by"],
            retention=tuple(r["retention"]))
            for r in by_request[index])
        d = Decision(Request.from_mapping(request), summary_outcome(c.outcome for c in cats), cats, "")
        out.append(comparable(d.to_dict()))
    return out


REQUESTED_BY = ("unstated", "proactive", "recipient", "third_party")


def random_requests(protocol, n: int, seed: int) -> list[dict]:
    """``n`` requests over every partner and declared outside party, category, stage, purpose and fact value
    (unknown included); fact states the protocol's fact constraints rule out are drawn again (they are bad input).
    Where some rule looks at who asked, a request names its requester (the sender, the recipient or a third party),
    or gives ``requested_by`` directly, or says nothing.

    Where the protocol declares data subject roles (``docs/semantics.md`` section 16), a request names one in
    ``about`` or none, and gives people's own values of per-subject facts as ``consent@victim`` some of the time;
    for the request's own subject the value is given plainly, per person, or both (agreeing).

    Every fourth request is one of the protocol's permitted flows with the facts that let it go
    (:func:`~protocolkit.graph.permitted_flows`), so the sample reaches the sharing rules even where
    uniformly drawn facts almost always meet a refusal first; a flow that goes only when a given party
    asked is sent with that ``requested_by``, one that goes only for a named data subject with that ``about``.
    """
    t = rule_tables(protocol)
    rnd = random.Random(seed)
    flows = permitted_flows_of(t)
    columns = {f for f, _ in t.facts}
    aimed = [r for r in t.rules if set(r.about) != set(t.subjects)]
    out = []
    while len(out) < n:
        flow = rnd.choice(flows) if flows and len(out) % 4 == 3 else None
        # (a flow's smallest facts can leave unknown a fact that a fact constraint needs stated: drawn afresh then)
        if flow is not None and possible_for(t.compiled, flow["facts"],
                                             flow["about"] if isinstance(flow["about"], str) else None):
            out.append({"from": flow["from"], "to": flow["to"], "categories": [flow["category"]],
                        "stage": flow["stage"], "purpose": flow["purpose"], "facts": dict(flow["facts"])})
            if isinstance(flow["requested_by"], str):
                out[-1]["requested_by"] = flow["requested_by"]
            if isinstance(flow["about"], str):
                out[-1]["about"] = flow["about"]
            continue
        request = aimed_request(t, rnd.choice(aimed), rnd) if aimed and len(out) % 8 == 5 else None
        if request is not None:  # (None: that rule's scope is empty or the draw broke a fact constraint)
            out.append(request)
            continue
        facts = {f: v for f, values in t.facts if (v := rnd.choice(values)) != "unknown"}
        about = None
        if len(t.subjects) > 1:
            about = rnd.choice(t.subjects[1:]) if rnd.random() < 0.6 else None
            values = dict(t.facts)
            for key, _, _ in t.role_keys:  # a person's own value no rule reads by role: given some of the time
                if key not in columns and rnd.random() < 0.3:
                    facts[key] = rnd.choice(values[key.partition("@")[0]][1:])
            for fact in t.per_subject:  # the subject's own value: plainly, per person, or both
                key = f"{fact}@{about}"
                if about is None or fact not in facts or key not in facts:
                    continue
                how = rnd.randrange(3)
                if how == 0:
                    del facts[fact]
                elif how == 1:
                    del facts[key]
                else:
                    facts[key] = facts[fact]
        if not possible_for(t.compiled, facts, about):
            continue
        request = {"from": rnd.choice(t.partners), "to": rnd.choice(t.partners),
                   "categories": rnd.sample(t.categories, rnd.randint(1, 3)), "stage": rnd.choice(t.stages),
                   "purpose": rnd.choice(t.purposes), "facts": facts}
        if about is not None:
            request["about"] = about
        if t.uses_requested_by:
            how = rnd.randrange(5)
            if how == 1:
                request["requester"] = request["from"]
            elif how == 2:
                request["requester"] = request["to"]
            elif how == 3:
                request["requester"] = rnd.choice(t.partners)
            elif how == 4:
                request["requested_by"] = rnd.choice(REQUESTED_BY)
        out.append(request)
    return out


def aimed_request(tables, rule, rnd: random.Random) -> dict | None:
    """A request inside one rule's scope (a role it is limited to, values its conditions allow, other facts drawn
    freely), so rules for one person's data are reached; None when the draw breaks a fact constraint. Another rule
    may still decide it."""
    facts = {f: v for f, values in tables.facts if (v := rnd.choice(values)) != "unknown"}
    for fact, allowed in rule.facts:
        value = rnd.choice(allowed) if allowed else "unknown"
        if value == "unknown":
            facts.pop(fact, None)
        else:
            facts[fact] = value
    roles = [r for r in rule.about if r != "unstated"]
    about = rnd.choice(roles) if roles else None
    for fact in tables.per_subject:  # the subject's value and the same person's role column must agree
        if about is not None and fact in facts and f"{fact}@{about}" in facts:
            facts[f"{fact}@{about}"] = facts[fact]
    if not rule.senders or not rule.recipients or not rule.categories or not rule.stages or not rule.purposes:
        return None
    if not possible_for(tables.compiled, facts, about):
        return None
    request = {"from": rnd.choice(rule.senders), "to": rnd.choice(rule.recipients),
               "categories": [rnd.choice(rule.categories)], "stage": rnd.choice(rule.stages),
               "purpose": rnd.choice(rule.purposes), "facts": facts}
    if about is not None:
        request["about"] = about
    if set(rule.requested_by) != set(REQUESTED_BY):
        request["requested_by"] = rnd.choice(rule.requested_by)
    return request


def permitted_flows_of(tables) -> list[dict]:
    """The protocol's permitted flows (:func:`~protocolkit.graph.permitted_flows`) as records."""
    from protocolkit.graph import permitted_flows

    return permitted_flows(tables.compiled).to_dict("records")


def possible_for(compiled, facts: dict, about: str | None) -> bool:
    """Whether a request breaks no fact constraint, its per-subject facts read for its subject (section 16)."""
    from protocolkit.engine.constraints import possible
    from protocolkit.engine.requests import subject_facts

    return possible(compiled, subject_facts(compiled, facts, about))


class Regorus:
    """The Rego module in regorus (``opa-eval``): ``decisions`` over a list of requests in one evaluation."""

    def __init__(self, protocol, source: str | None = None, extra: str = ""):
        import opa_eval

        self.package = package_name(protocol)
        self._dir = tempfile.TemporaryDirectory()
        path = Path(self._dir.name) / "policy.rego"
        path.write_text((source or rego_module(protocol)) + extra, encoding="utf-8")
        self.path = path
        self.many = opa_eval.OpaEval(str(path), query=f"data.{self.package}.decisions")
        self.one = opa_eval.OpaEval(str(path), query=f"data.{self.package}.decision")
        self.everything = opa_eval.OpaEval(str(path), query=f"data.{self.package}")

    def decide_many(self, requests: list[dict]) -> list[dict]:
        return self.many.evaluate_parsed(json.dumps({"requests": requests}))

    def decide(self, request: dict) -> dict:
        return self.one.evaluate_parsed(json.dumps(request))


class Regopy:
    """The Rego module in regopy (rego-cpp), compiled once to a bundle; input set with ``set_input``."""

    def __init__(self, protocol, source: str | None = None):
        import regopy

        self.package = package_name(protocol)
        self.interpreter = regopy.Interpreter()
        self.interpreter.add_module("policy.rego", source or rego_module(protocol))
        path = self.package.replace(".", "/")
        self.entrypoints = {"decision": f"{path}/decision", "decisions": f"{path}/decisions"}
        self.bundle = self.interpreter.build(f"data.{self.package}.decisions", list(self.entrypoints.values()))

    def _run(self, entrypoint: str, value):
        self.interpreter.set_input(value)
        out = self.interpreter.query_bundle_entrypoint(self.bundle, self.entrypoints[entrypoint])
        data = json.loads(str(out))
        assert "expressions" in data, f"regopy could not evaluate: {str(out)[:500]}"
        return data["expressions"][0]

    def decide_many(self, requests: list[dict]) -> list[dict]:
        return self._run("decisions", {"requests": requests})

    def decide(self, request: dict) -> dict:
        return self._run("decision", request)
