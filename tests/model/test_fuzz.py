"""Property tests: whatever is thrown at the loader, it returns a Protocol or raises ProtocolError.

Three families of input:

* arbitrary YAML documents (built from hypothesis' recursive strategies and dumped),
  YAML-ish token soup, raw random text and raw bytes;
* mutations of the valid protocols (the small fixture, and ``examples/mash`` once it
  exists and validates): structural edits on the parsed document, and text edits;
* hand-written adversarial inputs: alias bombs, deep nesting, merge keys, tags.

No other exception may escape, and every example must finish fast. The example count
can be raised for a bug hunt with ``PROTOCOLKIT_FUZZ_EXAMPLES=5000``; the default keeps
the suite quick. Runs are derandomised so that the suite is deterministic; set
``PROTOCOLKIT_FUZZ_RANDOM=1`` as well to explore new inputs on each run.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import protocolkit
from protocolkit.errors import ProtocolError, ProtocolValidationError, Severity
from protocolkit.model import Protocol
from protocolkit.model.codes import ALL_CODES
from protocolkit.model.source import round_trip_yaml

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "fixtures" / "small" / "protocol.yaml"
MASH = ROOT / "examples" / "mash" / "protocol.yaml"
TODAY = dt.date(2025, 6, 1)

EXAMPLES = int(os.environ.get("PROTOCOLKIT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=dt.timedelta(seconds=4),
    derandomize=not os.environ.get("PROTOCOLKIT_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# -- the one property -------------------------------------------------------------------------

def assert_loads_or_protocol_error(folder: Path) -> Protocol | None:
    """Load a folder; the only outcomes allowed are a Protocol or a well-formed ProtocolError."""
    try:
        protocol = protocolkit.load(folder, today=TODAY)
    except ProtocolValidationError as err:
        assert err.findings, "a ProtocolValidationError must carry at least one finding"
        assert err.errors, "load() raised though no finding is an error"
        for finding in err.findings:
            assert finding.code in ALL_CODES, finding
            assert isinstance(finding.severity, Severity)
            assert finding.message
            assert finding.format().startswith(finding.file or "<protocol>")
        str(err)  # rendering every finding must not fail either
        return None
    except ProtocolError:
        return None
    assert isinstance(protocol, Protocol)
    return protocol


def load_text(text: str | bytes, extra: dict[str, str] | None = None) -> Protocol | None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = folder / "protocol.yaml"
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        for name, content in (extra or {}).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(content, encoding="utf-8")
        return assert_loads_or_protocol_error(folder)


def dump(doc) -> str:
    buffer = io.StringIO()
    round_trip_yaml().dump(doc, buffer)
    return buffer.getvalue()


# -- strategies -------------------------------------------------------------------------------

# text that UTF-8 can encode (no lone surrogates)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
keyish = st.sampled_from([
    "metadata", "partners", "rules", "id", "title", "from", "to", "categories", "stages", "purposes",
    "when", "outcome", "minimum", "escalate_to", "obligations", "lawful_bases", "rationale", "include",
    "kind", "part_of", "statutory_powers", "parent", "values", "ordered", "facts", "priority", "any",
    "version", "owner", "review_date", "status", "partners_kinds", "need_to_know", "recipient",
])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    texts, keyish, st.dates(), st.datetimes(),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(keyish, texts, st.integers()), children, max_size=5),
    ),
    max_leaves=40,
)
top_level = st.one_of(
    documents,
    st.fixed_dictionaries(
        {"metadata": documents},
        optional={"partners": documents, "rules": documents, "include": documents, "categories": documents,
                  "facts": documents, "stages": documents},
    ),
)

# fragments that exercise the YAML parser's corners
TOKENS = [
    "metadata:", "rules:", "partners:", "include:", "id:", " ", "  ", "\n", "\n  ", "\n    ", "- ", "-", ":", ": ",
    "{", "}", "[", "]", ",", "'", '"', "#", "&a ", "*a", "&b ", "*b", "<<: ", "!!str ", "!!int ", "!!map ",
    "!!python/object:os.system ", "!tag ", "? ", "|", ">", "|-", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "---\n",
    "...\n", "\t", "\\", "\r\n", "\ufeff", "x", "R1", "police", "2020-01-01", "1e9", ".nan", "~", "null", "yes",
    "on", "0o17", "0x1F", "\x00", "\x85", "\u2028", "é", "🙂",
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@FUZZ
@given(top_level)
def test_arbitrary_yaml_documents(doc):
    try:
        text = dump(doc)
    except Exception:  # the dumper's own limits are not the loader's business
        reject()
    load_text(text)


@FUZZ
@given(st.one_of(texts, st.text(max_size=400).filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)),
                 token_soup))
def test_raw_text(text):
    load_text(text)


@FUZZ
@given(st.binary(max_size=300))
def test_raw_bytes(data):
    load_text(data)


@FUZZ
@given(token_soup, token_soup)
def test_token_soup_in_included_file(main_tail, included):
    """A valid main file that includes a file of token soup."""
    main = SMALL.read_text(encoding="utf-8") + "\ninclude: [more.yaml]\n" + main_tail
    load_text(main, {"more.yaml": included})


# -- mutations of the valid protocols ---------------------------------------------------------
#
# The small fixture is fuzzed with the full example count. examples/mash (written alongside)
# is far larger (one load takes around a second), so it gets fewer examples per test. A shipped
# example that is absent or does not load fails these tests (never a skip).


def needs_mash(test):
    """Mark a test that fuzzes the shipped example (kept as a name for the reader; it skips nothing)."""
    return test
MASH_FUZZ = settings(FUZZ, max_examples=max(5, EXAMPLES // 15), deadline=dt.timedelta(seconds=8))


def _protocol_files(folder: Path) -> list[str]:
    """The YAML files a protocol folder is made of (sample cases are not part of the protocol)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.yaml") if "cases" not in p.relative_to(folder).parts)


def _copy(folder: Path, into: Path) -> Path:
    target = into / folder.name
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("cases", "*.ipynb", "__pycache__"))
    return target


def _containers(node, path=()):
    """Every (container, key) pair in a parsed document, depth first."""
    out = []
    if isinstance(node, dict):
        for key in list(node):
            out.append((node, key))
            out += _containers(node[key], (*path, key))
    elif isinstance(node, list):
        for index in range(len(node)):
            out.append((node, index))
            out += _containers(node[index], (*path, index))
    return out


def _id_holders(node):
    return [c for c, k in _containers(node) if isinstance(c, dict) and k == "id"]


def _apply(doc, data, operation: str) -> None:
    slots = _containers(doc)
    if not slots:
        return
    container, key = data.draw(st.sampled_from(slots), label="slot")
    if operation == "delete":
        del container[key]
    elif operation == "replace":
        container[key] = data.draw(documents, label="new value")
    elif operation == "duplicate":
        lists = [(c, k) for c, k in slots if isinstance(c, list)]
        if lists:
            seq, index = data.draw(st.sampled_from(lists), label="entry")
            seq.insert(index + 1, copy.deepcopy(seq[index]))
    elif operation == "rename_id":
        holders = _id_holders(doc)
        if holders:
            holder = data.draw(st.sampled_from(holders), label="entry")
            others = [h["id"] for h in holders if h is not holder]
            holder["id"] = data.draw(st.one_of(texts, keyish, st.sampled_from(others or ["x"])), label="new id")
    elif operation == "wrong_type":
        current = container[key]
        candidates = {
            str: st.one_of(st.integers(), st.booleans(), st.lists(texts, max_size=2), st.none(), st.dates()),
            list: st.one_of(texts, st.integers(), st.dictionaries(keyish, texts, max_size=2)),
            dict: st.one_of(texts, st.lists(texts, max_size=3), st.integers()),
        }
        kind = next((t for t in candidates if isinstance(current, t)), str)
        container[key] = data.draw(candidates[kind], label="wrong type")


def _text_mutation(text: str, data) -> str:
    operation = data.draw(st.sampled_from(["truncate", "insert", "delete_span", "duplicate_line", "swap_lines"]))
    position = data.draw(st.integers(0, len(text)), label="position")
    if operation == "truncate":
        return text[:position]
    if operation == "insert":
        return text[:position] + data.draw(st.one_of(st.sampled_from(TOKENS), texts), label="inserted") + text[position:]
    if operation == "delete_span":
        return text[:position] + text[position + data.draw(st.integers(1, 40), label="span"):]
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = data.draw(st.integers(0, len(lines) - 1), label="line")
    if operation == "duplicate_line":
        return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    j = data.draw(st.integers(0, len(lines) - 1), label="other line")
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def _structural(source: Path, data) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _copy(source, Path(tmp))
        name = data.draw(st.sampled_from(_protocol_files(folder)), label="file")
        doc = round_trip_yaml().load((folder / name).read_text(encoding="utf-8"))
        operations = data.draw(st.lists(st.sampled_from(["delete", "replace", "duplicate", "rename_id", "wrong_type"]),
                                        min_size=1, max_size=3), label="operations")
        for operation in operations:
            _apply(doc, data, operation)
        try:
            text = dump(doc)
        except Exception:  # the dumper's own limits are not the loader's business
            reject()
        (folder / name).write_text(text, encoding="utf-8")
        assert_loads_or_protocol_error(folder)


def _textual(source: Path, data) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _copy(source, Path(tmp))
        name = data.draw(st.sampled_from(_protocol_files(folder)), label="file")
        text = (folder / name).read_text(encoding="utf-8")
        for _ in range(data.draw(st.integers(1, 3), label="how many")):
            text = _text_mutation(text, data)
        (folder / name).write_text(text, encoding="utf-8")
        assert_loads_or_protocol_error(folder)


def test_small_fixture_loads():
    """The fuzzing starts from protocols that load cleanly (otherwise mutations prove little)."""
    assert protocolkit.validate(SMALL.parent, today=TODAY) == []


@needs_mash
def test_mash_example_loads():
    assert isinstance(protocolkit.load(MASH.parent, today=TODAY), Protocol)
    assert len(_protocol_files(MASH.parent)) >= 1


@FUZZ
@given(data=st.data())
def test_structural_mutations_small(data):
    _structural(SMALL.parent, data)


@needs_mash
@MASH_FUZZ
@given(data=st.data())
def test_structural_mutations_mash(data):
    _structural(MASH.parent, data)


@FUZZ
@given(data=st.data())
def test_text_mutations_small(data):
    _textual(SMALL.parent, data)


@needs_mash
@MASH_FUZZ
@given(data=st.data())
def test_text_mutations_mash(data):
    _textual(MASH.parent, data)


# -- hand-written adversarial inputs ----------------------------------------------------------

def _billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ['lol: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _timed(text: str | bytes, limit: float = 5.0) -> None:
    """Load a hostile text and return the error. ``limit`` documents the seconds it took on a quiet
    machine when the regression was fixed; tests never assert on wall time (a busy machine is slow),
    so a regression in speed shows in the suite's duration, not as a failure here."""
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(_write(text), today=TODAY)
    return caught.value


_TMP = tempfile.TemporaryDirectory(prefix="protocolkit-fuzz-")


def _write(text: str | bytes) -> Path:
    folder = Path(tempfile.mkdtemp(dir=_TMP.name))
    target = folder / "protocol.yaml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return folder


def test_billion_laughs_is_refused_promptly():
    err = _timed(_billion_laughs())
    assert [f.code for f in err.findings] == ["PK100"]
    assert "alias" in (err.findings[0].message + err.findings[0].fix)


def test_billion_laughs_inside_a_section_is_refused_promptly():
    text = "metadata: {id: x, title: t, version: '1', owner: o}\n" + _billion_laughs().replace("lol: ", "x: ", 1)
    text = text.replace("l8: &l8", "rules: &l8")
    err = _timed(text)
    assert "PK100" in [f.code for f in err.findings]


def test_billion_laughs_in_an_included_file_is_refused_promptly():
    folder = _write("metadata: {id: x, title: t, version: '1', owner: o}\ninclude: [bomb.yaml]\n")
    (folder / "bomb.yaml").write_text(_billion_laughs().replace("l8: &l8", "rules: &l8"), encoding="utf-8")
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(folder, today=TODAY)
    assert any(f.code == "PK100" and f.file.endswith("bomb.yaml") for f in caught.value.findings)


def test_many_errors_amplified_by_aliases_stay_fast():
    """Regression: grouping pydantic's errors was quadratic, so a 3 KB file of aliased bad
    rules (23,600 errors) took 20 s. It must stay well under that."""
    bad_rule = "{" + ", ".join(f"k{i}: 1" for i in range(50)) + "}"
    text = ("metadata: {id: x, title: t, version: '1', owner: o}\n"
            "rules: [&x " + bad_rule + ", " + ", ".join(["*x"] * 399) + "]\n")
    err = _timed(text, limit=8.0)
    assert len(err.findings) > 20_000


@pytest.mark.parametrize("text", [
    "[" * 600 + "]" * 600,
    "{a: " * 600 + "1" + "}" * 600,
    "".join("  " * i + "- \n" for i in range(2000)),
    "metadata:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(1500)),
], ids=["deep-flow-list", "deep-flow-map", "deep-block-list", "deep-block-map"])
def test_deep_nesting_is_an_error_not_a_crash(text):
    # Deep enough to pass Python's recursion limit inside ruamel. Deeper flow nesting is
    # slow in ruamel's scanner itself (5,000 '[' take about 4 s, 10,000 about 9 s), so the
    # flow cases stay at 600 levels.
    _timed(text, limit=10.0)


@pytest.mark.parametrize("text", [
    # a merge key bringing an unknown key (regression: KeyError from the key's position)
    "base: &base\n  titel: x\nmetadata:\n  <<: *base\n  id: small\n  title: t\n  version: '1'\n  owner: o\n",
    # unknown keys whose names look like pydantic's union labels (regression: IndexError on "[")
    "'[': null\n",
    "str: 1\nmetadata: {id: x, title: t, version: '1', owner: o, 'list[str]': 2}\n",
    SMALL.read_text(encoding="utf-8").replace("    from: any\n", "    from: {Selector: 1, function-after: 2}\n"),
    # a merge key inside a rule
    SMALL.read_text(encoding="utf-8").replace("  - id: R2\n", "  - <<: {frm: any}\n    id: R2\n"),
    # tags, including one that names a Python object
    "metadata: !!python/object/apply:os.system ['true']\n",
    "metadata: !custom {id: x}\nrules: !!set {a, b}\n",
    # complex keys
    "? [a, b]\n: c\nmetadata: {id: x, title: t, version: '1', owner: o}\n",
    "metadata: {? {a: 1}: 2, id: x, title: t, version: '1', owner: o}\n",
    # several documents, directives, a byte order mark
    "---\nmetadata: {}\n---\nrules: []\n",
    "%YAML 1.1\n---\nmetadata: {}\n",
    "\ufeffmetadata: {id: x}\n",
    # odd scalars where text is expected
    "metadata: {id: .nan, title: .inf, version: 0x1F, owner: ~, review_date: 2020-02-30}\n",
    "metadata: {id: x, title: t, version: '1', owner: o, review_date: 2001-12-14t21:59:43.10-05:00}\n",
    # an include list that points outside the folder, at a folder, at itself
    "metadata: {id: x, title: t, version: '1', owner: o}\ninclude: ['../../../../etc/hostname', '.', 'protocol.yaml']\n",
    "metadata: {id: x, title: t, version: '1', owner: o}\ninclude: [1, null]\n",
    "metadata: {id: x, title: t, version: '1', owner: o}\ninclude: ['[', '**/*.yaml']\n",
], ids=["merge-unknown-key", "bracket-key", "type-name-keys", "label-keys-in-rule", "merge-in-rule", "python-tag", "custom-tags", "complex-key", "complex-key-flow",
        "multi-document", "directive", "bom", "odd-scalars", "timestamp", "include-escapes", "include-not-text",
        "include-bad-glob"])
def test_adversarial_inputs(text):
    assert_loads_or_protocol_error(_write(text))


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", ".", "sub"])
def test_include_of_something_that_is_not_a_file_is_pk114(target):
    """Regression: an include naming /dev/zero was read until memory ran out (MemoryError)."""
    folder = _write("metadata: {id: x, title: t, version: '1', owner: o}\n"
                    f"include: ['{target}']\n")
    (folder / "sub").mkdir()
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(folder, today=TODAY)
    assert [(f.code, f.line) for f in caught.value.findings] == [("PK114", 2)]
    expected = "outside the protocol folder" if target.startswith("/") else "not a regular file"
    assert expected in caught.value.findings[0].message


def test_include_of_a_named_pipe_does_not_block(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    try:
        os.mkfifo(fifo)
    except (AttributeError, OSError):
        pytest.skip("no named pipes here")
    (tmp_path / "protocol.yaml").write_text(
        "metadata: {id: x, title: t, version: '1', owner: o}\ninclude: [pipe.yaml]\n", encoding="utf-8")
    import signal

    def hung(signum, frame):
        raise AssertionError("the loader blocked reading a named pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        with pytest.raises(ProtocolValidationError) as caught:
            protocolkit.load(tmp_path, today=TODAY)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [f.code for f in caught.value.findings] == ["PK114"]


def test_non_utf8_bytes_are_pk100():
    err = _timed(b"metadata:\n  id: \xff\xfe\n")
    assert [f.code for f in err.findings] == ["PK100"]
    assert "UTF-8" in err.findings[0].message


# -- saving what was loaded -------------------------------------------------------------------

SAVE_FUZZ = settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
# one save of examples/mash takes seconds (load, render, read back); a few examples, no deadline
MASH_SAVE_FUZZ = settings(FUZZ, max_examples=max(2, EXAMPLES // 75), deadline=None)


def _edit(protocol: Protocol, data) -> None:
    rules = protocol.rules
    edit = data.draw(st.sampled_from(["title", "rationale", "delete", "copy", "priority", "when", "metadata"]),
                     label="edit")
    if not rules and edit in {"title", "rationale", "delete", "copy", "priority", "when"}:
        edit = "metadata"
    index = data.draw(st.integers(0, max(0, len(rules) - 1)), label="rule")
    if edit == "title":
        rules[index].title = data.draw(texts, label="title")
    elif edit == "rationale":
        rules[index].rationale = data.draw(st.text(max_size=200), label="rationale")
    elif edit == "delete":
        del rules[index]
    elif edit == "copy":
        rules.append(rules[index].model_copy(update={"id": f"COPY{index}"}, deep=True))
    elif edit == "priority":
        rules[index].priority = data.draw(st.integers(-10**6, 10**6), label="priority")
    elif edit == "when":
        rules[index].when = data.draw(st.sampled_from([{}, {"risk": ">= red"}, {"consent": ["given", "unknown"]},
                                                       {"risk": "green"}, {"statutory_notice": True}]), label="when")
    else:
        protocol.metadata.title = data.draw(texts, label="metadata title")


def _full_line_comments(folder: Path) -> dict[str, list[str]]:
    return {name: [line for line in (folder / name).read_text(encoding="utf-8").splitlines()
                   if line.lstrip().startswith("#")] for name in _protocol_files(folder)}


def _save_after_edits(source: Path, data) -> None:
    """Load a valid protocol, edit the model, save: the save succeeds and reads back as the same
    protocol with every full-line comment intact, or it is refused and no file changes."""
    from protocolkit.errors import SaveRefusedError

    with tempfile.TemporaryDirectory() as tmp:
        folder = _copy(source, Path(tmp))
        before = {name: (folder / name).read_bytes() for name in _protocol_files(folder)}
        comments = _full_line_comments(folder)
        protocol = protocolkit.load(folder, today=TODAY)
        ids = {r.id for r in protocol.rules}
        for _ in range(data.draw(st.integers(1, 3), label="edits")):
            try:
                _edit(protocol, data)
            except ValueError:  # pydantic refused the assignment itself: fine
                pass
        deleted = bool(ids - {r.id for r in protocol.rules})  # a deleted rule takes its own comments along
        try:
            protocolkit.save(protocol)
        except SaveRefusedError:
            assert {name: (folder / name).read_bytes() for name in _protocol_files(folder)} == before
            return
        assert protocolkit.load(folder, today=TODAY).model_dump() == protocol.model_dump()
        if not deleted:
            assert _full_line_comments(folder) == comments
        assert sorted(_protocol_files(folder)) == sorted(before)  # no stray temporary files
        assert not [p for p in folder.rglob("*.tmp")]


@SAVE_FUZZ
@given(data=st.data())
def test_save_after_edits_small(data):
    _save_after_edits(SMALL.parent, data)


@needs_mash
@MASH_SAVE_FUZZ
@given(data=st.data())
def test_save_after_edits_mash(data):
    _save_after_edits(MASH.parent, data)
