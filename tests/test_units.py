import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from households.models import AdminUnit, AreaType, Level, Structure, UnitKind


@pytest.mark.django_db
def test_load_units_binh_duong_pre_2025():
    call_command("load_units", "--province", "74")
    province = AdminUnit.objects.get(structure=Structure.LEGACY, code="74")
    assert province.level == Level.PROVINCE and province.name == "Tỉnh Bình Dương"
    assert province.children.count() == 9
    communes = AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE, parent__parent=province)
    assert communes.count() == 91
    assert communes.filter(kind=UnitKind.WARD).count() == 47
    assert communes.filter(kind=UnitKind.TOWNSHIP).count() == 5
    assert communes.filter(kind=UnitKind.COMMUNE).count() == 39
    assert set(communes.filter(kind__in=[UnitKind.WARD, UnitKind.TOWNSHIP]).values_list("area_type", flat=True)) == {
        AreaType.URBAN
    }
    assert set(communes.filter(kind=UnitKind.COMMUNE).values_list("area_type", flat=True)) == {AreaType.RURAL}
    assert all(len(c) == 5 for c in communes.values_list("code", flat=True))
    assert str(province.valid_to) == "2025-06-30"
    # Loading twice changes nothing.
    call_command("load_units", "--province", "74")
    assert AdminUnit.objects.filter(structure=Structure.LEGACY).count() == 101


@pytest.mark.django_db
def test_load_units_2025_structure_links_successors():
    call_command("load_units", "--province", "74")
    call_command("load_units", "--province", "74", "--structure", "2025")
    hcmc = AdminUnit.objects.get(structure=Structure.Y2025, code="79")
    assert hcmc.children.count() == 168
    assert not AdminUnit.objects.filter(structure=Structure.Y2025, level=Level.DISTRICT).exists()
    assert str(hcmc.valid_from) == "2025-07-01"
    old_communes = AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE)
    assert all(c.successors.exists() for c in old_communes), "every Binh Duong commune has a successor"
    successors = AdminUnit.objects.filter(predecessors__in=old_communes).distinct()
    assert successors.count() == 36  # 36 of HCMC's 168 units come from former Binh Duong
    assert AdminUnit.objects.get(structure=Structure.LEGACY, code="74").successors.get() == hcmc


@pytest.mark.django_db
def test_load_units_unknown_province():
    with pytest.raises(CommandError, match="99"):
        call_command("load_units", "--province", "99")
