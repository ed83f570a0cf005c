"""The agreement as documents: Word (DOCX), one self-contained HTML page, Markdown, and per-partner cards.

One content template (``templates/agreement.j2``) says what the agreement says, as
blocks; :mod:`.markdown`, :mod:`.html` and :mod:`.docx` render the same blocks, so the
three documents never disagree. The text comes from the model and the engine
(:mod:`.context`); where the protocol is silent on a heading, the document says
"not yet agreed". Writers are registered in :mod:`protocolkit.export.formats`.
"""
