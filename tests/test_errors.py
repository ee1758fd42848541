"""Bad input to HTML pages answers 400 naming the parameter, never a 500; 403/404 pages are the app's own."""

import pytest

from tests.factories import make_household

pytestmark = pytest.mark.django_db


def test_bad_filter_on_an_export_is_a_400_naming_the_parameter(client, department, round_2024):
    client.force_login(department)
    client.cookies["django_language"] = "en"
    response = client.get("/reports/households.xlsx", {"round": round_2024.code, "category": "bogus"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "category" in body and "bogus" in body


def test_404_page_reveals_nothing_and_is_vietnamese_by_default(client, officer_a, officer_b, commune_a):
    household = make_household(officer_a, commune_a)
    client.force_login(officer_b)
    response = client.get(f"/households/{household.code}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert household.head_name not in body and '<html lang="vi"' in body


def test_403_page_says_why(client, officer_a, district_officer, commune_a):
    household = make_household(officer_a, commune_a)
    client.force_login(district_officer)
    client.cookies["django_language"] = "en"
    response = client.get(f"/households/{household.code}/edit/")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_paths_answer_json_404_in_the_error_format(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_a_server_error_is_our_own_vietnamese_page_or_json_under_the_api(client, settings, officer_a):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_boom"
    client.raise_request_exception = False
    client.force_login(officer_a)
    page = client.get("/boom/")
    html = page.content.decode()
    assert page.status_code == 500 and '<html lang="vi">' in html
    assert "Máy chủ gặp lỗi" in html and "Server Error" not in html and "Traceback" not in html
    api = client.get("/api/v1/boom/")
    assert api.status_code == 500 and api.json()["errors"][0]["code"] == "server_error"
