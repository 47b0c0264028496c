"""``python -m evals``: the same as ``rag eval`` (see :mod:`evals.run`)."""

from __future__ import annotations

import sys

from evals.run import main

sys.exit(main())
