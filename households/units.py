"""Loading Vietnam's administrative units from the `vietnamadminunits` package (never hand-typed)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from core.audit import audit
from households.models import STRUCTURE_2025_START, AdminUnit, AreaType, Level, Structure, UnitKind

LEGACY_END = STRUCTURE_2025_START - datetime.timedelta(days=1)

WARD_KINDS = {
    "Phường": (UnitKind.WARD, AreaType.URBAN),
    "Thị trấn": (UnitKind.TOWNSHIP, AreaType.URBAN),
    "Xã": (UnitKind.COMMUNE, AreaType.RURAL),
    # Special zones (island districts turned communes) are treated as rural for the income line.
    "Đặc khu": (UnitKind.SPECIAL_ZONE, AreaType.RURAL),
}
DISTRICT_KINDS = {
    "Quận": UnitKind.DISTRICT,
    "Huyện": UnitKind.DISTRICT,
    "Thị xã": UnitKind.TOWN,
    "Thành phố": UnitKind.PROVINCIAL_CITY,
}


class UnitSourceError(ValueError):
    pass


def _query(sql: str, params=()) -> list[dict]:
    import sqlite3

    from vietnamadminunits.database import main as vau

    with sqlite3.connect(vau.MODULE_DIR / "data/dataset.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]


def _converter() -> dict:
    from vietnamadminunits.database import main as vau

    return json.loads(Path(vau.MODULE_DIR / "data/converter_2025.json").read_text(encoding="utf-8"))


@dataclass
class LoadResult:
    province: AdminUnit
    districts: int
    communes: int
    created: int
    successor_links: int = 0


def _upsert(structure, code, **fields) -> tuple[AdminUnit, bool]:
    unit, created = AdminUnit.objects.get_or_create(structure=structure, code=code, defaults=fields)
    if not created:
        changed = [k for k, v in fields.items() if getattr(unit, k if k != "parent" else "parent") != v]
        if changed:
            for k in changed:
                setattr(unit, k, fields[k])
            unit.save(update_fields=changed)
    return unit, created


def province_kind(name: str) -> str:
    return UnitKind.CITY if name.startswith("Thành phố") else UnitKind.PROVINCE


@transaction.atomic
def load_legacy(province_code: str, *, actor=None) -> LoadResult:
    """The pre-1-July-2025 structure of one province: province, districts, communes."""
    rows = _query(
        "SELECT provinceCode, province, districtCode, district, districtType, wardCode, ward, wardType "
        "FROM admin_units_legacy WHERE provinceCode = ? ORDER BY wardCode",
        (province_code,),
    )
    if not rows:
        raise UnitSourceError(f"No province with code {province_code!r} in the pre-2025 list.")
    common = {"structure": Structure.LEGACY, "valid_to": LEGACY_END}
    created = 0
    province, was_new = _upsert(
        Structure.LEGACY, province_code, name=rows[0]["province"], level=Level.PROVINCE,
        kind=province_kind(rows[0]["province"]), area_type="", parent=None, valid_to=LEGACY_END,
    )
    created += was_new
    districts: dict[str, AdminUnit] = {}
    communes = 0
    for row in rows:
        dcode = row["districtCode"]
        if dcode not in districts:
            districts[dcode], was_new = _upsert(
                Structure.LEGACY, dcode, name=row["district"], level=Level.DISTRICT,
                kind=DISTRICT_KINDS.get(row["districtType"], UnitKind.DISTRICT), area_type="", parent=province,
                valid_to=common["valid_to"],
            )
            created += was_new
        kind, area = WARD_KINDS.get(row["wardType"], (UnitKind.COMMUNE, AreaType.RURAL))
        _, was_new = _upsert(
            Structure.LEGACY, row["wardCode"], name=row["ward"], level=Level.COMMUNE, kind=kind, area_type=area,
            parent=districts[dcode], valid_to=common["valid_to"],
        )
        created += was_new
        communes += 1
    if actor is not None or created:
        audit(actor=actor, action="units.loaded", target=province, changes={"structure": [None, "legacy"], "created": [None, created]})
    return LoadResult(province=province, districts=len(districts), communes=communes, created=created)


def new_province_code_for(province_code: str) -> str:
    """The post-2025 province a pre-2025 province became part of (74 Binh Duong -> 79 Ho Chi Minh City)."""
    direct = _query("SELECT DISTINCT provinceCode FROM admin_units WHERE provinceCode = ?", (province_code,))
    old = _query("SELECT DISTINCT provinceKey FROM admin_units_legacy WHERE provinceCode = ?", (province_code,))
    if old:
        for new_key, old_keys in _converter()["DICT_PROVINCE"].items():
            if old[0]["provinceKey"] in old_keys:
                hit = _query("SELECT DISTINCT provinceCode FROM admin_units WHERE provinceKey = ?", (new_key,))
                if hit:
                    return hit[0]["provinceCode"]
    if direct:
        return province_code
    raise UnitSourceError(f"No province with code {province_code!r} in the 2025 list.")


@transaction.atomic
def load_2025(province_code: str, *, actor=None) -> LoadResult:
    """The structure from 1 July 2025 (no district level) for the province that `province_code` is or became
    part of, and the successor links from every pre-2025 commune of it already loaded."""
    new_code = new_province_code_for(province_code)
    rows = _query(
        "SELECT provinceCode, province, provinceKey, wardCode, ward, wardType, wardKey FROM admin_units "
        "WHERE provinceCode = ? ORDER BY wardCode",
        (new_code,),
    )
    created = 0
    province, was_new = _upsert(
        Structure.Y2025, new_code, name=rows[0]["province"], level=Level.PROVINCE, kind=province_kind(rows[0]["province"]),
        area_type="", parent=None, valid_from=STRUCTURE_2025_START,
    )
    created += was_new
    by_key: dict[str, AdminUnit] = {}
    for row in rows:
        kind, area = WARD_KINDS.get(row["wardType"], (UnitKind.COMMUNE, AreaType.RURAL))
        unit, was_new = _upsert(
            Structure.Y2025, row["wardCode"], name=row["ward"], level=Level.COMMUNE, kind=kind, area_type=area,
            parent=province, valid_from=STRUCTURE_2025_START,
        )
        created += was_new
        by_key[row["wardKey"]] = unit
    links = _link_successors(rows[0]["provinceKey"], province, by_key)
    audit(actor=actor, action="units.loaded", target=province, changes={"structure": [None, "2025"], "created": [None, created]})
    return LoadResult(province=province, districts=0, communes=len(rows), created=created, successor_links=links)


def _link_successors(new_province_key: str, new_province: AdminUnit, by_key: dict[str, AdminUnit]) -> int:
    conv = _converter()
    old_province_keys = conv["DICT_PROVINCE"].get(new_province_key, [])
    old_rows = _query(
        "SELECT provinceKey, provinceCode, districtKey, districtCode, wardKey, wardCode FROM admin_units_legacy "
        f"WHERE provinceKey IN ({','.join('?' * len(old_province_keys))})",
        tuple(old_province_keys),
    )
    loaded = {u.code: u for u in AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE, code__in=[r["wardCode"] for r in old_rows])}
    not_divided: dict[str, list[str]] = {}
    for new_key, old_keys in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].get(new_province_key, {}).items():
        for old_key in old_keys:
            not_divided.setdefault(old_key, []).append(new_key)
    divided = conv["DICT_PROVINCE_WARD_DIVIDED"].get(new_province_key, {})
    links = 0
    old_provinces: set[str] = set()
    for row in old_rows:
        old = loaded.get(row["wardCode"])
        if old is None:
            continue
        old_provinces.add(row["provinceCode"])
        key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"
        new_keys = not_divided.get(key) or [w["newWardKey"] for w in divided.get(key, [])]
        targets = [by_key[k] for k in new_keys if k in by_key]
        old.successors.add(*targets)
        links += len(targets)
    for old_province in AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE, code__in=old_provinces):
        old_province.successors.add(new_province)
    return links
