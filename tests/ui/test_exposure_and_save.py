"""Exposure view, save bar and the assembled workbench."""

from protocolkit.ui import ExposureView, SaveBar, Workbench
from protocolkit.graph.analysis import exposure_by_stage


def test_the_heatmap_counts_recipients_and_follows_edits(session):
    view = ExposureView(session)
    # R1 sends it to csc, which covers its team mash_team: two recipients
    assert view.heatmap.loc["criminal.intelligence", "screening"] == 2
    assert "Police intelligence" in view.heatmap_html.value or "criminal.intelligence" in view.heatmap_html.value
    session.remove_entry("rules", "R1")
    assert "criminal.intelligence" not in view.heatmap.index or view.heatmap.loc["criminal.intelligence"].sum() == 0
    assert view.heatmap.equals(exposure_by_stage(session.protocol))


def test_the_mash_cases_show_over_and_under_sharing_by_stage(mash_session):
    view = ExposureView(mash_session)
    html = view.cases_html.value
    assert "Needed but withheld" in html and "Referral" in html
    assert "Needed but not shared" in html  # the MASH cases withhold some needed categories on purpose


def test_save_bar_undo_and_conflict_choice(session, small):
    bar = SaveBar(session)
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "Mine"))
    assert not bar.undo_button.disabled and "1 unsaved edit" in bar.state.value
    (small / "protocol.yaml").write_text((small / "protocol.yaml").read_text() + "# theirs\n")
    bar.save_button.click()
    assert bar.last_result.status == "conflict" and bar.conflict.layout.display == "flex"
    bar.overwrite_button.click()
    assert bar.last_result.status == "saved" and bar.conflict.layout.display == "none"
    text = (small / "protocol.yaml").read_text()
    assert "title: Mine" in text and "# theirs" in text
    assert "All changes saved" in bar.state.value


def test_the_workbench_shares_one_session_across_tabs(session):
    bench = Workbench(session)
    assert {"Partners and data", "Rules", "Partner graph", "Exposure", "Decision log", "Export"} <= set(bench.parts)
    bench.parts["Rules"].form.select("R1")
    bench.parts["Rules"].form.inputs["title"].value = "A new title"
    bench.parts["Rules"].form.apply()
    assert "1 unsaved edit" in bench.savebar.state.value
    bench.savebar.undo_button.click()
    assert session.protocol.rule("R1").title != "A new title"
