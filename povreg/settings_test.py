"""Settings for the test suite: the production settings with DEBUG asked for explicitly (it is off by
default, DESIGN.md §2 "failing closed")."""

import os

os.environ.setdefault("DEBUG", "1")

from povreg.settings import *  # noqa: E402,F403
