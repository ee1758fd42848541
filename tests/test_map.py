"""The poverty map on the rates page (issue 14 item 2): one circle per commune at its point from the
vietnamadminunits package, in either unit structure, linking to the commune's report, drawn as inline SVG with
nothing loaded from another host, and a page whose query count does not grow with the communes."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import AdminUnit, Level, Role, Structure
from surveys.models import CriteriaSet
from surveys.reports import maps
from surveys.rounds import round_create
from tests.factories import approved_list, assess, make_household, make_user

THREE = ["HEALTH_INSURANCE", "WATER", "LATRINE"]
CIRCLE = re.compile(
    r'<a href="(?P<href>[^"]*)" data-commune="(?P<code>\d+)" data-x="(?P<x>[\d.]+)" data-y="(?P<y>[\d.]+)"(?P<rest>[^>]*)>\s*<title>(?P<title>[^<]*)</title>'
)


def svg_of(html: str, kind: str = "poor") -> str:
    start = html.index(f'data-map-svg="{kind}"')
    return html[html.rindex("<svg", 0, start) : html.index("</svg>", start) + 6]


def circles(svg: str) -> dict[str, dict]:
    found = {}
    for m in CIRCLE.finditer(svg):
        found[m["code"]] = {
            "href": m["href"].replace("&amp;", "&"),
            "x": float(m["x"]),
            "y": float(m["y"]),
            "r": float(re.search(r'data-r="([\d.]+)"', m["rest"])[1]),
            "rate": (re.search(r'data-rate="([\d.]+)"', m["rest"]) or [None, None])[1],
            "hollow": "data-hollow" in m["rest"],
            "outside": "data-outside" in m["rest"],
            "title": m["title"],
        }
    return found


@pytest.fixture
def approved(round_2024, commune_a, commune_b, officer_a, officer_b):
    """Commune A (Phú Cường, Thủ Dầu Một) with two poor households of 40; commune B (Trừ Văn Thố, Bàu Bàng, further
    north) with one of 25. No other commune has an approved list."""
    for n in range(3):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_500_000 if n < 2 else 9_000_000, THREE)
    assess(officer_b, make_household(officer_b, commune_b), round_2024, 1_000_000, THREE)
    approved_list(round_2024, commune_a, total_households=40, poor=2)
    approved_list(round_2024, commune_b, total_households=25, poor=1)


def test_the_map_has_a_circle_per_commune_at_its_place_linking_to_its_report(
    client, approved, department, province, commune_a, commune_b
):
    client.force_login(department)
    response = client.get("/reports/rates/", {"round": "BD-2024"})
    assert response.status_code == 200
    html = response.content.decode()
    svg = svg_of(html)
    drawn = circles(svg)
    communes = set(AdminUnit.objects.filter(parent__parent=province, level=Level.COMMUNE).values_list("code", flat=True))
    assert set(drawn) == communes  # every commune has a point; those without numbers are hollow
    assert {code for code, c in drawn.items() if not c["hollow"]} == {commune_a.code, commune_b.code}
    a, b = drawn[commune_a.code], drawn[commune_b.code]
    assert b["y"] < a["y"] and b["x"] < a["x"]  # Trừ Văn Thố lies north-west of Phú Cường
    link = parse_qs(a["href"].lstrip("?"))
    assert (link["round"], link["unit"], link["status"]) == (["BD-2024"], [commune_a.code], ["approved"])
    assert commune_a.code in a["title"] and "40" in a["title"] and a["rate"] == "5.00"  # households, rate 2/40
    # Circle areas follow the poor counts: A (2) is larger than B (1).
    assert a["r"] > b["r"]
    # Inline SVG only: nothing from another host (not even an xmlns URL), the coverage note, both kinds.
    assert "http://" not in svg and "https://" not in svg
    assert 'data-map-svg="near_poor"' in html and 'data-coverage="2/91"' in html
    assert "<script" not in svg and "<image" not in svg
    # The commune's own report opens from the link.
    assert client.get("/reports/rates/" + a["href"]).context["report"].rows[0].unit_code == commune_a.code


def test_the_map_keeps_the_rates_page_queries_constant(client, approved, department, round_2024, province, officer_a):
    client.force_login(department)
    client.get("/reports/rates/", {"round": "BD-2024"})
    with CaptureQueriesContext(connection) as before:
        client.get("/reports/rates/", {"round": "BD-2024"})
    others = AdminUnit.objects.filter(parent__parent=province, level=Level.COMMUNE).order_by("-code")[:3]
    for commune in others:
        approved_list(round_2024, commune, total_households=12, poor=1)
    with CaptureQueriesContext(connection) as after:
        html = client.get("/reports/rates/", {"round": "BD-2024"}).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries) <= 40
    assert sum(1 for c in circles(svg_of(html)).values() if not c["hollow"]) == 5


def test_a_2025_round_is_drawn_in_the_2025_communes(client, province, department):
    """HCM-2026: the former Binh Duong communes at their 2025 points, north of Saigon's wards; Côn Đảo apart."""
    from households.units import load_2025

    city = load_2025("74").province
    assert city.code == "79" and city.structure == Structure.Y2025
    thu_dau_mot = AdminUnit.objects.get(structure=Structure.Y2025, code="25747")  # Phường Thủ Dầu Một (2025)
    ben_thanh = AdminUnit.objects.get(structure=Structure.Y2025, code="26743")  # Phường Bến Thành
    hcm = round_create(
        actor=None, code="HCM-2026", year=2026, criteria_set=CriteriaSet.objects.get(code="VN-2022"), province=city
    )
    for commune in (thu_dau_mot, ben_thanh):
        officer = make_user(f"officer-{commune.code}", Role.COMMUNE_OFFICER, commune)
        assess(officer, make_household(officer, commune), hcm, 1_500_000, THREE)
        approved_list(hcm, commune, total_households=20, poor=1)
    staff = make_user("staff79", Role.DEPARTMENT_STAFF, city)
    client.force_login(staff)
    drawn = circles(svg_of(client.get("/reports/rates/", {"round": "HCM-2026"}).content.decode()))
    assert len(drawn) == AdminUnit.objects.filter(parent=city, level=Level.COMMUNE).count()
    tdm, bt = drawn["25747"], drawn["26743"]
    assert not tdm["hollow"] and not bt["hollow"] and tdm["y"] < bt["y"]
    assert drawn["26732"]["outside"]  # Đặc khu Côn Đảo, 180 km out at sea: drawn apart, named
    # The same code names another commune in the legacy structure: each structure has its own points.
    assert maps.commune_points("2025")["25747"] != maps.commune_points("legacy")["25747"]


def test_points_cover_both_structures_and_the_island_districts():
    legacy, new = maps.commune_points("legacy"), maps.commune_points("2025")
    assert len(new) == 3321 and len(legacy) >= 10_035
    assert "755" in legacy  # Huyện Côn Đảo: an island district loaded as its own commune-level unit
    lat, lon = legacy["25816"]
    assert 8 < lat < 24 and 102 < lon < 110
    with pytest.raises(ValueError):
        maps.commune_points("1990")


def test_colour_classes_are_few_nice_and_ordered():
    assert [(low, high) for low, high, _c in maps.colour_classes(7.5)] == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert [c for *_r, c in maps.colour_classes(7.5)][-1] == maps.PALETTE[-1]
    assert len(maps.colour_classes(0.3)) <= 5 and maps.colour_classes(0) == [(0.0, 0.0, maps.PALETTE[0])]
