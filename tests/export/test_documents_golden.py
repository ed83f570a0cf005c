"""Golden files: the small fixture's agreement as Markdown and HTML must match the stored files.

Regenerate after an intended change to the templates or the renderers with::

    PROTOCOLKIT_REGENERATE_GOLDEN=1 PYTHONPATH=src .venv/bin/python -m pytest tests/export/test_documents_golden.py

then read the diff of tests/export/golden/ before committing it. The content hash (and its
short forms) is written as ``<sha256>`` in the golden files: any change to the canonical form
changes it, and the stamp has tests of its own (test_documents_export.py).
"""

from __future__ import annotations

import os
import re

import pytest

import protocolkit
from protocolkit.export.canonical import stamp
from protocolkit.export.documents.html import write_html
from protocolkit.export.documents.markdown import write_markdown

from documents_support import GOLDEN, SMALL, TODAY

WRITERS = {"md": write_markdown, "html": write_html}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_agreement_matches_golden_file(fmt, tmp_path):
    protocol = protocolkit.load(SMALL)
    (path,) = WRITERS[fmt](protocol, tmp_path, today=TODAY, diagrams=False)
    golden = GOLDEN / f"agreement_small.{fmt}"
    sha = stamp(protocol).sha256
    text = re.sub(f"{sha[:12]}[0-9a-f]*", "<sha256>", path.read_text(encoding="utf-8"))
    if os.environ.get("PROTOCOLKIT_REGENERATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{fmt} agreement differs from {golden}; if the change is intended, regenerate (see module docstring)")
