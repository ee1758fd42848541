"""Failing closed (issue 11, in part): login lockout shared by all workers and blind to forged proxy headers,
settings that refuse to start insecurely, server-made request ids, live numbers only for the province's staff."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from households.models import AdminUnit, Role, Structure
from households.units import load_legacy
from surveys.models import CriteriaSet
from surveys.rounds import round_create
from tests.factories import client_for, make_user

ROOT = Path(__file__).resolve().parent.parent
LIMIT = settings.AXES_FAILURE_LIMIT


def _forged(i: int) -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i % 250}", "REMOTE_ADDR": "198.51.100.7"}


@pytest.mark.django_db
def test_token_logins_lock_out_after_the_limit_whatever_x_forwarded_for_says(province):
    make_user("reader", Role.API_READER, province)
    client = client_for()
    answers = [
        client.post("/api/v1/auth/token/", {"username": "reader", "password": "wrong"}, format="json", **_forged(i)).status_code
        for i in range(LIMIT + 5)
    ]
    assert answers[: LIMIT - 1] == [400] * (LIMIT - 1) and set(answers[LIMIT:]) == {429}
    # Locked: even the right password is refused, from yet another forged address.
    right = client.post("/api/v1/auth/token/", {"username": "reader", "password": "pw-reader"}, format="json", **_forged(99))
    assert right.status_code == 429 and set(right.json()) == {"errors"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_web_and_admin_logins_lock_out_the_account(client, province, url):
    make_user("dept", Role.DEPARTMENT_STAFF, province, is_staff=True)
    statuses = [client.post(url, {"username": "dept", "password": "nope"}, **_forged(i)).status_code for i in range(LIMIT + 2)]
    assert statuses[0] == 200 and statuses[-1] == 429
    locked = client.post(url, {"username": "dept", "password": "pw-dept"}, **_forged(200))
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    # Another account from the same (real) address is locked too: the address itself is over the limit.
    make_user("other", Role.DEPARTMENT_STAFF, province, is_staff=True)
    assert client.post(url, {"username": "other", "password": "pw-other"}, REMOTE_ADDR="198.51.100.7").status_code == 429


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(client, province):
    make_user("officer", Role.COMMUNE_OFFICER, province)
    for _ in range(LIMIT - 1):
        assert client.post("/accounts/login/", {"username": "officer", "password": "x"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "officer", "password": "pw-officer"}).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert client.post("/accounts/login/", {"username": "officer", "password": "x"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "officer", "password": "pw-officer"}).status_code == 302


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60)


SERVE = ["-c", "import povreg.wsgi"]  # what gunicorn and runserver load first
STRONG = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"


def test_settings_fail_closed():
    # Nothing set: DEBUG is off, and without a secret a server does not start, with a clear message.
    debug = _run(
        ["-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        {"DJANGO_SETTINGS_MODULE": "povreg.settings"},
    )
    assert debug.stdout.strip() == "False", debug.stderr
    for env in ({}, {"SECRET_KEY": "django-insecure-" + "x" * 60}):
        refused = _run(SERVE, env)
        assert refused.returncode != 0 and "SECRET_KEY is missing or weak" in refused.stderr, env
    deploy = _run(["manage.py", "check", "--deploy"], {"SECRET_KEY": "secret"})
    assert deploy.returncode != 0 and "povreg.E001" in deploy.stderr
    assert _run(SERVE, {"SECRET_KEY": STRONG}).returncode == 0
    # The commands other programs call (DESIGN.md §3) still run on a fresh machine.
    assert _run(["manage.py", "check"], {}).returncode == 0
    production = {"SECRET_KEY": STRONG, "HTTPS": "1", "ALLOWED_HOSTS": "povreg.example.gov.vn"}
    clean_deploy = _run(["manage.py", "check", "--deploy"], production)
    assert clean_deploy.returncode == 0 and "WARNINGS" not in clean_deploy.stderr, clean_deploy.stderr


@pytest.mark.django_db
def test_request_ids_are_made_by_the_server(client, province):
    make_user("officer", Role.COMMUNE_OFFICER, province)
    junk = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert junk["X-Request-Id"] != "<script>alert(1)</script>" and len(junk["X-Request-Id"]) == 32
    kept = client.get("/accounts/login/", HTTP_X_REQUEST_ID="proxy-0c5e1a2b3c4d")
    assert kept["X-Request-Id"] == "proxy-0c5e1a2b3c4d"
    # Audit events read the id the middleware kept (core.middleware.current_request_id).
    from core.audit import audit
    from core.middleware import REQUEST_ID_PATTERN

    assert not REQUEST_ID_PATTERN.fullmatch("x" * 500) and not REQUEST_ID_PATTERN.fullmatch("abc def 123")
    event = audit(actor=None, action="adminunit.updated", target=province)
    assert event.request_id == ""  # outside a request there is no id, never a client's


@pytest.mark.django_db
def test_live_numbers_are_only_for_the_provinces_own_staff(client, province, department):
    load_legacy("75")
    other = make_user("dept75", Role.DEPARTMENT_STAFF, AdminUnit.objects.get(structure=Structure.LEGACY, code="75"))
    round_create(
        actor=department, code="BD-2024", year=2024, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=province
    )
    live = {"round": "BD-2024", "status": "all"}
    pages = [
        "/reports/rates/",
        "/reports/flows/",
        "/reports/deprivation/",
        "/reports/rates.xlsx",
        "/reports/rates.csv",
        "/reports/flows.xlsx",
        "/reports/deprivation.xlsx",
    ]
    client.force_login(other)
    for url in pages:
        assert client.get(url, live).status_code == 403, url
        assert client.get(url, {"round": "BD-2024"}).status_code == 200, url  # approved numbers are for every role
    api = client_for(other).get("/api/v1/rates/", {**live, "unit": "74", "level": "province"})
    assert api.status_code == 403
    client.force_login(department)
    for url in pages:
        assert client.get(url, live).status_code == 200, url


@pytest.mark.django_db
def test_personal_data_is_never_cached(client, province):
    officer = make_user("officer", Role.COMMUNE_OFFICER, province)
    client.force_login(officer)
    for url in ("/", "/households/", "/reports/rates/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
    assert "no-store" in client.get("/api/v1/households/")["Cache-Control"]  # session
    from core.tokens import token_issue

    token = token_issue(user=officer)[1]
    client.logout()
    assert "no-store" in client.get("/api/v1/households/", HTTP_AUTHORIZATION=f"Token {token}")["Cache-Control"]


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client, department, officer_a, round_2024):
    import re

    client.force_login(department)
    for url in ("/", "/households/", "/reports/rates/", "/lists/", "/units/rehome/", "/accounts/login/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], url
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", response.content.decode())
        assert scripts == [], (url, scripts)
        assert not re.search(r"\son[a-z]+=\"", response.content.decode()), url  # no inline event handlers


def test_password_reset_is_not_offered_without_a_mail_server(client):
    assert not settings.EMAIL_CONFIGURED
    assert client.get("/accounts/password_reset/").status_code == 404
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_sessions_end_when_idle_and_at_browser_close(client, province):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(make_user("officer", Role.COMMUNE_OFFICER, province))
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE == 8 * 3600
    client.get("/")
    session = Session.objects.get()
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 60 < remaining <= 8 * 3600
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))  # idle past the limit
    assert client.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_personal_data_access_is_logged_once_per_user_household_day_and_channel(
    client, officer_a, department, commune_a, round_2024, django_assert_max_num_queries
):
    from core.models import PersonalDataAccess
    from tests.factories import assess, make_household

    household = make_household(officer_a, commune_a, code="ACC-1")
    other = make_household(officer_a, commune_a, code="ACC-2")
    assess(officer_a, household, round_2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    client.force_login(officer_a)
    for _ in range(3):
        assert client.get("/households/ACC-1/").status_code == 200
    client.get("/households/")
    client_for(officer_a).get("/api/v1/households/ACC-1/")
    client_for(officer_a).get(f"/api/v1/assessments/{round_2024.code}/ACC-1/")
    rows = set(PersonalDataAccess.objects.values_list("user__username", "household__code", "channel"))
    assert rows == {("officer_a", "ACC-1", "page"), ("officer_a", "ACC-2", "page"), ("officer_a", "ACC-1", "api")}
    # ACC-2 was on the register page the officer opened, so it counts as seen. The officer cannot read the log.
    assert other.code == "ACC-2"
    assert 'data-table="accesses"' not in client.get("/households/ACC-1/").content.decode()
    client.force_login(department)
    page = client.get("/households/ACC-1/").content.decode()
    assert 'data-table="accesses"' in page and "officer_a" in page.split('data-table="accesses"')[1]


@pytest.mark.django_db
def test_tokens_are_hashed_expire_carry_a_scope_and_can_be_revoked(province, settings):
    from django.utils import timezone

    from core.models import ApiToken

    user = make_user("dept", Role.DEPARTMENT_STAFF, province)
    anonymous = client_for()
    body = anonymous.post("/api/v1/auth/token/", {"username": "dept", "password": "pw-dept"}, format="json").json()
    key = body["token"]
    stored = ApiToken.objects.get(user=user)
    assert key not in (stored.key_hash, stored.prefix) and stored.prefix == key[:8] and len(stored.key_hash) == 64
    assert body["scope"] == "write" and stored.expires_at > timezone.now() + timezone.timedelta(days=89)
    second = anonymous.post("/api/v1/auth/token/", {"username": "dept", "password": "pw-dept"}, format="json").json()["token"]
    assert second != key  # a new token every time

    def call(token, url="/api/v1/households/", method="get"):
        client = client_for()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return getattr(client, method)(url)

    assert call(key).status_code == 200
    listed = call(key, "/api/v1/auth/tokens/").json()
    assert sorted(t["prefix"] for t in listed) == sorted([key[:8], second[:8]]) and "token" not in listed[0]
    # Revoked by its owner: refused at once; the other token still works.
    assert call(key, f"/api/v1/auth/tokens/{key[:8]}/", "delete").status_code == 204
    assert call(key).status_code == 401 and call(second).status_code == 200
    # Expired: refused.
    ApiToken.objects.filter(prefix=second[:8]).update(expires_at=timezone.now())
    assert call(second).status_code == 401
    # A password change voids every token of the user.
    third = anonymous.post("/api/v1/auth/token/", {"username": "dept", "password": "pw-dept"}, format="json").json()["token"]
    assert call(third).status_code == 200
    user.set_password("a-new-long-password-2026")
    user.save()
    assert call(third).status_code == 401
    # Scopes: aggregates only reads numbers; read never writes.
    numbers = anonymous.post(
        "/api/v1/auth/token/", {"username": "dept", "password": "a-new-long-password-2026", "scope": "aggregates"}, format="json"
    ).json()["token"]
    assert call(numbers, "/api/v1/criteria-sets/").status_code == 200 and call(numbers).status_code == 403
    reader = anonymous.post(
        "/api/v1/auth/token/", {"username": "dept", "password": "a-new-long-password-2026", "scope": "read"}, format="json"
    ).json()["token"]
    assert call(reader).status_code == 200
    assert call(reader, "/api/v1/households/", "post").status_code == 403
    bad = anonymous.post(
        "/api/v1/auth/token/", {"username": "dept", "password": "a-new-long-password-2026", "scope": "god"}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.django_db
def test_department_staff_sign_in_with_a_second_factor_when_required(client, province, settings):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.POVREG_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a wrong code; not what this test is about
    make_user("dept", Role.DEPARTMENT_STAFF, province)
    make_user("officer", Role.COMMUNE_OFFICER, province)

    # An officer is not asked.
    assert client.post("/accounts/login/", {"username": "officer", "password": "pw-officer"}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    # Department staff: after the password, every page leads to the second factor, first to its set-up.
    client.post("/accounts/login/", {"username": "dept", "password": "pw-dept"})
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    setup = client.get(response["Location"])
    assert setup.status_code == 200 and "<svg" in setup.content.decode() and 'id="otp-secret"' in setup.content.decode()
    assert client.get("/api/v1/households/").status_code == 403  # the API through the session too
    device = TOTPDevice.objects.get(user__username="dept")
    assert client.post("/accounts/2fa/", {"code": "000000", "next": "/households/"}).status_code == 200  # wrong code
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post("/accounts/2fa/", {"code": f"{code:06d}", "next": "/households/"})["Location"] == "/households/"
    assert client.get("/households/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # A token for such an account needs a current code.
    anonymous = client_for()
    refused = anonymous.post("/api/v1/auth/token/", {"username": "dept", "password": "pw-dept"}, format="json")
    assert refused.status_code == 403
    device.refresh_from_db()
    device.last_t = -1  # a new time step: the code may be used again in this test
    device.save()
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    ok = anonymous.post("/api/v1/auth/token/", {"username": "dept", "password": "pw-dept", "otp": f"{code:06d}"}, format="json")
    assert ok.status_code == 200 and "token" in ok.json()


@pytest.mark.django_db
def test_department_staff_can_edit_a_draft_standard_in_the_admin(client, province, department, officer_a):
    from surveys.models import CriteriaSet
    from surveys.reports.simulation import criteria_set_copy_as_draft

    department.is_staff = True
    department.save()
    draft = criteria_set_copy_as_draft(actor=department, source=CriteriaSet.objects.get(code="VN-2022"), code="DRAFT-1")
    client.force_login(department)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/surveys/criteriaset/").status_code == 200
    assert client.get(f"/admin/surveys/criteriaset/{draft.pk}/change/").status_code == 200
    assert client.get("/admin/households/assignment/").status_code == 403  # users and roles: administrators only
    assert client.get("/admin/core/auditevent/").status_code == 403
    officer_a.is_staff = True  # even marked staff, an officer gets nothing in the admin
    officer_a.save()
    client.force_login(officer_a)
    assert client.get("/admin/surveys/criteriaset/").status_code == 403
