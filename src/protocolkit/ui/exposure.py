"""Exposure: who may receive each kind of information at each stage, and where sharing misses the need.

The heatmap counts, for each data category and stage, how many partners may receive it
under some facts (from :func:`protocolkit.graph.analysis.exposure_by_stage`): "too much,
too early" shows as dark cells at the left. Below it, over- and under-sharing: in the
sample cases (decisions beyond or short of the recipient's need-to-know profile) and
anywhere in the protocol (permitted flows beyond a profile; needs no rule serves).
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
import pandas as pd

from ..graph.analysis import under_sharing
from ._text import STYLE, ident, named, table
from .session import Session
from .reports import Snapshot

ALL = "__all__"


def _shade(count: int, top: int) -> str:
    if not count:
        return "#ffffff"
    strength = 0.15 + 0.85 * count / max(top, 1)
    return f"rgba(178,24,43,{strength:.2f})"


class ExposureView(Snapshot, widgets.VBox):
    """The stage-by-stage exposure heatmap and the over- and under-sharing found.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui import Session, ExposureView
    >>> view = ExposureView(Session(protocolkit.example_path("mash")))
    >>> list(view.heatmap.columns)[:2]
    ['referral', 'screening']
    """

    def __init__(self, session: Session):
        self.session = session
        self.purpose = widgets.Dropdown(description="Purpose", style={"description_width": "initial"})
        self.heatmap_html = widgets.HTML()
        self.cases_html = widgets.HTML()
        self.protocol_html = widgets.HTML()
        self.heatmap = pd.DataFrame()
        self.over = pd.DataFrame()
        self.over_count = 0
        self.under: pd.DataFrame | None = None
        self._cases_for: tuple | None = None  # the case decisions (and cases) the cases section was written for
        self._heatmap_for: tuple | None = None  # the heatmap (and the names in it) the table was drawn for
        self._set_purposes()
        self.purpose.observe(lambda change: self.refresh(), names="value")
        session.on_change(lambda s, what: self.refresh())
        super().__init__([
            widgets.HTML(STYLE + "<h3>Who may receive what, stage by stage</h3>"
                         "<p>Each cell counts the partners that may receive the information at that stage "
                         "under some set of facts. Dark cells early on are the \u201ctoo much, too early\u201d "
                         "the partnership wants to avoid.</p>"),
            self.purpose, self.heatmap_html,
            widgets.HTML("<h3>In the sample cases</h3>"), self.cases_html,
            widgets.HTML("<h3>Anywhere in the protocol</h3>"), self.protocol_html])
        self.add_class("pk-exposure")
        self.refresh()

    def _set_purposes(self) -> None:
        v = self.session.vocabulary
        used = sorted({p for r in self.session.protocol.rules if r.purposes != "any" for p in r.purposes})
        self.purpose.options = [("Every purpose", ALL)] + [(v.label("purposes", p), p) for p in used]

    def refresh(self) -> None:
        """Recompute every table for the protocol as it is now.

        The heatmap and over-sharing come from the session's permitted flows, which after a
        rule edit are recomputed only where the rule can decide; the needs no rule serves are
        checked after the other views have updated ("checking" until then).
        """
        s = self.session
        purpose = None if self.purpose.value in (None, ALL) else self.purpose.value
        parts = s.flow_parts()
        self.heatmap = parts.exposure(purpose)
        self.over_count, self.over = parts.over_sharing(purpose)
        self.under = None
        drawn, h = self._heatmap_for, self.heatmap
        names = tuple(s.label("stages", c) for c in h.columns) + tuple(s.label("categories", c) for c in h.index)
        if drawn is None or drawn[1] != names or not drawn[0].equals(h):
            self._heatmap_for = (h, names, self._heatmap_html())  # most edits leave it as it was
        self.heatmap_html.value = self._heatmap_for[2]
        self.cases_html.value = self._cases_html()
        self.protocol_html.value = self._protocol_html()

        def needs_not_served(protocol):
            under = under_sharing(protocol, parts.served(purpose))
            return under[under["purpose"] == purpose] if purpose is not None else under

        s.later(needs_not_served, self._show_under, self._failed)

    def _show_under(self, under: pd.DataFrame) -> None:
        self.under = under
        self.protocol_html.value = self._protocol_html()

    def _failed(self, exc: Exception) -> None:
        self.protocol_html.value = self._protocol_html() + (
            f"<p class='pk-flag-error'>Could not check which needs no rule meets: {escape(str(exc))}</p>")

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the checks still running (the needs no rule serves)."""
        self.session.wait(timeout)

    def _heatmap_html(self) -> str:
        s, h = self.session, self.heatmap
        if h.empty:
            return "<p>Nothing may be shared at any stage.</p>"
        top = int(h.to_numpy().max())
        head = "".join(f"<th>{escape(s.label('stages', c))}</th>" for c in h.columns)
        body = []
        for category, row in h.iterrows():
            cells = "".join(f"<td style='background:{_shade(int(n), top)};text-align:center !important;"
                            f"color:{'#fff' if n > top / 2 else '#000'}'>{int(n) or ''}</td>" for n in row)
            body.append(f"<tr><th>{named(s.label('categories', category), category)}</th>{cells}</tr>")
        return (f"<div style='max-height:480px;overflow:auto'><table class='pk-table'><thead><tr><th>Information</th>"
                f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")

    def _cases_html(self) -> str:
        s = self.session
        if not s.cases:
            return "<p class='pk-muted'>No sample cases.</p>"
        results = s.case_results()
        # An edit that changes no case decision keeps the decisions table: the section stands as written.
        written = self._cases_for
        if written is not None and written[0] is results.decisions and written[1] is s.cases:
            return written[2]
        text = self._cases_text(results)
        self._cases_for = (results.decisions, s.cases, text)
        return text

    def _cases_text(self, results) -> str:
        s = self.session
        by_stage = results.sharing_by_stage()
        rows = [[escape(s.label("stages", stage)), r.requested, r.shared, r.over_shared, r.under_shared, r.gaps]
                for stage, r in by_stage.iterrows()]
        parts = [table(["Stage", "Asked for", "Shared", "Beyond need to know", "Needed but withheld", "Gaps"],
                       rows, raw=True)]
        for title, frame in (("Shared beyond what the recipient needs to know", results.over_sharing),
                             ("Needed but not shared", results.under_sharing),
                             ("Not covered by any rule", results.gaps)):
            if len(frame):
                first = frame.head(15)
                titles = {case.id: case.title for case in s.cases}
                items = "".join(
                    f"<li>{escape(titles[case])}: {escape(s.label('partners', sender))} to "
                    f"{escape(s.label('partners', recipient))}, {escape(s.label('categories', category))} at "
                    f"{escape(s.label('stages', stage))} {ident(str(step))}</li>"
                    for case, sender, recipient, category, stage, step in zip(
                        *(first[column].tolist() for column in ("case", "from", "to", "category", "stage", "step"))))
                more = f"<li class='pk-muted'>and {len(frame) - 15} more</li>" if len(frame) > 15 else ""
                parts.append(f"<p><b>{title}</b> ({len(frame)})</p><ul>{items}{more}</ul>")
        return "".join(parts)

    def _protocol_html(self) -> str:
        s = self.session
        parts = []
        if self.over_count:
            pairs = self.over
            items = "".join(
                f"<li>{escape(s.label('partners', r['from']))} may send {escape(s.label('partners', r['to']))} "
                f"{escape(s.label('categories', r['category']))} at {escape(s.label('stages', r['stage']))}, "
                f"beyond its need to know {ident('rule ' + str(r['rule']))}</li>" for r in pairs.to_dict("records"))
            parts.append(f"<p><b>Permitted beyond need to know</b> ({self.over_count} flows)</p><ul>{items}</ul>")
        else:
            parts.append("<p>No permitted flow goes beyond a recipient's need-to-know profile.</p>")
        if self.under is None:
            parts.append("<p class='pk-checking'>Checking which needs no rule meets&hellip;</p>")
        elif len(self.under):
            items = "".join(
                f"<li>{escape(s.label('partners', r['recipient']))} needs {escape(s.label('categories', r['category']))} "
                f"at {escape(s.label('stages', r['stage']))} for {escape(s.label('purposes', r['purpose']))}, "
                f"and no rule lets it reach them {ident(r['profile'])}</li>" for r in self.under.head(20).to_dict("records"))
            more = f"<li class='pk-muted'>and {len(self.under) - 20} more</li>" if len(self.under) > 20 else ""
            parts.append(f"<p><b>Needs that no rule meets</b> ({len(self.under)})</p><ul>{items}{more}</ul>")
        else:
            parts.append("<p>Every need in the need-to-know profiles is served by some rule.</p>")
        return "".join(parts)


__all__ = ["ExposureView"]
