import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_web_ui_is_vietnamese_whatever_the_browser_language(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "vi"
    assert '<html lang="vi"' in response.content.decode()


def test_chosen_language_sticks(client):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="vi")
    assert response.headers["Content-Language"] == "en"


def test_api_honours_accept_language(client, officer_a):
    client.force_login(officer_a)
    body = {
        "criteria_set": "VN-2022",
        "area": "rural",
        "income_per_capita": 1_000_000,
        "deprived": [],
        "members": [{"able_to_work": True}],
    }
    en = client.post("/api/v1/classify/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en").json()
    vi = client.post("/api/v1/classify/", body, content_type="application/json").json()
    assert en["explanation"].startswith("Criteria VN-2022") and vi["explanation"].startswith("Bộ tiêu chí VN-2022")
