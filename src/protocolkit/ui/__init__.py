"""The notebook workbench: ipywidgets built on the public library API.

Import the widget modules directly (``from protocolkit.ui.graph import PartnerGraph``);
this package imports nothing of Jupyter itself, so ``import protocolkit`` stays light.
"""
