"""Flows between one partner's own teams: the agreement's table under each data-flow diagram says exactly
what the diagram's outline summarises, and together they account for every such permitted flow."""

from __future__ import annotations

import pytest

import protocolkit
from protocolkit.diagrams.dataflow import labels_for, plan
from protocolkit.export.documents.context import _Names
from protocolkit.export.documents.markdown import write_markdown
from protocolkit.export.documents.team_flows import HOW_MINIMUM, HOW_SENSITIVE, HOW_SHARED, team_flows_by_stage
from protocolkit.graph import build
from protocolkit.graph.flows import permitted_flows
from protocolkit.model.vocabulary import Vocabulary

from documents_support import TODAY
from print_size import smallest_printed_text

EXAMPLES = ("mash", "supporting_families")


@pytest.fixture(scope="module", params=EXAMPLES)
def example(request):
    protocol = protocolkit.load(protocolkit.example_path(request.param))
    v = Vocabulary.of(protocol)
    return protocol, v, _Names(protocol, v)


def test_the_table_lists_every_flow_the_diagram_draws_inside_an_outline(example):
    protocol, v, names = example
    tables = team_flows_by_stage(protocol, names, v)
    assert list(tables) == list(v.stage_ids)
    labels = labels_for(v)
    seen = 0
    for stage in v.stage_ids:
        drawing = plan(build(protocol, stage=stage), labels)
        rows = tables[stage]
        assert len(rows) == len(drawing.teams), stage
        for row, group in zip(rows, drawing.teams):
            assert row[0] == "; ".join(names.partner(s) for s in group.sources)
            assert row[1] == names.partner(group.target)
            # every category the flows carry is named, under its top-level group
            for category in group.arrow.categories:
                assert names.category(category) in row[2] or f"{names.category(category)} as a whole" in row[2]
            assert row[3].startswith(HOW_SHARED if group.arrow.share else HOW_MINIMUM)
            assert row[3].endswith(HOW_SENSITIVE) == group.arrow.sensitive
        pairs = sorted((s, g.target) for g in drawing.teams for s in g.sources)
        assert pairs == sorted((a.source, a.target) for a in drawing.internal)
        seen += len(pairs)
    assert seen, "the example has no flow between one partner's teams to test"


def test_only_the_teams_flows_are_worked_out_and_they_are_those_of_the_whole_table(example):
    protocol, v, names = example
    assert team_flows_by_stage(protocol, names, v) == team_flows_by_stage(protocol, names, v,
                                                                          flows=permitted_flows(protocol))


def test_the_agreement_prints_the_table_under_each_diagram(tmp_path):
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    (path,) = write_markdown(protocol, tmp_path, today=TODAY, diagrams=False)
    text = path.read_text(encoding="utf-8")
    v = Vocabulary.of(protocol)
    for stage in v.stages:
        caption = f"Who may share with whom at {stage.label}"
        table = f"Between the teams of one partner at {stage.label}."
        assert text.index(caption) < text.index(table), stage.id
    referral = text[text.index("Between the teams of one partner at Referral."):]
    assert "Northbridge Council Housing Services" in referral.split("Who may share with whom")[0]


def test_the_second_examples_diagrams_print_no_text_under_six_points(tmp_path):
    """On a landscape page of their own, drawn to its shape; before the redesign their smallest text printed at 4.8 pt."""
    from protocolkit.export.documents.docx import write_docx

    protocol = protocolkit.load(protocolkit.example_path("supporting_families"))
    (docx_path,) = write_docx(protocol, tmp_path, today=TODAY)
    sizes = smallest_printed_text(protocol, docx_path, tmp_path)
    assert min(sizes.values()) >= 6.0, sizes
