"""The whole workbench in one widget: the save bar above tabs for each part of the work."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets

from .session import Session
from .reports import Snapshot


class Workbench(Snapshot, widgets.VBox):
    """Every workbench widget on one session, in tabs.

    Parameters
    ----------
    protocol : str, Path or Session
        A protocol folder, or a session already open.
    """

    def __init__(self, protocol: str | Path | Session):
        from .decision_log import DecisionLogEditor
        from .exposure import ExposureView
        from .partners import PartnersEditor
        from .rules import RulesEditor
        from .savebar import SaveBar
        from .stepper import CaseStepper

        self.session = protocol if isinstance(protocol, Session) else Session(protocol)
        self.savebar = SaveBar(self.session)
        from .status_banner import StatusBanner

        self.banner = StatusBanner(self.session)
        from .graph import PartnerGraph

        self.parts = {"Partners and data": PartnersEditor(self.session), "Rules": RulesEditor(self.session),
                      "Partner graph": PartnerGraph(self.session)}
        if self.session.cases:
            self.parts["Cases"] = CaseStepper(self.session)
        self.parts["Exposure"] = ExposureView(self.session)
        self.parts["Decision log"] = DecisionLogEditor(self.session)
        try:
            from .export import ExportPanel
        except ImportError:  # the export package has not been built in this copy
            pass
        else:
            self.parts["Export"] = ExportPanel(self.session)
        self.tabs = widgets.Tab(list(self.parts.values()))
        for i, title in enumerate(self.parts):
            self.tabs.set_title(i, title)
        super().__init__([self.banner, self.savebar, self.tabs])
        self.add_class("pk-workbench")


__all__ = ["Workbench"]
