"""How large the data-flow diagrams' text prints in the agreement's Word file.

For each stage: the width Word gives the picture (``wp:extent``, pictures in document order:
one data-flow diagram per stage, then the lanes), against the drawing's own width (the same
drawing as SVG, whose ``scale(...)`` is how far Graphviz shrank it to the page), times the
smallest point size in the diagram's DOT text.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from protocolkit.diagrams import dataflow, write
from protocolkit.graph import build
from protocolkit.model.vocabulary import Vocabulary

EMU_PER_INCH = 914400


def smallest_printed_text(protocol, docx_path: Path, tmp: Path) -> dict[str, float]:
    """Points, per stage id: the smallest text of its data-flow diagram as the DOCX prints it."""
    v = Vocabulary.of(protocol)
    with zipfile.ZipFile(docx_path) as z:
        document = z.read("word/document.xml").decode("utf-8")
    widths = [int(cx) / EMU_PER_INCH for cx in re.findall(r'<wp:extent cx="(\d+)"', document)]
    stages = list(v.stage_ids)
    assert len(widths) == len(stages) + 1, (len(widths), stages)   # a diagram per stage, then the lanes
    out = {}
    for stage, printed in zip(stages, widths):
        svg = write(protocol, tmp / f"{stage}.svg", stage=stage).read_text(encoding="utf-8")
        drawn = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) / 72
        shrunk = float(re.search(r'transform="scale\(([\d.]+) ', svg).group(1))
        text = dataflow.to_dot(build(protocol, stage=stage), v)
        sizes = [float(x) for x in re.findall(r'POINT-SIZE="([\d.]+)"', text) + re.findall(r"fontsize=([\d.]+)", text)]
        out[stage] = min(sizes) * shrunk * printed / drawn
    return out
