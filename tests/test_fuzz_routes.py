"""Bad input never becomes a 500: every route of Povreg (from Django's URL resolver; the Django admin and the
API docs pages excepted), with hostile path values and parameters, as department staff and anonymously.

Path values: a non-numeric id, a NUL byte, an over-long code, a non-existent code. Parameters: non-numeric
ids, out-of-range pages, unknown filter values, out-of-range dates, numbers beyond the integer columns.
Bodies: JSON nested beyond the depth limit, numbers beyond bigint, over-long text."""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from households.models import Role
from tests.factories import assess, make_household, make_user

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("admin/", "api/docs/", "api/redoc/", "i18n/", "jsi18n/", "static/")
PATH_VALUES = ["abc", "0", "x" * 300, "A-FUZZ", "BD-2024", "25747", "1"]
BAD_QUERY = {
    "commune": "abc",
    "page": "0",
    "page_size": "-5",
    "round": "x" * 300,
    "unit": "ÿ" * 20,
    "decimals": "99",
    "status": "zzz",
    "held_on": "0001-01-01",
    "q": "'\";--",
    "category": "nope",
    "revision": "-1",
    "structure": "9",
    "level": "galaxy",
    "kind": "rich",
    "hamlet": "abc",
    "assessed": "maybe",
    "district": "x" * 100,
    "lang": "xx",
    "draft": "x" * 100,
    "format": "exe",
    "id": "9" * 30,
}
DEEP = "[" * 5000 + "]" * 5000
HUGE_BODY = {
    "income_per_capita": 10**30,
    "version": 10**30,
    "code": "x" * 500,
    "head_name": "x" * 5000,
    "attendees": 10**20,
    "held_on": "0001-01-01",
    "starts_on": "9999-99-99",
    "members": [{"full_name": "x", "sex": "M", "birth_year": 1980}] * 100,
    "round": "BD-2024",
    "commune": "25747",
    "deprived": ["x" * 100] * 50,
    "username": "x" * 1000,
    "password": "y",
}


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(pattern: str, value: str) -> str | None:
    """A path for the pattern with every parameter set to `value` (regex patterns: their first alternative)."""
    import re

    path = re.sub(r"<(?:\w+:)?\w+>", value, pattern)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<\w+>([^)|]+)[^)]*\)", r"\1", path)
    path = re.sub(r"\(([^)|]+)[^)]*\)", r"\1", path)
    if any(c in path for c in "()[]*+?\\"):
        return None
    return "/" + path


@pytest.fixture
def world(officer_a, commune_a, round_2024, department):
    household = make_household(officer_a, commune_a, code="A-FUZZ")
    assess(officer_a, household, round_2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    return department


def test_every_route_answers_bad_input_without_a_server_error(client, world, province):
    paths = sorted(
        {
            p
            for pattern in _routes()
            if not pattern.startswith(SKIP_PREFIXES)
            for value in PATH_VALUES
            if (p := _concrete(pattern, value))
        }
    )
    assert len(paths) > 80, len(paths)
    failures = []
    staff = make_user("fuzz_staff", Role.DEPARTMENT_STAFF, province, is_staff=True)
    for persona in ("anonymous", "department"):
        client.logout()
        if persona == "department":
            client.force_login(staff)
        for path in paths:
            attempts = [
                ("GET", path, BAD_QUERY, None),
                ("GET", path + "?x=%00", None, None),
                ("POST", path, HUGE_BODY, "application/json"),
                ("POST", path, DEEP, "application/json"),
                ("POST", path, {k: str(v) for k, v in HUGE_BODY.items() if not isinstance(v, list)}, None),
            ]
            for method, url, data, content_type in attempts:
                if method == "GET":
                    response = client.get(url, data)
                elif content_type:
                    body = data if isinstance(data, str) else json.dumps(data)
                    response = client.post(url, body, content_type=content_type)
                else:
                    response = client.post(url, data)
                if response.status_code >= 500:
                    failures.append((persona, method, url[:80], content_type, response.status_code))
    assert failures == []
