"""What every view shares: family colours, short labels, file output.

The graph from :func:`protocolkit.graph.build` carries ids and leaf labels only; the
family of a partner's kind and the top-level group of a category come from the
protocol's vocabulary (:mod:`protocolkit.model.families`), which callers pass in (without
one, the shipped defaults). The tables the views draw are computed in
:mod:`protocolkit.graph.receiving`. Nothing here imports matplotlib.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Mapping

import networkx as nx
import pandas as pd

from ..graph.receiving import received  # noqa: F401  (its home is the graph; named here for old imports)
from ..model.families import FAMILY_HEADINGS, PARTNER_FAMILIES, Groups
from ..model.families import partners_by_family as _partners_by_family
from ..model.entities import Partner
from ..model.protocol import Protocol
from ..model.text import visible
from ..model.vocabulary import Vocabulary, shipped

# Colours of the partner families (model/families.py), as (fill, line).
_FAMILY_COLOURS = {
    "justice": ("#dbe7f5", "#2c5d8f"),
    "local_authority": ("#fcebd2", "#a8660a"),
    "health": ("#dcefdc", "#2e7d32"),
    "education": ("#ebe1f4", "#6a3d9a"),
    "other": ("#ececec", "#555555"),
}
# (key, heading, root kinds, fill, line): kind families in the order diagrams list them.
FAMILIES = tuple((f.key, f.heading, f.roots, *_FAMILY_COLOURS[f.key]) for f in PARTNER_FAMILIES)
FAMILY_FILL = {key: fill for key, _, _, fill, _ in FAMILIES}
FAMILY_LINE = {key: line for key, _, _, _, line in FAMILIES}

SENSITIVE_COLOUR = "#c0392b"    # flows carrying special category or criminal offence data
ORDINARY_COLOUR = "#3b4a5a"
SHARE_COLOUR = "#1f5f8b"        # heatmap: may receive
MINIMUM_COLOUR = "#8ec3dd"      # heatmap: minimum only
FONT = "Helvetica"              # graphviz resolves it through fontconfig; matplotlib uses DejaVu Sans

# Text a category's top-level label shortens to in crowded places (edge labels, cells).
_SHORTER = {"Criminal offence data": "Criminal offence", "Supporting Families identification flags":
            "Supporting Families flags", "Household and family": "Household", "Risk and vulnerability": "Risk"}


# Short codes of the shipped top-level categories, for arrows in crowded diagrams (with a key).
_CODES = {"identity": "ID", "contact": "CON", "household": "HH", "health": "HLT", "social_care": "CSC",
          "education": "EDU", "criminal": "CRIM", "housing": "HSG", "finance": "FIN", "early_help": "EH",
          "risk": "RISK", "youth_justice": "YJ", "probation": "PROB"}


def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary, for a graph handed over without its protocol."""
    return Vocabulary(
        kinds={k.id: k for k in shipped("partner_kinds")}, partners={},
        categories={c.id: c for c in shipped("categories")}, stages=shipped("stages"),
        purposes={p.id: p for p in shipped("purposes")}, facts={f.id: f for f in shipped("facts")},
        obligation_types={o.id: o for o in shipped("obligation_types")},
        lawful_bases={b.id: b for b in shipped("lawful_bases")}, outside={},
    )


@dataclass(frozen=True)
class Labels(Groups):
    """Families, groups and labels of one protocol's vocabulary, with the short forms views draw."""

    def kind_label(self, kind: str | None) -> str:
        return self.vocab.label("kinds", kind) if kind else ""

    def top(self, category: str) -> str:
        """The top-level category a category sits under (itself when it is one)."""
        return self.vocab.category_ancestors(category)[-1]

    def top_label(self, category: str, short: bool = False) -> str:
        label = self.vocab.label("categories", self.top(category))
        return _SHORTER.get(label, label) if short else label

    @cached_property
    def codes(self) -> dict[str, str]:
        """A short unique code for every top-level category: shipped ones fixed, others from initials."""
        out: dict[str, str] = {}
        for c in self.category_order:
            if self.top(c) != c:
                continue
            code = _CODES.get(c) or "".join(w[0] for w in re.findall(r"[A-Za-z]+", self.vocab.label("categories", c))
                                         if w.lower() not in ("and", "of", "the", "data")).upper()[:4] or c[:3].upper()
            base, n = code, 1
            while code in out.values():
                n += 1
                code = f"{base}{n}"
            out[c] = code
        return out

    def code(self, category: str) -> str:
        return self.codes.get(self.top(category), self.top(category)[:4].upper())

    def stage_label(self, stage: str) -> str:
        return self.vocab.label("stages", stage)


def labels_for(vocabulary: Vocabulary | None) -> Labels:
    return Labels(vocabulary if vocabulary is not None else default_vocabulary())


def edge_frame(graph: nx.MultiDiGraph) -> pd.DataFrame:
    """The graph's edges as rows (``from``, ``to`` and every edge attribute), in edge order."""
    rows = [{"from": u, "to": v, **data} for u, v, data in graph.edges(data=True)]
    columns = ["from", "to", "category", "outcome", "special", "criminal", "stage", "purpose"]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)


def partner_rows(graph: nx.MultiDiGraph, labels: Labels) -> list[str]:
    """Partners grouped by family (family order), in protocol order within a family."""
    order = [key for key, *_ in FAMILIES]
    nodes = list(graph.nodes)
    return sorted(nodes, key=lambda n: (order.index(labels.family(graph.nodes[n].get("kind"))), nodes.index(n)))


def common_prefix_word(names: list[str]) -> str | None:
    """A first word most names share (the locality, such as "Northbridge"), to drop where space is short."""
    firsts = [n.split(" ", 1)[0] for n in names if " " in n]
    if len(names) < 4 or not firsts:
        return None
    word = max(sorted(set(firsts)), key=firsts.count)
    return word if firsts.count(word) * 3 >= len(names) else None


def short_name(name: str, width: int, drop: str | None = None) -> str:
    """A partner name shortened to ``width`` characters: locality dropped, then cut at a word."""
    rest = name[len(drop) + 1:] if drop and name.startswith(drop + " ") else ""
    if rest.split(" ", 1)[0] in ("and", "&", "of", "upon", "-"):   # "Northbridge and Vale ...": a name, not a place
        rest = ""
    if rest and (len(name) > width or width == 0):
        name = rest[:1].upper() + rest[1:]
    return textwrap.shorten(name, width=width, placeholder="…") if width else name


def wrap(text: str, width: int, lines: int | None = None) -> list[str]:
    out = textwrap.wrap(text, width=width, break_long_words=False) or [""]
    if lines is not None and len(out) > lines:
        out = out[:lines - 1] + [textwrap.shorten(" ".join(out[lines - 1:]), width=width, placeholder="…")]
    return out


def title_of(info: Mapping, labels: Labels, stage_text: str | None = None) -> str:
    """The heading of a view, two lines: the protocol's title, then stage, purpose and facts when fixed.

    ``info`` is a graph's attributes (``graph.graph``) or a mapping with the same keys.
    """
    title = str(info.get("title") or info.get("protocol") or "Protocol")
    stage = info.get("stage")
    scope = [stage_text or (f"stage: {labels.stage_label(stage)}" if stage else "all stages")]
    if info.get("purpose"):
        scope.append(f"purpose: {labels.vocab.label('purposes', info['purpose'])}")
    facts = info.get("facts")
    if facts:
        scope.append("facts: " + ", ".join(f"{k}={v}" for k, v in sorted(facts.items())))
    return title + "\n" + "; ".join(scope)


def partners_by_family(protocol: Protocol, labels: Groups) -> list[Partner]:
    """The protocol's partners grouped by family (family order), in protocol order within a family."""
    return _partners_by_family(protocol, labels)


# -- matplotlib output ---------------------------------------------------------------------------

def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend, set up for deterministic files."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({
        "svg.hashsalt": "protocolkit", "svg.fonttype": "path", "font.family": "DejaVu Sans",
        "path.simplify": True,
        "text.parse_math": False,   # a '$' in a name is a dollar sign, never mathtext
    })
    return plt


# Text is measured in the DejaVu Sans files matplotlib ships (the font its drawings use; Graphviz
# draws the same family), through Pillow's FreeType at a size so large that hinting rounds each
# advance by a thousandth of an em at most: the font's own widths, scaled to the size asked for.
# Importing Pillow takes a hundredth of the time importing matplotlib does.
_MEASURE_SIZE = 2048   # pixels per em: DejaVu's own units, so the advances are the font's integers
_DEJAVU = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")   # Debian's fonts-dejavu-core, without matplotlib


def font_file(bold: bool = False) -> Path:
    """The DejaVu Sans file text is measured in: matplotlib's own copy (found without importing matplotlib).

    Examples
    --------
    >>> font_file(bold=True).name
    'DejaVuSans-Bold.ttf'
    """
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    places = [Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"] if spec and spec.origin else []
    for folder in places + [_SYSTEM_DEJAVU]:
        if (folder / _DEJAVU[bold]).is_file():
            return folder / _DEJAVU[bold]
    raise FileNotFoundError(f"no {_DEJAVU[bold]} to measure text with: install matplotlib "
                            "(pip install 'protocolkit[workbench]') or Debian's fonts-dejavu-core")


@lru_cache(maxsize=None)
def _face(bold: bool):
    from PIL import ImageFont

    # the basic layout (FreeType's advances and kerning) is the same on every machine; Raqm may be absent
    return ImageFont.truetype(str(font_file(bold)), _MEASURE_SIZE, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4096)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in points of one line of text in DejaVu Sans at ``size`` points: the sum of its advances.

    The widest line counts when ``text`` has several.

    Examples
    --------
    >>> round(text_width("Health 5, Identity 4", 10), 2)
    96.6
    >>> text_width("Health", 20) == 2 * text_width("Health", 10)
    True
    """
    face = _face(bold)
    return max(face.getlength(line) for line in visible(text, keep="\n").split("\n")) * size / _MEASURE_SIZE


def fit_line(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text`` cut at a word (with an ellipsis) to fit ``width`` points at ``size`` points."""
    if text_width(text, size, bold) <= width:
        return text
    for limit in range(len(text) - 1, 3, -1):
        shorter = textwrap.shorten(text, width=limit, placeholder="…")
        if text_width(shorter, size, bold) <= width:
            return shorter
    return text[:3] + "…"


def fit_lines(name: str, width: float, size: float, lines: int = 2, drop: str | None = None) -> list[str]:
    """A partner's name on at most ``lines`` lines no wider than ``width`` points.

    The name is wrapped as widely as fits; if it cannot fit whole, the locality word is
    dropped, and as a last resort the last line is cut at a word with an ellipsis.
    """
    candidates = [name] + ([short_name(name, 0, drop)] if drop and name.startswith(drop + " ") else [])
    for text in candidates:
        for chars in range(len(text), 3, -1):
            out = textwrap.wrap(text, chars, break_long_words=False)
            if len(out) > lines:
                break
            if all(text_width(x, size) <= width for x in out):
                return out
    text = candidates[-1]
    chars = max(4, int(width / (size * 0.55)))
    out = textwrap.wrap(text, chars, break_long_words=False)
    if len(out) > lines:
        out = out[:lines - 1] + [" ".join(out[lines - 1:])]
    return [fit_line(x, width, size) for x in out]


def save_figure(figure, path: str | Path) -> Path:
    """Save a matplotlib figure as .svg or .png with no dates or random ids, then close it."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise ValueError(f"matplotlib views write .svg or .png, not {path.suffix!r}")
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    plt = pyplot()
    from matplotlib.text import Text

    for text in figure.findobj(Text):  # names are drawn as written: no mathtext, no raw control characters
        text.set_parse_math(False)
        text.set_text(visible(text.get_text(), keep="\n"))
    try:
        figure.savefig(path, format=fmt, metadata=metadata, dpi=200 if fmt == "png" else 72,
                       facecolor="white")
    finally:
        plt.close(figure)
    return path
