"""Export panel (writes the chosen formats, links each file) and the static HTML every widget carries."""

import json

import pytest

from protocolkit.ui import CaseStepper, ExportPanel, RulesEditor
from protocolkit.ui.reports import overview, review_report, snapshot_html


def test_the_export_panel_writes_the_ticked_formats_and_links_each_file(session, tmp_path):
    panel = ExportPanel(session, tmp_path / "out", formats=["json"])
    assert panel.formats == ["json"]
    panel.checks["html"].value = True
    panel.write_button.click()
    files = [p for paths in panel.written.values() for p in paths]
    assert {p.suffix for p in files} >= {".json", ".html"} and all(p.exists() for p in files)
    assert json.loads(next(p for p in files if p.name == "small.json").read_text())["metadata"]["id"] == "small"
    for path in files:
        assert path.name in panel.links.value
    assert "Wrote" in panel.status.value and "unsaved" not in panel.status.value
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "Changed"))
    panel.write()
    assert "unsaved edits" in panel.status.value
    assert "Changed" in (tmp_path / "out" / "small.json").read_text()


def test_nothing_ticked_is_refused(session, tmp_path):
    panel = ExportPanel(session, tmp_path, formats=["json"])
    panel.checks["json"].value = False
    panel.write_button.click()
    assert "tick at least one format" in panel.status.value
    with pytest.raises(ValueError, match="unknown export format"):
        ExportPanel(session, tmp_path, formats=["pdf"])


def test_widgets_carry_their_html_for_renderers_without_widgets(session):
    editor = RulesEditor(session)
    bundle = editor._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Police share a summary of intelligence" in bundle["text/html"]
    assert bundle["text/html"] == snapshot_html(editor)
    assert "Testshire Police" in overview(session)._repr_html_()
    assert "findings in all" in review_report(session).html


def test_the_stepper_snapshot_holds_the_decisions(mash_session):
    stepper = CaseStepper(mash_session)
    html = stepper._repr_mimebundle_()["text/html"]
    assert stepper.case.title.split(" - ")[0] in html.replace("&#x27;", "'")
    assert "Who knows what about this family now" in html
