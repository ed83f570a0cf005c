"""Workshop mode: the workshop page served by Voila for a room of partners, offline.

:mod:`protocolkit.workshop.page` builds the page (the notebook calls it);
:mod:`protocolkit.workshop.server` serves it. This package's ``jupyter/`` folder holds
the offline Voila template, found through ``JUPYTER_PATH``. Importing this package
imports nothing of Jupyter.
"""
