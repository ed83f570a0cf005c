"""Diagrams: every view and format renders, is well formed, is the same bytes every time, and reads right.

The small fixture (tests/fixtures/small) is drawn in full; the shipped example
(examples/mash) too; a shipped example that does not load fails these tests.
Both drawing engines are covered: Graphviz when ``dot`` is installed (scripts/system-deps.sh
installs it) and the pure-Python fallback, forced by hiding ``dot``.

Regenerate the golden DOT text with ``PROTOCOLKIT_UPDATE_GOLDEN=1 pytest tests/diagrams``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import networkx as nx
import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.diagrams import FORMATS, VIEWS, dataflow, write
from protocolkit.diagrams._placement import Box, separate
from protocolkit.graph import build
from protocolkit.model.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "fixtures" / "small"
MASH = ROOT / "examples" / "mash"
GOLDEN = Path(__file__).resolve().parent / "golden" / "small_dataflow.dot"
HAS_DOT = shutil.which("dot") is not None
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

COMBINATIONS = [(view, ext) for view in VIEWS for ext in FORMATS[view]]


def _load_mash():
    return protocolkit.load(MASH)  # a shipped example that does not load is a failure, never a skip


@pytest.fixture(scope="module")
def small():
    return protocolkit.load(SMALL)


@pytest.fixture(scope="module")
def mash():
    return _load_mash()


def check_file(path: Path, protocol, stage=None) -> None:
    """The file is non-empty and well formed for its format."""
    data = path.read_bytes()
    assert data, f"{path.name} is empty"
    suffix = path.suffix
    if suffix == ".svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 10
    elif suffix == ".png":
        assert data.startswith(PNG_MAGIC)
    elif suffix == ".dot":
        text = data.decode("utf-8")
        assert text.startswith("digraph ") and text.rstrip().endswith("}")
        if HAS_DOT:  # Graphviz itself reads it
            done = subprocess.run(["dot", "-Tsvg"], input=data, capture_output=True, timeout=120, check=False)
            assert done.returncode == 0, done.stderr.decode()
            ET.fromstring(done.stdout)
    elif suffix in (".graphml", ".gexf"):
        graph = build(protocol, stage=stage)
        back = nx.read_graphml(path, force_multigraph=True) if suffix == ".graphml" else nx.read_gexf(path)
        assert back.number_of_nodes() == graph.number_of_nodes()
        assert back.number_of_edges() == graph.number_of_edges()
        assert set(back.nodes) == set(graph.nodes)
    else:  # pragma: no cover
        raise AssertionError(f"unexpected format {suffix}")


# -- every view and format -------------------------------------------------------------------------

@pytest.mark.parametrize("view,ext", COMBINATIONS)
def test_small_every_view_and_format_renders_the_same_bytes_twice(small, tmp_path, view, ext):
    first = write(small, tmp_path / f"a{ext}", view=view)
    second = write(small, tmp_path / f"b{ext}", view=view)
    check_file(first, small)
    assert first.read_bytes() == second.read_bytes(), f"{view}{ext} is not deterministic"


@pytest.mark.parametrize("view,ext", COMBINATIONS)
def test_mash_every_view_and_format_renders(mash, tmp_path, view, ext):
    stage = "strategy_discussion" if view == "dataflow" and ext in (".svg", ".png") else None
    out = write(mash, tmp_path / f"mash{ext}", view=view, stage=stage)
    check_file(out, mash, stage)


@pytest.mark.parametrize("ext", [".dot", ".svg", ".graphml", ".gexf"])
def test_mash_dataflow_is_deterministic(mash, tmp_path, ext):
    a = write(mash, tmp_path / f"a{ext}", stage="closure")
    b = write(mash, tmp_path / f"b{ext}", stage="closure")
    assert a.read_bytes() == b.read_bytes()


def test_mash_is_deterministic_across_processes(tmp_path):
    """Hash seeds differ between processes; the bytes must not."""
    _load_mash()
    script = ("import sys, protocolkit; from protocolkit.diagrams import write; "
              "p = protocolkit.load(sys.argv[1]); "
              "[write(p, sys.argv[2] + name, stage='referral', view=view) for name, view in "
              "(('.dot', 'dataflow'), ('.svg', 'dataflow'), ('-lanes.svg', 'lanes'), ('-heat.svg', 'heatmap'))]")
    outputs = []
    for seed in ("1", "2"):
        prefix = str(tmp_path / f"run{seed}")
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(MASH), prefix], check=True, env=env, timeout=300)
        outputs.append([Path(prefix + s).read_bytes() for s in (".dot", ".svg", "-lanes.svg", "-heat.svg")])
    assert outputs[0] == outputs[1]


# -- the two engines ----------------------------------------------------------------------------------

@pytest.fixture
def no_dot(monkeypatch):
    """Graphviz is "not installed": ``dot`` is off PATH and may not be run."""
    real_which = shutil.which
    monkeypatch.setattr(dataflow.graphviz.shutil, "which", lambda name, *a, **k: None if name == "dot" else real_which(name))

    def refuse(*args, **kwargs):
        raise AssertionError("the fallback must not run Graphviz")

    monkeypatch.setattr(dataflow.graphviz.subprocess, "run", refuse)


@pytest.mark.parametrize("ext", [".svg", ".png"])
def test_fallback_draws_without_graphviz(small, tmp_path, no_dot, ext):
    assert not dataflow.dot_available()
    a = write(small, tmp_path / f"a{ext}")
    b = write(small, tmp_path / f"b{ext}")
    check_file(a, small)
    assert a.read_bytes() == b.read_bytes()
    if ext == ".svg":
        assert b"Generated by graphviz" not in a.read_bytes()


def test_fallback_draws_the_example(mash, tmp_path, no_dot):
    out = write(mash, tmp_path / "mash.svg", stage="strategy_discussion")
    check_file(out, mash)


def test_a_final_drawing_graphviz_fails_is_drawn_again_nudged_further(small, tmp_path, monkeypatch):
    """Graphviz 2.43's router aborts on some arrangements (label corners exactly in line): the same layout is
    drawn again with its centres nudged further, then, when every nudge fails, from the curved-edge layout."""
    from protocolkit.diagrams.dataflow import graphviz

    real_run, calls = graphviz._run_dot, []

    def drawing_fails(times):
        def run(args, text):
            calls.append((args, text))
            if args[0] == "-n" and sum(a[0] == "-n" for a, _ in calls) <= times:
                raise graphviz.GraphvizFailed("Graphviz 'dot' failed: Gts:ERROR:cdt.c:887:remove_intersected_edge")
            return real_run(args, text)
        return run

    monkeypatch.setattr(graphviz, "_run_dot", drawing_fails(1))
    out = write(small, tmp_path / "x.svg", stage="referral")
    assert [a for a, _ in calls if a[0] == "-Tplain"] == [["-Tplain", "-Gsize=", "-Gsplines=line"]]   # one layout
    drawings = [t for a, t in calls if a[0] == "-n"]
    assert len(drawings) == 2 and drawings[0] != drawings[1]   # the same layout, other positions
    assert b"Generated by graphviz" in out.read_bytes()

    calls.clear()
    monkeypatch.setattr(graphviz, "_run_dot", drawing_fails(len(graphviz._NUDGES)))
    write(small, tmp_path / "y.svg", stage="referral")
    assert [a for a, _ in calls if a[0] == "-Tplain"] == [["-Tplain", "-Gsize=", "-Gsplines=line"],
                                                          ["-Tplain", "-Gsize="]]   # straight, then curved

    calls.clear()
    monkeypatch.setattr(graphviz, "_run_dot", drawing_fails(99))   # even the unrouted curves fail: the error is told
    with pytest.raises(graphviz.GraphvizFailed):
        write(small, tmp_path / "z.svg", stage="referral")
    assert sum(a[0] == "-n" for a, _ in calls) == 2 * len(graphviz._NUDGES) + 1

    monkeypatch.setattr(graphviz, "_run_dot", real_run)
    assert write(small, tmp_path / "y.svg", stage="referral").read_bytes() == write(
        small, tmp_path / "z.svg", stage="referral").read_bytes()


def test_every_stage_of_the_example_is_drawn_with_its_lines_routed_round_the_boxes(mash, tmp_path, monkeypatch):
    """Every stage the agreement embeds is drawn by Graphviz's router, not by the unrouted-curves last resort
    (strategy discussion's arrangement tripped the router on both layouts until the further nudges)."""
    from protocolkit.diagrams.dataflow import graphviz

    real_run, drawings = graphviz._run_dot, []

    def run(args, text):
        drawings.append(args)
        return real_run(args, text)

    monkeypatch.setattr(graphviz, "_run_dot", run)
    for stage in Vocabulary.of(mash).stage_ids:
        assert write(mash, tmp_path / f"{stage}.png", stage=stage).read_bytes().startswith(PNG_MAGIC)
    assert drawings and not [a for a in drawings if "-Gsplines=curved" in a]


def test_when_the_router_fails_on_both_layouts_the_lines_are_drawn_as_plain_curves(small, tmp_path, monkeypatch):
    """Graphviz 2.43's router has aborted on both layouts (the example's strategy discussion, once): still drawn."""
    from protocolkit.diagrams.dataflow import graphviz

    real_run, calls = graphviz._run_dot, []

    def router_fails(args, text):
        calls.append(args)
        if args[0] == "-n" and "-Gsplines=curved" not in args:
            raise graphviz.GraphvizFailed("Graphviz 'dot' failed: Gts:ERROR:cdt.c:887:remove_intersected_edge")
        return real_run(args, text)

    monkeypatch.setattr(graphviz, "_run_dot", router_fails)
    out = write(small, tmp_path / "x.svg", stage="referral")
    assert [a for a in calls if a[0] == "-n"][-1][-1] == "-Gsplines=curved"
    assert b"Generated by graphviz" in out.read_bytes()
    assert out.read_bytes() == write(small, tmp_path / "y.svg", stage="referral").read_bytes()


def test_fallback_dot_text_needs_no_graphviz(small, tmp_path, no_dot):
    out = write(small, tmp_path / "small.dot")
    assert out.read_text(encoding="utf-8") == dataflow.to_dot(build(small), Vocabulary.of(small))


@pytest.mark.parametrize("ext", [".svg", ".png"])
def test_graphviz_draws_when_installed(small, tmp_path, ext):
    assert HAS_DOT, "Graphviz 'dot' is not installed: scripts/system-deps.sh (make test) installs it"
    out = write(small, tmp_path / f"small{ext}")
    check_file(out, small)
    if ext == ".svg":
        assert b"Generated by graphviz" in out.read_bytes()
        assert b"Testshire Police" in out.read_bytes()


def test_engines_can_be_chosen(small, tmp_path):
    out = write(small, tmp_path / "m.svg", engine="matplotlib")
    assert b"Generated by graphviz" not in out.read_bytes()
    with pytest.raises(ValueError):
        dataflow.render(build(small), tmp_path / "x.svg", engine="paint")


# -- what the data-flow diagram says ------------------------------------------------------------------

def test_golden_dot_of_the_small_fixture(small):
    text = dataflow.to_dot(build(small), Vocabulary.of(small))
    if os.environ.get("PROTOCOLKIT_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file: run with PROTOCOLKIT_UPDATE_GOLDEN=1"
    assert text == GOLDEN.read_text(encoding="utf-8"), (
        "the DOT text changed; if on purpose, regenerate with PROTOCOLKIT_UPDATE_GOLDEN=1")


def test_one_arrow_per_pair_labelled_by_top_level_category(small):
    labels = dataflow.labels_for(Vocabulary.of(small))
    flows = dataflow.arrows(build(small), labels)
    assert [(a.source, a.target) for a in flows] == [("police", "csc"), ("police", "mash_team")]
    arrow = flows[0]
    assert arrow.label() == "Criminal offence (1)"
    assert arrow.label(compact=True) == "CRIM 1"
    assert not arrow.share          # R1 is share_minimum: drawn dashed
    assert arrow.sensitive          # criminal offence data: drawn red


def test_small_dot_styles_minimum_and_criminal_flows(small):
    text = dataflow.to_dot(build(small), Vocabulary.of(small))
    assert "Criminal offence (1)" in text
    assert "style=dashed" in text and "style=solid" not in text.split("node [")[1]
    assert dataflow.SENSITIVE_COLOUR in text
    # police sends the same to the council and its MASH team: one line to the council's outline
    assert "o0 -> _t0" in text and "_t0 -> o1 [" in text
    assert "Testshire Police" in text and "Police" in text and "Children's social care" in text


def test_a_stage_without_flows_still_draws_every_partner(small, tmp_path):
    text = dataflow.to_dot(build(small, stage="closure"), Vocabulary.of(small))
    for name in ("Testshire Police", "Testshire Primary", "MASH decision maker"):
        assert name in text
    assert "->" not in text.split("node [")[1]
    for ext in (".svg", ".png"):
        check_file(write(small, tmp_path / f"closure{ext}", stage="closure"), small)


def test_bundles_lose_no_flow(mash):
    """Every permitted partner-to-partner arrow is drawn exactly once: alone, in a bundle or inside a box."""
    labels = dataflow.labels_for(Vocabulary.of(mash))
    for stage in (None, "referral", "strategy_discussion"):
        graph = build(mash, stage=stage)
        flows = dataflow.arrows(graph, labels)
        drawing = dataflow.plan(graph, labels)
        covered = [(s, t) for b in drawing.bundles for s in b.sources for t in b.targets]
        covered += [(a.source, a.target) for a in drawing.internal]
        assert sorted(covered) == sorted((a.source, a.target) for a in flows)
        for b in drawing.bundles:
            assert all(a.data == b.arrow.data for a in flows if a.source in b.sources and a.target in b.targets)


SUPPORTING = ROOT / "examples" / "supporting_families"


@pytest.mark.parametrize("example,stages", [("mash", (None, "referral", "plan", "closure")),
                                            ("supporting_families", (None, "identification", "assessment"))])
def test_flows_between_an_organisations_teams_are_each_in_one_group(example, stages):
    """Grouped by receiving team and data, the flows inside an organisation lose none and add none."""
    protocol = protocolkit.load(ROOT / "examples" / example)
    labels = dataflow.labels_for(Vocabulary.of(protocol))
    for stage in stages:
        graph = build(protocol, stage=stage)
        drawing = dataflow.plan(graph, labels)
        assert drawing.internal, f"{example} {stage}: no flow between one organisation's teams to test"
        by_pair = {(a.source, a.target): a for a in drawing.internal}
        covered = [(s, g.target) for g in drawing.teams for s in g.sources]
        assert sorted(covered) == sorted(by_pair), stage
        for group in drawing.teams:
            assert all(by_pair[(s, group.target)].data == group.arrow.data for s in group.sources)
            assert group.target not in group.sources
        # one group per recipient and data: no two groups could be merged
        keys = [(g.target, g.arrow.data) for g in drawing.teams]
        assert len(keys) == len(set(keys))


def test_an_outline_has_one_line_per_receiving_team_naming_how_many_send(mash):
    labels = dataflow.labels_for(Vocabulary.of(mash))
    graph = build(mash, stage="referral")
    drawing = dataflow.plan(graph, labels)
    sc = dataflow.scene(graph, labels)
    (council,) = [b for b in sc.boxes if b.members[0].partner == "northbridge_council"]
    receiving = list(dict.fromkeys(g.target for g in drawing.teams if g.organisation == "northbridge_council"))
    assert len(council.internal) == len(receiving) == 5
    senders = {t: {s for g in drawing.teams if g.target == t for s in g.sources} for t in receiving}
    for (text, colour), target in zip(council.internal, receiving):
        assert text.startswith("to "), text
        count = len(senders[target])
        assert text.endswith("every other team" if count == len(council.members) - 1 else f"{count} teams"), text
        sensitive = any(g.arrow.sensitive for g in drawing.teams if g.target == target)
        assert colour == (dataflow.SENSITIVE_COLOUR if sensitive else dataflow.ORDINARY_COLOUR)
    # children's social care hears from all six other teams, with special category data among it
    assert council.internal[0] == ("to Council Children's Social Care: from every other team", dataflow.SENSITIVE_COLOUR)
    # the text inside an outline is no smaller than any other small text of the drawing
    text = dataflow.to_dot(graph, Vocabulary.of(mash))
    sizes = {float(x) for x in re.findall(r'POINT-SIZE="([\d.]+)"', text) + re.findall(r"fontsize=([\d.]+)", text)}
    assert min(sizes) == dataflow.SMALL_PT >= 9


def test_labels_and_boxes_do_not_overlap(mash):
    v = Vocabulary.of(mash)
    labels = dataflow.labels_for(v)
    for stage in (None, "strategy_discussion"):
        sc = dataflow.scene(build(mash, stage=stage), labels)
        first = {k: Box(i % 5 * 0.3, i // 5 * 0.2, 1.5, 0.5) for i, k in
                 enumerate([b.id for b in sc.boxes] + [t.id for t in sc.tags])}
        placed = dataflow.arrange(sc, first)
        names = sorted(placed)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                p, q = placed[a], placed[b]
                assert abs(p.x - q.x) >= (p.w + q.w) / 2 - 1e-6 or abs(p.y - q.y) >= (p.h + q.h) / 2 - 1e-6, (a, b)


def test_separate_pushes_boxes_apart():
    boxes = {"a": Box(0, 0, 1, 1), "b": Box(0.1, 0, 1, 1), "c": Box(0.2, 0.1, 1, 1, mobility=0.0)}
    separate(boxes, 0.1)
    for x, y in (("a", "b"), ("a", "c"), ("b", "c")):
        p, q = boxes[x], boxes[y]
        assert abs(p.x - q.x) >= 1.1 - 1e-6 or abs(p.y - q.y) >= 1.1 - 1e-6
    assert (boxes["c"].x, boxes["c"].y) == (0.2, 0.1)


def _sweeps_pair_by_pair(xs, ys, ws, hs, ms, gap, iterations, widen, epsilon=1e-6):
    """The plain sweep the fast one must equal: every pair tested in turn with the current positions."""
    n = len(xs)
    for _ in range(iterations):
        moved = False
        for i in range(n - 1):
            hits = [j for j in range(i + 1, n)
                    if -((ws[i] + ws[j]) / 2 + gap - epsilon) < xs[j] - xs[i] < (ws[i] + ws[j]) / 2 + gap - epsilon
                    and -((hs[i] + hs[j]) / 2 + gap - epsilon) < ys[j] - ys[i] < (hs[i] + hs[j]) / 2 + gap - epsilon]
            for j in hits:
                dx, dy = xs[j] - xs[i], ys[j] - ys[i]
                ox, oy = (ws[i] + ws[j]) / 2 + gap - abs(dx), (hs[i] + hs[j]) / 2 + gap - abs(dy)
                total = ms[i] + ms[j]
                if ox <= epsilon or oy <= epsilon or total == 0:
                    continue
                ox, oy = ox + epsilon, oy + epsilon
                moved = True
                if ox < oy * widen:
                    sign = 1.0 if dx >= 0 else -1.0
                    xs[i] -= sign * ox * ms[i] / total
                    xs[j] += sign * ox * ms[j] / total
                else:
                    sign = 1.0 if dy >= 0 else -1.0
                    ys[i] -= sign * oy * ms[i] / total
                    ys[j] += sign * oy * ms[j] / total
        if not moved:
            return True
    return False


@pytest.mark.parametrize("seed", range(12))
def test_sweeps_place_exactly_as_testing_every_pair_in_turn(seed):
    import random

    import numpy as np

    from protocolkit.diagrams._placement import _sweeps

    rng = random.Random(seed)
    n = rng.randint(2, 45)
    spread = rng.choice([0.5, 2.0, 6.0])
    xs = [rng.uniform(-spread, spread) for _ in range(n)]
    ys = [rng.uniform(-spread, spread) for _ in range(n)]
    ws = [rng.uniform(0.2, 2.0) for _ in range(n)]
    hs = [rng.uniform(0.2, 1.0) for _ in range(n)]
    ms = [rng.choice([0.0, 0.25, 1.0]) for _ in range(n)]
    iterations = rng.choice([3, 40])
    x, y = np.array(xs), np.array(ys)
    fast = _sweeps(x, y, np.array(ws), np.array(hs), np.array(ms), 0.12, iterations, 1.5)
    plain = _sweeps_pair_by_pair(xs, ys, ws, hs, ms, 0.12, iterations, 1.5)
    assert fast == plain
    assert x.tolist() == xs and y.tolist() == ys   # bit for bit


def _compact_every_trial(boxes, page, gap):
    """compact() as it was: every shrink trial in turn, stopping only at full size."""
    from protocolkit.diagrams._placement import extent

    def scale_of(bs):
        left, bottom, right, top = extent(bs)
        return min(1.0, page[0] / max(right - left, 1e-9), page[1] / max(top - bottom, 1e-9))

    cx = sum(b.x for b in boxes.values()) / len(boxes)
    cy = sum(b.y for b in boxes.values()) / len(boxes)
    best, best_scale = None, -1.0
    for step in range(5):
        f = 1.0 - 0.12 * step
        for g in (1.0, 0.75, 0.55):
            for gx, gy in ((g, 1.0), (1.0, g)):
                trial = {k: Box(cx + (b.x - cx) * f * gx, cy + (b.y - cy) * f * gy, b.w, b.h, b.mobility)
                         for k, b in boxes.items()}
                separate(trial, gap)
                s = scale_of(trial)
                if s > best_scale + 1e-3:
                    best, best_scale = trial, s
        if best_scale >= 1.0:
            break
    return best if best is not None else boxes


@pytest.mark.parametrize("seed", range(10))
def test_compact_stops_early_only_where_no_later_trial_could_win(seed):
    """compact() stops once a trial reaches the scale its largest box allows: the same result, bit for bit."""
    import random

    from protocolkit.diagrams._placement import compact

    rng = random.Random(seed)
    n = rng.randint(2, 30)
    spread = rng.choice([1.0, 4.0, 12.0])
    boxes = {f"b{i}": Box(rng.uniform(-spread, spread), rng.uniform(-spread, spread), rng.uniform(0.2, 2.5),
                          rng.uniform(0.2, 1.0), rng.choice([0.25, 1.0])) for i in range(n)}
    if seed % 2:   # one box taller than the page: it, not the arrangement, bounds the scale
        boxes["tall"] = Box(0.0, 0.0, 2.0, rng.uniform(7.0, 18.0), 0.25)
    copy = {k: Box(b.x, b.y, b.w, b.h, b.mobility) for k, b in boxes.items()}
    fast = compact(boxes, (11.2, 6.35), 0.12)
    plain = _compact_every_trial(copy, (11.2, 6.35), 0.12)
    assert {k: (b.x, b.y) for k, b in fast.items()} == {k: (b.x, b.y) for k, b in plain.items()}


# -- the lanes view: drawn by Graphviz when installed, by matplotlib otherwise ---------------------------

def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (#rrggbb or 'white')."""
    def luminance(colour: str) -> float:
        colour = "#ffffff" if colour == "white" else colour
        out = 0.0
        for weight, i in ((0.2126, 1), (0.7152, 3), (0.0722, 5)):
            c = int(colour[i:i + 2], 16) / 255
            out += weight * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return out
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_lanes_text_reads_on_every_shade(mash):
    """Every cell's text and every key number has at least WCAG AA contrast (4.5:1) on its fill."""
    from protocolkit.diagrams.lanes import sheet

    sh = sheet(mash)
    pairs = [(c.fill, c.ink) for line in sh.cells for c in line if c.count] + [(f, i) for _, f, i in sh.key]
    assert len({fill for fill, _ in pairs}) > 5
    poor = [(fill, ink, round(_contrast(fill, ink), 2)) for fill, ink in pairs if _contrast(fill, ink) < 4.5]
    assert not poor


def test_lanes_drawn_by_graphviz_name_every_stage_and_partner(small, tmp_path):
    from protocolkit.diagrams.lanes import sheet

    out = write(small, tmp_path / "lanes.svg", view="lanes")
    assert b"Generated by graphviz" in out.read_bytes()
    drawn = {t.text for t in ET.parse(out).iter("{http://www.w3.org/2000/svg}text")}
    sh = sheet(small)
    for label, counts in sh.stages:
        assert set(label.split("\n") + counts.split("\n")) <= drawn
    for _, name in sh.partners:
        assert set(name.split("\n")) <= drawn
    assert {"Police and criminal justice", "categories received:"} <= drawn
    png = write(small, tmp_path / "lanes.png", view="lanes").read_bytes()
    assert png.startswith(b"\x89PNG") and png == write(small, tmp_path / "again.png", view="lanes").read_bytes()


def test_text_is_measured_in_the_fonts_own_advance_widths():
    """A line is as wide as DejaVu Sans says: its advance widths (the hmtx table, read here with fontTools) at the size."""
    from fontTools.ttLib import TTFont

    from protocolkit.diagrams._common import font_file, text_width

    text = "Northbridge Constabulary"   # no kerning pair in it
    for bold in (False, True):
        font = TTFont(font_file(bold))
        advances, cmap = font["hmtx"].metrics, font.getBestCmap()
        em = font["head"].unitsPerEm
        expected = sum(advances[cmap[ord(c)]][0] for c in text) * 6.5 / em
        assert text_width(text, 6.5, bold) == pytest.approx(expected, abs=1e-9)
    assert text_width("AV", 10) < text_width("A", 10) + text_width("V", 10)   # the font's kerning counts
    assert text_width("a short\nand a longer line", 10) == text_width("and a longer line", 10)


def test_lanes_text_is_measured_at_the_whole_point_sizes_graphviz_draws(mash):
    """Graphviz reads a POINT-SIZE as whole points ("4.85" is drawn at 4), so the sheet fits its lines at whole sizes
    and the DOT text asks for exactly those; every cell line then fits inside its cell at the size it is drawn."""
    import re

    from protocolkit.diagrams._common import text_width
    from protocolkit.diagrams.lanes import sheet
    from protocolkit.diagrams.lanes_graphviz import to_dot

    sh = sheet(mash)
    sizes = re.findall(r'POINT-SIZE="([^"]*)"', to_dot(sh))
    assert sizes and all(size.isdigit() for size in sizes), sorted(set(sizes))
    assert {sh.font, sh.name_font, sh.group_font, sh.minimum_font} <= {float(size) for size in sizes}
    room = (sh.column - 0.14) * 72
    lines = [x for row in sh.cells for cell in row for x in cell.lines]
    assert len(lines) > 100 and max(text_width(x, sh.group_font) for x in lines) <= room


def test_lanes_drawn_by_graphviz_do_not_import_matplotlib(tmp_path):
    """Importing matplotlib costs a third of a second; the lanes drawn by Graphviz measure text without it."""
    code = ("import sys, protocolkit; from protocolkit.diagrams import write; "
            f"write(protocolkit.load({str(MASH)!r}), {str(tmp_path / 'lanes.png')!r}, view='lanes'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.stdout.strip() == "[]" and (tmp_path / "lanes.png").read_bytes().startswith(PNG_MAGIC)


def test_lanes_without_graphviz_are_drawn_by_matplotlib(small, tmp_path, no_dot):
    out = write(small, tmp_path / "lanes.svg", view="lanes")
    assert b"Generated by graphviz" not in out.read_bytes() and b"<svg" in out.read_bytes()


# -- lanes and heatmap numbers (computed in protocolkit.graph.receiving: tests/graph/test_receiving.py) ------------

def test_the_views_draw_the_graph_tables_under_their_old_names():
    from protocolkit.diagrams import _common, heatmap, lanes
    from protocolkit.graph import receiving

    assert lanes.table is receiving.lane_table and heatmap.matrix is receiving.exposure_matrix
    assert _common.received is receiving.received


# -- write() and the command line -------------------------------------------------------------------

def test_write_rejects_unknown_views_and_formats(small, tmp_path):
    with pytest.raises(protocolkit.ProtocolError, match=r"\.svg, \.png, \.dot, \.graphml, \.gexf"):
        write(small, tmp_path / "x.pdf")
    with pytest.raises(protocolkit.ProtocolError, match=r"\.svg, \.png"):
        write(small, tmp_path / "x.graphml", view="lanes")
    with pytest.raises(protocolkit.ProtocolError, match="unknown view"):
        write(small, tmp_path / "x.svg", view="sankey")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("view,ext", [("dataflow", ".svg"), ("dataflow", ".gexf"), ("lanes", ".png"),
                                      ("heatmap", ".svg")])
def test_cli_graph_writes_and_prints_the_path(capsys, tmp_path, view, ext):
    out = tmp_path / f"g{ext}"
    code, stdout, err = run(capsys, "graph", SMALL, "--view", view, "--out", out)
    assert code == 0, err
    assert stdout.strip() == str(out)
    assert out.stat().st_size > 0


def test_cli_graph_with_stage_purpose_and_facts(capsys, tmp_path):
    out = tmp_path / "g.dot"
    code, _, err = run(capsys, "graph", SMALL, "--stage", "screening", "--purpose", "safeguarding",
                            "--fact", "risk=red", "--fact", "consent=refused", "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "Screening and triage" in text and "risk=red" in text and "Criminal offence (1)" in text
    code, _, _ = run(capsys, "graph", SMALL, "--stage", "screening", "--fact", "risk=green", "--out", out)
    assert code == 0 and "Criminal offence" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("argv,message", [
    (["--out", "x.pdf"], "supported: .svg, .png, .dot, .graphml, .gexf"),
    (["--view", "lanes", "--out", "x.dot"], "supported: .svg, .png"),
    (["--out", "noextension"], "supported:"),
    (["--stage", "nope", "--out", "x.dot"], "nope"),
    (["--fact", "risk", "--out", "x.dot"], "KEY=VALUE"),
    (["--fact", "risk=purple", "--out", "x.dot"], "purple"),
])
def test_cli_graph_bad_input_exits_2(capsys, tmp_path, argv, message):
    argv = [a if not a.startswith("x.") and a != "noextension" else str(tmp_path / a) for a in argv]
    code, out, err = run(capsys, "graph", SMALL, *argv)
    assert code == 2
    assert message in err
    assert not out


def test_cli_graph_missing_protocol_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "graph", tmp_path / "missing", "--out", tmp_path / "x.svg")
    assert code == 2 and err


def test_cli_graph_needs_out(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["graph", str(SMALL)])
    assert exc.value.code == 2


def test_core_import_stays_light():
    """``import protocolkit`` loads neither the diagrams nor matplotlib; importing the diagrams not matplotlib."""
    code = ("import sys, protocolkit; assert 'matplotlib' not in sys.modules; "
            "assert 'protocolkit.diagrams' not in sys.modules; import protocolkit.diagrams; "
            "import protocolkit.diagrams.dataflow, protocolkit.diagrams.formats, protocolkit.diagrams.lanes; "
            "import protocolkit.diagrams.heatmap; "
            "assert 'matplotlib' not in sys.modules, 'diagrams import matplotlib eagerly'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_compact_can_leave_the_width_alone():
    """``squeeze_across=False`` (the data-flow diagram's second pass) tries only squeezes up and down: a row of
    boxes too wide for a tall page gains only from squeezing across, so it prints smaller without."""
    from protocolkit.diagrams._placement import Box, compact, extent

    row = {f"b{i}": Box(i * 3.0, (i % 2) * 0.2, 1.0, 0.5) for i in range(8)}
    page = (8.0, 12.0)

    def scale(boxes):
        left, bottom, right, top = extent(boxes)
        return min(1.0, page[0] / (right - left), page[1] / (top - bottom))

    both = compact({k: Box(b.x, b.y, b.w, b.h) for k, b in row.items()}, page, 0.1)
    upright = compact({k: Box(b.x, b.y, b.w, b.h) for k, b in row.items()}, page, 0.1, squeeze_across=False)
    assert scale(upright) < scale(both) - 0.05
    assert extent(upright)[2] - extent(upright)[0] > extent(both)[2] - extent(both)[0]
