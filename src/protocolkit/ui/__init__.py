"""The notebook workbench: ipywidgets over the public library API.

Every widget works on a :class:`~protocolkit.ui.session.Session` (one protocol folder
open in a notebook) and is tested without a browser: set its values, read its state
and the files it writes.

==================  ==========================================================
widget              what it is for
==================  ==========================================================
``SaveBar``         save (atomic, comments kept), undo, reload or overwrite
``PartnersEditor``  partners, partner kinds and data categories, checked as typed
``RulesEditor``     the rule table and a form to edit one rule; live flags
``CaseStepper``     step through a sample case; flip a fact; "why not?"
``ExposureView``    who may receive what at each stage; over- and under-sharing
``DecisionLogEditor`` record what a workshop agreed (``decisions.yaml``)
``PartnerGraph``    who may send what to whom; click a partner or an arrow
``ExportPanel``     write the agreement and the machine-readable rules
``StatusBanner``    review date and signatures, with what to do
``Workbench``       all of them in tabs
==================  ==========================================================

Nothing in :mod:`protocolkit` imports this package; importing it loads ipywidgets.
"""

from __future__ import annotations

from importlib import import_module

_WHERE = {
    "Session": "session", "SaveResult": "session", "EditRefused": "session",
    "SaveBar": "savebar",
    "PartnersEditor": "partners",
    "RulesEditor": "rules",
    "CaseStepper": "stepper",
    "ExposureView": "exposure",
    "DecisionLogEditor": "decision_log",
    "ExportPanel": "export",
    "Workbench": "workbench",
    "StatusBanner": "status_banner",
    "PartnerGraph": "graph",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'protocolkit.ui' has no attribute {name!r}")


__all__ = sorted(_WHERE)
