"""Test-suite set-up: shared helper modules in tests/ are importable from every test folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# conftest files configure the suite; they hold no doctests to collect (and share one basename)
collect_ignore_glob = ["conftest.py", "*/conftest.py"]
