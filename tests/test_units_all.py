"""Every province of both structures loads from the vietnamadminunits package (issue 9, item 7).

Expected numbers are computed from the package's own database, never typed in, except the five island districts
that have no commune-level units in the pre-2025 list and must be loaded as commune-level units of their province.
"""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from households.models import AdminUnit, AreaType, Level, Structure, UnitKind
from households.units import _query, load_2025

# Island districts with no commune-level units before 1 July 2025: (GSO district code, name, province code),
# and the special zone (đặc khu) each became on 1 July 2025: (code, name, 2025 province code).
ISLANDS = {
    "755": ("Huyện Côn Đảo", "77", ("26732", "Đặc khu Côn Đảo", "79")),
    "318": ("Huyện Bạch Long Vĩ", "31", ("11948", "Đặc khu Bạch Long Vĩ", "31")),
    "471": ("Huyện Cồn Cỏ", "45", ("19742", "Đặc khu Cồn Cỏ", "44")),
    "498": ("Huyện Hoàng Sa", "48", ("20333", "Đặc khu Hoàng Sa", "48")),
    "536": ("Huyện Lý Sơn", "51", ("21548", "Đặc khu Lý Sơn", "51")),
}


def _one(sql: str) -> int:
    return next(iter(_query(sql)[0].values()))


def _load(*args) -> str:
    out = io.StringIO()
    call_command("load_units", *args, stdout=out)
    return out.getvalue()


def _units(structure, level=None):
    qs = AdminUnit.objects.filter(structure=structure)
    return qs.filter(level=level) if level else qs


@pytest.mark.django_db
def test_every_province_of_both_structures_loads():
    _load("--all")
    _load("--all", "--structure", "2025")

    # Pre-2025: 63 provinces, the package's districts less the islands, one commune-level unit per ward row plus
    # one per island district.
    provinces = _one("SELECT COUNT(DISTINCT provinceCode) FROM admin_units_legacy")
    districts = _one("SELECT COUNT(DISTINCT districtCode) FROM admin_units_legacy WHERE wardCode IS NOT NULL")
    wards = _one("SELECT COUNT(DISTINCT wardCode) FROM admin_units_legacy")
    islands = _one("SELECT COUNT(DISTINCT districtCode) FROM admin_units_legacy WHERE wardCode IS NULL")
    assert provinces == 63 and islands == len(ISLANDS)
    assert _units(Structure.LEGACY, Level.PROVINCE).count() == provinces
    assert _units(Structure.LEGACY, Level.DISTRICT).count() == districts
    legacy_communes = _units(Structure.LEGACY, Level.COMMUNE)
    assert legacy_communes.count() == wards + islands == _one("SELECT COUNT(*) FROM admin_units_legacy")
    assert 10_000 < legacy_communes.count() < 10_100
    for kind, ward_type in [(UnitKind.WARD, "Phường"), (UnitKind.TOWNSHIP, "Thị trấn"), (UnitKind.COMMUNE, "Xã")]:
        expected = _one(f"SELECT COUNT(*) FROM admin_units_legacy WHERE wardType = '{ward_type}'")
        assert legacy_communes.filter(kind=kind).count() == expected, kind
    assert not legacy_communes.filter(area_type="").exists()
    assert not _units(Structure.LEGACY).exclude(valid_to="2025-06-30").exists()

    # The islands: one commune-level unit each, directly under the province, with the district's code.
    for code, (name, province_code, _) in ISLANDS.items():
        island = legacy_communes.get(code=code)
        assert (island.name, island.kind, island.area_type) == (name, UnitKind.DISTRICT, AreaType.RURAL)
        assert island.parent.code == province_code and island.parent.level == Level.PROVINCE
        assert island in AdminUnit.objects.under(island.parent)
    assert not _units(Structure.LEGACY, Level.DISTRICT).filter(code__in=ISLANDS).exists()
    # Every other commune-level unit sits under a district of its province.
    assert legacy_communes.exclude(code__in=ISLANDS).filter(parent__level=Level.DISTRICT).count() == wards

    # From 1 July 2025: 34 provinces, one commune-level unit per ward row (special zones included).
    assert _units(Structure.Y2025, Level.PROVINCE).count() == _one("SELECT COUNT(DISTINCT provinceCode) FROM admin_units") == 34
    new_communes = _units(Structure.Y2025, Level.COMMUNE)
    assert (
        new_communes.count()
        == _one("SELECT COUNT(DISTINCT wardCode) FROM admin_units")
        == _one("SELECT COUNT(*) FROM admin_units")
    )
    assert new_communes.filter(kind=UnitKind.SPECIAL_ZONE).count() == _one(
        "SELECT COUNT(*) FROM admin_units WHERE wardType = 'Đặc khu'"
    )
    assert not _units(Structure.Y2025, Level.DISTRICT).exists()
    assert not new_communes.exclude(parent__level=Level.PROVINCE).exists()
    assert not _units(Structure.Y2025).exclude(valid_from="2025-07-01").exists()

    # Successors: every pre-2025 commune (islands included) and province has one; every 2025 unit has a predecessor.
    assert not legacy_communes.filter(successors=None).exists()
    assert not _units(Structure.LEGACY, Level.PROVINCE).filter(successors=None).exists()
    assert not new_communes.filter(predecessors=None).exists()
    for code, (_, _, (new_code, new_name, new_province)) in ISLANDS.items():
        zone = legacy_communes.get(code=code).successors.get()
        assert (zone.code, zone.name, zone.kind, zone.parent.code) == (new_code, new_name, UnitKind.SPECIAL_ZONE, new_province)
    assert not AdminUnit.successors.through.objects.exclude(to_adminunit__structure=Structure.Y2025).exists()

    # A second load creates, changes and links nothing, and writes no audit event.
    units = AdminUnit.objects.count()
    links = AdminUnit.successors.through.objects.count()
    events = AuditEvent.objects.filter(action="units.loaded").count()
    assert events == 63 + 34
    out = _load("--all") + _load("--all", "--structure", "2025")
    assert "(0 new units" in out and " 1 new unit" not in out
    assert AdminUnit.objects.count() == units
    assert AdminUnit.successors.through.objects.count() == links
    assert AuditEvent.objects.filter(action="units.loaded").count() == events


@pytest.mark.django_db
def test_second_load_puts_back_what_was_changed_and_missing():
    _load("--province", "77")
    _load("--province", "77", "--structure", "2025")
    AdminUnit.objects.filter(structure=Structure.LEGACY, code="755").update(name="Côn Sơn", area_type=AreaType.URBAN)
    AdminUnit.objects.filter(structure=Structure.Y2025, code="26732").update(kind=UnitKind.COMMUNE)
    con_dao = AdminUnit.objects.get(structure=Structure.LEGACY, code="755")
    con_dao.successors.clear()
    units = AdminUnit.objects.count()

    _load("--province", "77")
    result = load_2025("77")
    assert AdminUnit.objects.count() == units
    con_dao.refresh_from_db()
    assert (con_dao.name, con_dao.area_type) == ("Huyện Côn Đảo", AreaType.RURAL)
    assert con_dao.successors.get().kind == UnitKind.SPECIAL_ZONE
    assert (result.created, result.updated, result.new_links) == (0, 1, 1)


@pytest.mark.django_db
def test_ba_ria_vung_tau_loads_alone_with_con_dao():
    out = _load("--province", "77")
    assert "Tỉnh Bà Rịa - Vũng Tàu (77)" in out
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="77")
    wards = _one("SELECT COUNT(*) FROM admin_units_legacy WHERE provinceCode = '77' AND wardCode IS NOT NULL")
    districts = _one(
        "SELECT COUNT(DISTINCT districtCode) FROM admin_units_legacy WHERE provinceCode = '77' AND wardCode IS NOT NULL"
    )
    assert province.children.filter(level=Level.DISTRICT).count() == districts
    communes = AdminUnit.objects.under(province).filter(level=Level.COMMUNE)
    assert communes.count() == wards + 1
    con_dao = province.children.get(level=Level.COMMUNE)
    assert (con_dao.code, con_dao.name, con_dao.kind, con_dao.area_type) == (
        "755",
        "Huyện Côn Đảo",
        UnitKind.DISTRICT,
        AreaType.RURAL,
    )

    # From 1 July 2025 it is part of Ho Chi Minh City; Côn Đảo became a special zone.
    _load("--province", "77", "--structure", "2025")
    assert con_dao.successors.get().name == "Đặc khu Côn Đảo"
    assert not communes.filter(successors=None).exists()
    assert province.successors.get().code == "79"


@pytest.mark.django_db
def test_load_2025_takes_old_or_new_province_codes():
    assert load_2025("74").province.code == "79"  # Binh Duong became part of Ho Chi Minh City
    assert load_2025("79").province.code == "79"
    assert load_2025("45").province.name == "Tỉnh Quảng Trị"  # old Quang Tri (45) is part of the new one (44)
    assert load_2025("45").province.code == "44"
    assert load_2025("44").created == 0


@pytest.mark.django_db
@pytest.mark.parametrize("args", [[], ["--all", "--province", "74"], ["--structure", "2025"]])
def test_load_units_wants_one_province_or_all(args):
    with pytest.raises(CommandError):
        call_command("load_units", *args)
