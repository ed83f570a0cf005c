"""The machine-readable exports: ODRL against the W3C shapes, the CSV register, hostile text through every
rule format (Rego and Cedar still parse and decide as the engine), byte-identical output, and no export of a
protocol with errors."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import cedarpy
import pyshacl
import pytest
import rdflib

import protocolkit
from documents_support import SMALL
from policy_eval import Regopy, Regorus, comparable, engine_answers, random_requests
from protocolkit.engine import decide
from protocolkit.errors import ProtocolValidationError
from protocolkit.export.canonical import canonical_json, stamp, write_json
from protocolkit.export.cedar import CedarDecider, write_cedar
from protocolkit.export.formats import get_format
from protocolkit.export.odrl import PK, odrl_policy, write_odrl
from protocolkit.export.rego import write_rego
from protocolkit.export.register import COLUMNS, register_rows, write_csv
from protocolkit.export.rego_tests import sample_requests

WRITERS = (write_json, write_odrl, write_rego, write_cedar, write_csv)

RTL = "\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u200e"  # right-to-left text and marks; overrides are refused at load
ZERO_WIDTH = "zero\u200bwidth\u200djoiner\ufeff"
SYNTAX = ('"} ] ) ; import data.x; package evil\n# rego\n} else := {"outcome": "share"} '
          'permit(principal, action, resource); // cedar */ @id("R1") '
          '{"@id": "odrl:x", "a": 1} \\u0000 \\ <script>alert(1)</script> =HYPERLINK("x") \n\t')
LONG = "Name" + "y" * 9996


def hostile(text: str) -> str:
    """Free text (rationales, minimums, details): newlines and tabs allowed by the model."""
    return f"{text} {SYNTAX} {RTL} {ZERO_WIDTH} \U0001F600 O'Brien"


def hostile_name(text: str) -> str:
    """A name, title or label: one line (the model refuses control characters there)."""
    return hostile(text).replace("\n", " ").replace("\t", " ")


def standards() -> Path:
    """``../shared/standards`` beside the repository (the main clone's, from a worktree)."""
    root = Path(__file__).resolve().parents[2]
    common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=root,
                            capture_output=True, text=True).stdout.strip()
    for base in (root, Path(common).parent if common else root):
        candidate = base.parent / "shared" / "standards"
        if candidate.is_dir():
            return candidate
    raise AssertionError("../shared/standards is missing beside the repository: the ODRL shapes are needed")


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


@pytest.fixture(scope="module")
def hostile_protocol(tmp_path_factory):
    from ruamel.yaml import YAML

    folder = tmp_path_factory.mktemp("hostile_rules")
    shutil.copytree(SMALL, folder, dirs_exist_ok=True)
    yaml = YAML()
    data = yaml.load((folder / "protocol.yaml").read_text())
    data["metadata"]["title"] = hostile_name("Title")
    data["metadata"]["version"] = hostile_name("1.0")
    data["partners"][0]["name"] = LONG
    data["partners"][1]["name"] = hostile_name("Council")
    for rule in data["rules"]:
        rule["title"] = hostile_name(rule["title"])
        rule["rationale"] = hostile("Rationale")
    data["rules"][0]["minimum"] = hostile("Minimum")
    data["rules"][4]["escalate_to"] = hostile_name("Manager")
    data["rules"][4]["obligations"] = ["record_decision", {"do_not_inform_family": hostile("Until")},
                                       {"deadline": LONG}]
    data["retention"][0]["period"] = hostile_name("=1+1 Period")
    (folder / "protocol.yaml").write_text(json.dumps(data, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
    return protocolkit.load(folder)


def test_odrl_conforms_to_the_w3c_shapes_and_uses_dpv(mash):
    shapes = rdflib.Graph().parse(standards() / "odrl" / "poe-shapesv2.ttl")
    doc = odrl_policy(mash)
    graph = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, report[:2000]
    odrl = rdflib.Namespace("http://www.w3.org/ns/odrl/2/")
    rules = set(graph.subjects(rdflib.RDF.type, odrl.Permission)) | set(graph.subjects(rdflib.RDF.type, odrl.Prohibition))
    duties = set(graph.objects(None, odrl.obligation))  # sharing: required is a duty of the policy (section 4)
    assert len(rules | duties) == len(mash.rules) and not rules & duties
    required = {r.id for r in mash.rules if r.sharing == "required"}
    assert required and {str(graph.value(d, rdflib.URIRef(PK + "ruleId"))) for d in duties} == required
    assert all((d, rdflib.RDF.type, odrl.Duty) in graph for d in duties)
    discretion = next(r for r in mash.rules if r.sharing == "discretion")
    assert discretion.decided_by in {str(o) for o in graph.objects(None, rdflib.URIRef(PK + "decidedBy"))}
    assert rules <= set(graph.subjects(rdflib.RDF.type, odrl.Rule))  # typed so the Rule shape applies
    objects = {str(o) for o in graph.objects()}
    assert any(o.startswith("https://w3id.org/dpv/legal/eu/gdpr#A6-1-e") for o in objects)
    assert any(o.startswith("https://w3id.org/dpv/pd#") for o in objects)
    assert "https://protocolkit.invalid/vocab#purpose/safeguarding" in objects or any(
        "protocolkit.invalid/vocab#purpose/" in o for o in objects)


def test_odrl_shapes_catch_a_broken_policy(mash):
    """The check can fail: a permission with two targets breaks the W3C target shape."""
    shapes = rdflib.Graph().parse(standards() / "odrl" / "poe-shapesv2.ttl")
    doc = odrl_policy(mash)
    first = doc["odrl:permission"][0]
    first["odrl:target"] = [first["odrl:target"], {"@id": "pk:another"}]
    graph = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    conforms, _, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert not conforms


def _reading_consent_of(protocol, roles: dict[str, str]):
    """The protocol with each named rule's condition on the plain, per-person ``consent`` rewritten to read one
    person's own consent (``consent@victim``): rule id -> role."""
    rules = []
    for rule in protocol.rules:
        if rule.id in roles:
            assert "consent" in rule.when, rule.id
            when = {(f"consent@{roles[rule.id]}" if k == "consent" else k): v for k, v in rule.when.items()}
            rule = rule.model_copy(update={"when": when})
        rules.append(rule)
    return protocol.model_copy(update={"rules": rules})


def test_odrl_names_whose_value_a_per_subject_fact_is(mash):
    """docs/semantics.md section 16: a condition on consent@victim reads the victim's own consent, on a plain
    per-person fact the consent of the person the request is about. The ODRL constraint keeps the fact (consent)
    and names the data subject role: the DPV term where the vocabulary maps one (the child: dpv:Child), else the
    project's term, a subclass of dpv:DataSubject. It still passes the W3C shapes."""
    protocol = _reading_consent_of(mash, {"R-REF-11": "victim", "R-SCR-10": "child"})
    doc = odrl_policy(protocol)
    graph = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    shapes = rdflib.Graph().parse(standards() / "odrl" / "poe-shapesv2.ttl")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, report[:2000]
    odrl, pk = rdflib.Namespace("http://www.w3.org/ns/odrl/2/"), rdflib.Namespace(PK)
    dpv = rdflib.Namespace("https://w3id.org/dpv#")

    def whose_consent(rule_id: str) -> set:
        rule = next(r for r in graph.subjects(pk.ruleId, rdflib.Literal(rule_id)))
        return {graph.value(c, pk.factOf) for c in graph.objects(rule, odrl.constraint)
                if graph.value(c, odrl.leftOperand) == pk["fact/consent"]}

    victim = pk["subject/victim"]
    assert whose_consent("R-REF-11") == {victim}
    assert whose_consent("R-SCR-10") == {dpv.Child}
    assert (victim, rdflib.RDFS.subClassOf, dpv.DataSubject) in graph
    # a rule still reading the plain consent reads the request's subject's
    plain = next(r.id for r in mash.rules if "consent" in r.when and r.id not in ("R-REF-11", "R-SCR-10"))
    assert whose_consent(plain) == {pk.requestDataSubject}
    # the subject is what tells the two apart: the same rules on the example read the request's subject's consent
    original = rdflib.Graph().parse(data=json.dumps(odrl_policy(mash)), format="json-ld")
    assert {original.value(c, pk.factOf) for c in original.objects(None, odrl.constraint)
            if original.value(c, odrl.leftOperand) == pk["fact/consent"]} == {pk.requestDataSubject}


def test_csv_register_lists_permitted_flows_with_bases_regime_and_retention(mash, tmp_path):
    (path,) = write_csv(mash, tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows and list(rows[0]) == COLUMNS
    assert {r["outcome"] for r in rows} <= {"share", "share_minimum"}
    assert all(r["sender"] != r["recipient"] for r in rows)
    assert all(r["sha256"] == stamp(mash).sha256 for r in rows)
    assert {r["regime"] for r in rows} >= {"UK GDPR and DPA 2018"}
    # each row is what the engine decides for some request: check one flow per rule against decide()
    row = next(r for r in rows if not r["conditions"])
    d = decide(mash, {"from": row["sender"], "to": row["recipient"], "categories": row["categories"].split("; "),
                      "stage": row["stage"], "purpose": row["purpose"]})
    assert d.outcome in {"share", "share_minimum"}, d.explanation


def test_hostile_text_is_harmless_in_every_rule_format(hostile_protocol, tmp_path):
    written = [p for writer in WRITERS for p in writer(hostile_protocol, tmp_path)]
    for path in written:
        text = path.read_text(encoding="utf-8")
        if path.suffix in {".rego", ".cedar"}:
            assert "\u200f" not in text and "\u200b" not in text, f"{path.name}: an invisible mark is written raw"
            starts = [line.split(" ")[0] for line in text.splitlines()]
            assert starts.count("package") == (1 if path.suffix == ".rego" else 0), path.name  # no injected package
        if path.suffix in {".json", ".jsonld"}:
            json.loads(text)
    # the JSON and JSON-LD keep every character exactly
    canonical = json.loads((tmp_path / f"{hostile_protocol.metadata.id}.json").read_text(encoding="utf-8"))
    assert canonical["rules"][0]["title"] == hostile_protocol.rules[0].title
    rdflib.Graph().parse(tmp_path / f"{hostile_protocol.metadata.id}.jsonld", format="json-ld")
    # CSV: no cell can be read as a formula, no cell holds a line break
    rows = list(csv.reader(io.StringIO((tmp_path / f"{hostile_protocol.metadata.id}.csv").read_text(encoding="utf-8"))))
    cells = [c for row in rows for c in row]
    assert not any(c[:1] in "=+-@" for c in cells if c)
    assert not any("\n" in c or "\r" in c for c in cells)
    # Rego and Cedar parse, and decide as the engine, free text and all
    requests = [r for _, r in sample_requests(hostile_protocol)] + random_requests(hostile_protocol, 300, seed=3)
    engine = [comparable(decide(hostile_protocol, r).to_dict()) for r in requests]
    rego_source = (tmp_path / f"{hostile_protocol.metadata.id}.rego").read_text(encoding="utf-8")
    assert [comparable(d) for d in Regorus(hostile_protocol, source=rego_source).decide_many(requests)] == engine
    assert [comparable(d) for d in Regopy(hostile_protocol, source=rego_source).decide_many(requests[:20])] == engine[:20]
    policies = (tmp_path / f"{hostile_protocol.metadata.id}.cedar").read_text(encoding="utf-8")
    schema = (tmp_path / f"{hostile_protocol.metadata.id}.cedarschema.json").read_text(encoding="utf-8")
    entities = (tmp_path / f"{hostile_protocol.metadata.id}.entities.json").read_text(encoding="utf-8")
    assert cedarpy.validate_policies(policies, schema).validation_passed
    decider = CedarDecider(policies, json.loads(schema), json.loads(entities))
    assert [comparable(d) for d in decider.decide_many(requests)] == engine
    # obligations and minimum with hostile detail come back exactly, through Rego and Cedar alike
    details = {o for r in hostile_protocol.rules for o in map(str, r.obligations)}
    assert any(LONG in o for o in details)
    assert {o for e in engine for o in e[2]} <= details


def test_two_runs_give_identical_bytes(mash, tmp_path):
    def run(out: Path) -> dict:
        out.mkdir()
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for w in WRITERS for p in w(mash, out)}

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first == second and len(first) == 9
    assert canonical_json(mash) == (tmp_path / "a" / f"{mash.metadata.id}.json").read_bytes()


def test_every_artefact_carries_the_stamp(mash, tmp_path):
    s = stamp(mash)
    for writer in WRITERS:
        for path in writer(mash, tmp_path):
            if path.name.endswith((".schema.json", ".cedarschema.json", ".entities.json", "_test.rego")):
                continue
            text = path.read_text(encoding="utf-8")
            assert s.sha256 in text or path.suffix == ".json", path.name
            assert mash.metadata.id in text and mash.metadata.version in text, path.name


def test_a_protocol_with_errors_is_not_exported(mash, tmp_path):
    broken = mash.model_copy(deep=True)
    broken.rules[0].to = {"partners": ["nobody_here"]}
    for writer in WRITERS:
        with pytest.raises(ProtocolValidationError, match="nobody_here"):
            writer(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_formats_are_registered():
    for name, ext in (("json", ".json"), ("odrl", ".jsonld"), ("rego", ".rego"), ("cedar", ".cedar"), ("csv", ".csv")):
        assert ext in get_format(name).extensions and get_format(name).kind == "rules"
