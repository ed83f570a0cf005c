"""Big case files load and run: one file of many plain requests (issue 14, "Batches and big inputs").

A case file is read fast (libyaml) when it holds plain data, with the values the round-trip
reader would give, and the same checks on the file (size cap, regular file, inside the folder).
The default suite runs a 5,000-request file (five steps); the 100,000-request file of the issue
runs under the ``large`` marker, which ``make test`` (and so CI) runs as a second step.
"""

from __future__ import annotations

import shutil

import pytest

import protocolkit
from protocolkit.engine import decide, run_cases
from protocolkit.errors import ProtocolValidationError
from protocolkit.model.cases import load_cases
from protocolkit.model.source import PlainYamlFile, max_file_bytes

RECIPIENTS = ["school", "dwp", "housing", "marac"]
CATEGORIES = ["identity", "health", "education"]


def write_case_file(folder, n: int, *, per_step: int = 1_000, bad_at: int | None = None) -> None:
    """A case of ``n`` plain requests, ``per_step`` to a step, one line each (flow style)."""
    lines = ["# synthetic: no real person", "id: many_requests", "title: Many plain requests", "steps:"]
    for start in range(0, n, per_step):
        lines += [f"- id: s{start // per_step + 1}", "  stage: screening", "  requests:"]
        for r in range(start, min(n, start + per_step)):
            to = "polise" if r == bad_at else RECIPIENTS[r % 4]
            lines.append(f"  - {{from: police, to: {to}, categories: [{CATEGORIES[r % 3]}], purpose: safeguarding}}")
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    (folder / "cases" / "many.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def check_run(mash, folder, n: int) -> None:
    cases = load_cases(folder / "cases")
    assert isinstance(cases[0]._source, PlainYamlFile)  # read fast: libyaml, no round-trip document
    assert sum(len(step.requests) for step in cases[0].steps) == n
    results = run_cases(mash, cases, explain=False)
    decisions = results.decisions
    assert len(decisions) == n
    assert decisions["request"].tolist()[-3:] == [n - 3, n - 2, n - 1]
    # every one of the twelve distinct requests is decided as decide() decides it alone
    for k in range(12):
        expected = decide(mash, {"from": "police", "to": RECIPIENTS[k % 4], "categories": [CATEGORIES[k % 3]],
                                 "stage": "screening", "purpose": "safeguarding"})
        rows = decisions.iloc[k::12]
        assert set(rows["outcome"].astype(str)) == {expected.outcome}
        assert set(rows["rule"].map(repr)) == {repr(expected.rule)}


def test_a_case_file_of_5000_plain_requests_loads_and_runs(mash, tmp_path):
    write_case_file(tmp_path, 5_000)
    check_run(mash, tmp_path, 5_000)


@pytest.mark.large
def test_a_case_file_of_100000_plain_requests_loads_and_runs(mash, tmp_path):
    write_case_file(tmp_path, 100_000)
    assert (tmp_path / "cases" / "many.yaml").stat().st_size < max_file_bytes()  # under the default cap
    check_run(mash, tmp_path, 100_000)


def test_a_bad_request_deep_in_a_big_file_is_located_by_line(mash, tmp_path):
    write_case_file(tmp_path, 1_500, bad_at=1_200)
    cases = load_cases(tmp_path / "cases")
    with pytest.raises(ProtocolValidationError) as caught:
        run_cases(mash, cases, explain=False)
    finding = caught.value.findings[0]
    assert "polise" in finding.message
    # 4 lines before the steps, 3 lines before each step's requests: request 1,200 is the 201st of step 2
    assert finding.line == 4 + 3 * 2 + 1_200 + 1 and finding.file.endswith("many.yaml")


def test_a_case_file_with_problems_is_read_the_round_trip_way_and_located(tmp_path):
    write_case_file(tmp_path, 10)
    path = tmp_path / "cases" / "many.yaml"
    path.write_text(path.read_text().replace("title: Many plain requests", "title: Many plain requests\nhue: red"))
    with pytest.raises(ProtocolValidationError) as caught:
        load_cases(tmp_path / "cases")
    finding = caught.value.findings[0]
    assert "hue" in str(finding) and finding.line == 4


def test_tags_and_aliases_get_the_round_trip_readers_answer(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(protocolkit.example_path("mash") / "cases", folder / "cases")
    write_case_file(folder, 10)
    path = folder / "cases" / "many.yaml"
    text = path.read_text()
    path.write_text(text.replace("title: Many plain requests", "title: !!python/name:os.system x"))
    with pytest.raises(ProtocolValidationError):
        load_cases(folder / "cases")
    path.write_text(text.replace("- id: s1\n", "- id: s1\n  learn: *known\n")
                    .replace("title: Many", "facts: &known {consent: 'yes'}\ntitle: Many"))
    case = next(c for c in load_cases(folder / "cases") if c.id == "many_requests")
    assert case.facts == {"consent": "yes"} and case.steps[0].learn == {"consent": "yes"}


def all_paths(value, prefix=()):
    """Every path to a node of plain data, parents first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from all_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from all_paths(item, (*prefix, index))


def test_streamed_positions_are_the_round_trip_documents():
    """Every node of every case file of both examples: the position streamed from libyaml's events is the
    one the round-trip document gives (line and column)."""
    from protocolkit.model.plain_yaml import load_plain, locate_plain
    from protocolkit.model.source import node_position, round_trip_yaml

    checked = 0
    for example in ("mash", "supporting_families"):
        for path in sorted((protocolkit.example_path(example) / "cases").glob("*.y*ml")):
            text = path.read_text(encoding="utf-8")
            data, doc = load_plain(text), round_trip_yaml().load(text)
            assert data is not None, path
            for node_path in all_paths(data):
                assert locate_plain(text, node_path) == node_position(doc, node_path), (path.name, node_path)
                checked += 1
    assert checked > 1_000
    assert locate_plain("id: a\nsteps: []\n", ("steps", 0)) is None  # no such item: the caller asks the document


def test_a_bad_request_in_a_big_file_is_located_without_a_round_trip_parse(mash, tmp_path):
    write_case_file(tmp_path, 20_000, bad_at=19_990)
    cases = load_cases(tmp_path / "cases")
    with pytest.raises(ProtocolValidationError) as caught:
        run_cases(mash, cases, explain=False)
    finding = caught.value.findings[0]
    assert "polise" in finding.message
    # request 19,990 is the 991st of step 20
    assert (finding.line, finding.column) == (4 + 3 * 20 + 19_990 + 1, 24)
    assert cases[0]._source._doc is None  # located from libyaml's events, not from a round-trip document
