"""The API helpers moved to tests/factories.py (`client_for`, `assert_error`); the autouse cache clearing is
tests/conftest.py's `_empty_cache`. Kept only so a module still importing from here keeps working: import
from tests.factories instead."""

from tests.factories import assert_error, client_for  # noqa: F401
