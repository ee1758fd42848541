"""Settings for the test suite: the production settings with DEBUG asked for explicitly (it is off by
default, DESIGN.md §2 "failing closed")."""

import os

os.environ.setdefault("DEBUG", "1")
# Jobs run inside the request that starts them; tests/test_jobs.py runs the real worker.
os.environ.setdefault("POVREG_TASKS_IMMEDIATE", "1")

from povreg.settings import *  # noqa: E402,F403

# The read replica, as Django tests it: a mirror of the test database (core.routers; tests/test_replica.py).
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
