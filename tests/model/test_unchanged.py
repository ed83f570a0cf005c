"""``unchanged(protocol)``: inside it the protocol's serialisation and checks are worked out once; outside it,
and after it, nothing is kept by object, so a protocol edited in place is read afresh."""

from __future__ import annotations

import protocolkit
from protocolkit.engine.compiled import fingerprint
from protocolkit.export.canonical import content_hash, content_key
from protocolkit.model import checks
from protocolkit.model.unchanged import memo_of, model_json, unchanged


def test_inside_the_scope_the_content_is_serialised_once_and_forgotten_after(monkeypatch):
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    before = fingerprint(protocol), content_key(protocol)
    with unchanged(protocol):
        assert model_json(protocol) is model_json(protocol)
        assert (fingerprint(protocol), content_key(protocol)) == before
        calls = []
        real = checks._check_protocol
        monkeypatch.setattr(checks, "_check_protocol", lambda *a: calls.append(a) or real(*a))
        first = checks.check_protocol(protocol, locate=protocol._source.locate)
        again = checks.check_protocol(protocol, locate=protocol._source.locate)
        assert first == again and first is not again and len(calls) == 1
        checks.check_protocol(protocol)   # another locator: worked out again
        assert len(calls) == 2
        with unchanged(protocol):   # nested: the same scope
            assert memo_of(protocol) is not None
        assert memo_of(protocol) is not None
    assert memo_of(protocol) is None
    checks.check_protocol(protocol, locate=protocol._source.locate)
    assert len(calls) == 3   # outside a scope, never kept


def test_a_protocol_edited_in_place_after_the_scope_is_read_afresh():
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    with unchanged(protocol):
        old = fingerprint(protocol), content_key(protocol), content_hash(protocol)
    protocol.metadata.title = "Another title"
    assert fingerprint(protocol) != old[0]
    assert content_key(protocol) != old[1]
    assert content_hash(protocol) != old[2]
    with unchanged(protocol):
        assert fingerprint(protocol) != old[0] and content_hash(protocol) != old[2]
