"""The canonical form: self-contained, deterministic, described by its published schema, hashed."""

from __future__ import annotations

import hashlib
import json

import jsonschema
import pytest

import protocolkit
from protocolkit.engine import decide_many
from protocolkit.errors import ProtocolValidationError
from protocolkit.export.canonical import (
    FORMAT_VERSION, canonical_dict, canonical_json, canonical_schema, content_hash, ensure_exportable, stamp,
)
from protocolkit.model.protocol import Protocol


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def test_canonical_json_is_sorted_utf8_with_final_newline(mash):
    raw = canonical_json(mash)
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")
    data = json.loads(raw.decode("utf-8"))
    assert json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2).encode() + b"\n" == raw
    assert data["format_version"] == FORMAT_VERSION
    assert [r["id"] for r in data["rules"]] == [r.id for r in mash.rules]  # protocol order kept


def test_same_protocol_same_bytes_and_hash_across_loads(mash):
    again = protocolkit.load(protocolkit.example_path("mash"))
    assert canonical_json(again) == canonical_json(mash)
    assert content_hash(mash) == hashlib.sha256(canonical_json(mash)).hexdigest()


def test_any_change_that_decides_differently_changes_the_hash(mash):
    changed = mash.model_copy(deep=True)
    changed.rules[0].priority += 1
    assert content_hash(changed) != content_hash(mash)
    renamed = mash.model_copy(deep=True)
    renamed.metadata.version = mash.metadata.version + ".1"
    assert content_hash(renamed) != content_hash(mash)


def test_canonical_form_validates_against_the_published_schema(mash):
    schema = canonical_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(canonical_dict(mash))
    broken = canonical_dict(mash)
    broken["format_version"] = "0.9"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_canonical_form_is_self_contained_and_decides_as_the_protocol(mash):
    """Read back as a protocol, the canonical form decides every example request the same way."""
    data = canonical_dict(mash)
    data.pop("format_version")
    rebuilt = Protocol.model_validate(data)
    assert canonical_json(rebuilt) == canonical_json(mash)
    requests = [{"from": s, "to": t, "categories": [c], "stage": st, "purpose": "safeguarding",
                 "facts": {"risk": "red", "consent": "refused"}}
                for s in [p.id for p in mash.partners][:6] for t in [p.id for p in mash.partners][:6]
                for c in ("health.mental_health", "criminal.intelligence") for st in ("referral", "screening")]
    a = decide_many(mash, requests, detail="rules")
    b = decide_many(rebuilt, requests, detail="rules")
    assert a["outcome"].tolist() == b["outcome"].tolist() and a["rule"].tolist() == b["rule"].tolist()


def test_stamp_names_protocol_version_status_and_hash(mash):
    s = stamp(mash)
    assert (s.protocol, s.version, s.status) == (mash.metadata.id, mash.metadata.version, mash.metadata.status)
    assert s.sha256 == content_hash(mash)
    assert s.sha256 in s.line() and "\n" not in s.line()


def test_stamp_line_cannot_break_out_of_a_comment(mash):
    hostile = mash.model_copy(deep=True)
    hostile.metadata.__dict__["version"] = "1.0\n*/ package evil"  # validation refuses it; the stamp must cope anyway
    assert "\n" not in stamp(hostile).line() and "\\n" in stamp(hostile).line()


def test_protocol_with_errors_is_not_exportable(mash):
    broken = mash.model_copy(deep=True)
    broken.rules[0].to = {"partners": ["no_such_partner"]}
    with pytest.raises(ProtocolValidationError, match="no_such_partner"):
        ensure_exportable(broken)
