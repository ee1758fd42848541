"""Schemathesis against the live schema (/api/schema/), in-process through WSGI, signed in as department
staff on demo-like data: no server errors, and status codes, content types and bodies as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from povreg.wsgi import application
from surveys.demo import build_demo
from tests.test_api_support import _fresh_throttle_cache  # noqa: F401

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# The live schema, fetched through the WSGI app at collection (serving it needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """Demo-like data built once for the module inside an outer transaction that is rolled back at the end;
    each test's own transaction nests inside it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            build_demo(households_per_commune=2)
            user = get_user_model().objects.get(username="department")
            from core.tokens import token_issue

            yield token_issue(user=user)[1]
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def department_token(demo_data, db):
    # Django's test client does this too: calls run inside the test's transaction, so a finished
    # request must not close the connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield demo_data
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_api_conforms_to_its_schema(case, department_token):
    case.call_and_validate(headers={"Authorization": f"Token {department_token}"}, checks=CHECKS)
