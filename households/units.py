"""Loading Vietnam's administrative units from the `vietnamadminunits` package (never hand-typed).

A load is set-based: the units of one province are read from the package, compared with the units of that
structure already stored (one query), and only the missing ones are inserted and the changed ones updated,
so loading twice changes nothing and loading the whole country takes seconds.

Island districts without commune-level units (Côn Đảo, Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn before 1 July
2025: rows with no ward in the package's legacy list) are units of both levels in law. They are loaded as ONE
commune-level unit whose parent is the province (no district row), with the district's GSO code, kind
`district` and area type rural; reports treat a commune whose parent is not a district as its own district row.
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from core.audit import audit
from core.audit_actions import AuditAction
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
# An island district with no commune-level units is itself the commune-level unit: rural, kind "district".
ISLAND_DISTRICT = (UnitKind.DISTRICT, AreaType.RURAL)

# The fields a load sets and compares; `parent_id` is compared by id, stored through `parent`.
LEGACY_FIELDS = ("name", "level", "kind", "area_type", "parent_id", "valid_to")
FIELDS_2025 = ("name", "level", "kind", "area_type", "parent_id", "valid_from")


class UnitSourceError(ValueError):
    pass


def _query(sql: str, params=()) -> list[dict]:
    import sqlite3

    from vietnamadminunits.database import main as vau

    with sqlite3.connect(vau.MODULE_DIR / "data/dataset.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]


@functools.cache
def _converter() -> dict:
    """The package's old-to-new mapping (read once per process; treat as read-only)."""
    from vietnamadminunits.database import main as vau

    return json.loads(Path(vau.MODULE_DIR / "data/converter_2025.json").read_text(encoding="utf-8"))


@dataclass
class LoadResult:
    province: AdminUnit
    districts: int
    communes: int
    created: int
    successor_links: int = 0
    updated: int = 0
    new_links: int = 0


def province_kind(name: str) -> str:
    return UnitKind.CITY if name.startswith("Thành phố") else UnitKind.PROVINCE


def legacy_province_codes() -> list[str]:
    """Every province of the pre-1-July-2025 list (63)."""
    return [r["provinceCode"] for r in _query("SELECT DISTINCT provinceCode FROM admin_units_legacy ORDER BY provinceCode")]


def province_codes_2025() -> list[str]:
    """Every province of the list from 1 July 2025 (34)."""
    return [r["provinceCode"] for r in _query("SELECT DISTINCT provinceCode FROM admin_units ORDER BY provinceCode")]


def _ward_kind(row: dict, where: str) -> tuple[str, str]:
    try:
        return WARD_KINDS[row["wardType"]]
    except KeyError:
        # The type decides the area type and so the income line: never guess it.
        raise UnitSourceError(f"{where}: unit {row['wardCode']} {row['ward']!r} has an unknown type {row['wardType']!r}.")


def _sync(structure: str, tiers: list[list[dict]], compared: tuple[str, ...]) -> tuple[dict[str, AdminUnit], int, int]:
    """Make the stored units of `structure` match `tiers` (parents first; each spec has `code`, `parent` (a code of
    an earlier tier, or None) and the `compared` fields). One read, then per tier one bulk insert of the missing
    units and one bulk update of the changed ones. Returns the units by code, how many were created, updated."""
    codes = [spec["code"] for tier in tiers for spec in tier]
    existing = {u.code: u for u in AdminUnit.objects.filter(structure=structure, code__in=codes)}
    units: dict[str, AdminUnit] = {}
    created = updated = 0
    for tier in tiers:
        new: list[AdminUnit] = []
        changed: list[AdminUnit] = []
        changed_fields: set[str] = set()
        for spec in tier:
            values = {k: spec[k] for k in compared if k != "parent_id"}
            values["parent_id"] = units[spec["parent"]].pk if spec["parent"] else None
            unit = existing.get(spec["code"])
            if unit is None:
                new.append(AdminUnit(structure=structure, code=spec["code"], **values))
                continue
            diff = [k for k, v in values.items() if getattr(unit, k) != v]
            if diff:
                for k in diff:
                    setattr(unit, k, values[k])
                changed.append(unit)
                changed_fields.update("parent" if k == "parent_id" else k for k in diff)
            units[unit.code] = unit
        if new:
            AdminUnit.objects.bulk_create(new, batch_size=1000)
            if any(u.pk is None for u in new):  # a backend that cannot return ids from a bulk insert
                new = list(AdminUnit.objects.filter(structure=structure, code__in=[u.code for u in new]))
            units.update((u.code, u) for u in new)
            created += len(new)
        if changed:
            AdminUnit.objects.bulk_update(changed, sorted(changed_fields), batch_size=1000)
            updated += len(changed)
    return units, created, updated


@transaction.atomic
def load_legacy(province_code: str, *, actor=None) -> LoadResult:
    """The pre-1-July-2025 structure of one province: province, districts, communes (island districts without
    communes as one commune-level unit under the province)."""
    rows = _query(
        "SELECT provinceCode, province, districtCode, district, districtType, wardCode, ward, wardType "
        "FROM admin_units_legacy WHERE provinceCode = ? ORDER BY districtCode, wardCode",
        (province_code,),
    )
    if not rows:
        raise UnitSourceError(f"No province with code {province_code!r} in the pre-2025 list.")
    where = f"pre-2025 province {province_code}"
    common = {"valid_to": LEGACY_END}
    province = {
        "code": province_code,
        "parent": None,
        "name": rows[0]["province"],
        "level": Level.PROVINCE,
        "kind": province_kind(rows[0]["province"]),
        "area_type": "",
        **common,
    }
    districts: dict[str, dict] = {}
    communes: list[dict] = []
    islands: set[str] = set()
    for row in rows:
        dcode = row["districtCode"]
        if not dcode or not row["district"]:
            raise UnitSourceError(f"{where}: a row has no district ({row!r}).")
        if row["wardCode"] is None and row["ward"] is None and row["wardType"] is None:
            # An island district with no commune-level units: itself the commune-level unit, under the province.
            kind, area = ISLAND_DISTRICT
            islands.add(dcode)
            communes.append(
                {
                    "code": dcode,
                    "parent": province_code,
                    "name": row["district"],
                    "level": Level.COMMUNE,
                    "kind": kind,
                    "area_type": area,
                    **common,
                }
            )
            continue
        if not row["wardCode"] or not row["ward"]:
            raise UnitSourceError(f"{where}: district {dcode} has a row without a code or name ({row!r}).")
        if dcode not in districts:
            if row["districtType"] not in DISTRICT_KINDS:
                raise UnitSourceError(
                    f"{where}: district {dcode} {row['district']!r} has an unknown type {row['districtType']!r}."
                )
            districts[dcode] = {
                "code": dcode,
                "parent": province_code,
                "name": row["district"],
                "level": Level.DISTRICT,
                "kind": DISTRICT_KINDS[row["districtType"]],
                "area_type": "",
                **common,
            }
        kind, area = _ward_kind(row, where)
        communes.append(
            {
                "code": row["wardCode"],
                "parent": dcode,
                "name": row["ward"],
                "level": Level.COMMUNE,
                "kind": kind,
                "area_type": area,
                **common,
            }
        )
    if islands & districts.keys():
        raise UnitSourceError(f"{where}: districts {sorted(islands & districts.keys())} have both no and some communes.")
    units, created, updated = _sync(Structure.LEGACY, [[province], list(districts.values()), communes], LEGACY_FIELDS)
    result = LoadResult(
        province=units[province_code], districts=len(districts), communes=len(communes), created=created, updated=updated
    )
    if actor is not None or created or updated:
        audit(
            actor=actor,
            action=AuditAction.UNITS_LOADED,
            target=result.province,
            changes={"structure": [None, "legacy"], "created": [None, created], "updated": [None, updated]},
        )
    if created:
        # Loaded after the province it became part of: link the new communes to their successors now.
        new_code = new_province_code_for(province_code)
        if AdminUnit.objects.filter(structure=Structure.Y2025, level=Level.PROVINCE, code=new_code).exists():
            result.successor_links = load_2025(province_code, actor=actor).successor_links
    return result


def new_province_code_for(province_code: str) -> str:
    """The post-2025 province a pre-2025 province became part of (74 Binh Duong -> 79 Ho Chi Minh City), or the
    code itself when it is a 2025 province code. (Where a code is in both lists, the old province with that code
    is part of the new one with the same code, so both readings agree.)"""
    old = _query("SELECT DISTINCT provinceKey FROM admin_units_legacy WHERE provinceCode = ?", (province_code,))
    if old:
        for new_key, old_keys in _converter()["DICT_PROVINCE"].items():
            if old[0]["provinceKey"] in old_keys:
                hit = _query("SELECT DISTINCT provinceCode FROM admin_units WHERE provinceKey = ?", (new_key,))
                if hit:
                    return hit[0]["provinceCode"]
    if _query("SELECT 1 FROM admin_units WHERE provinceCode = ? LIMIT 1", (province_code,)):
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
    where = f"2025 province {new_code}"
    common = {"valid_from": STRUCTURE_2025_START}
    province = {
        "code": new_code,
        "parent": None,
        "name": rows[0]["province"],
        "level": Level.PROVINCE,
        "kind": province_kind(rows[0]["province"]),
        "area_type": "",
        **common,
    }
    communes = []
    for row in rows:
        if not row["wardCode"] or not row["ward"] or not row["wardKey"]:
            raise UnitSourceError(f"{where}: a row without a code, name or key ({row!r}).")
        kind, area = _ward_kind(row, where)
        communes.append(
            {
                "code": row["wardCode"],
                "parent": new_code,
                "name": row["ward"],
                "level": Level.COMMUNE,
                "kind": kind,
                "area_type": area,
                **common,
            }
        )
    units, created, updated = _sync(Structure.Y2025, [[province], communes], FIELDS_2025)
    new_province = units[new_code]
    by_key = {row["wardKey"]: units[row["wardCode"]] for row in rows}
    links, new_links = _link_successors(rows[0]["provinceKey"], new_province, by_key)
    if actor is not None or created or updated or new_links:
        audit(
            actor=actor,
            action=AuditAction.UNITS_LOADED,
            target=new_province,
            changes={
                "structure": [None, "2025"],
                "created": [None, created],
                "updated": [None, updated],
                "successor_links": [None, new_links],
            },
        )
    return LoadResult(
        province=new_province,
        districts=0,
        communes=len(rows),
        created=created,
        successor_links=links,
        updated=updated,
        new_links=new_links,
    )


def _link_successors(new_province_key: str, new_province: AdminUnit, by_key: dict[str, AdminUnit]) -> tuple[int, int]:
    """Link every loaded pre-2025 commune (and province) of the new province to its successors: one read of the
    existing links, one bulk insert of the missing ones. Returns (links of the loaded communes, links added)."""
    conv = _converter()
    old_province_keys = conv["DICT_PROVINCE"].get(new_province_key, [])
    if not old_province_keys:
        return 0, 0
    old_rows = _query(
        "SELECT provinceKey, provinceCode, districtKey, districtCode, wardKey, wardCode FROM admin_units_legacy "
        f"WHERE provinceKey IN ({','.join('?' * len(old_province_keys))})",
        tuple(old_province_keys),
    )
    old_province_codes = {r["provinceCode"] for r in old_rows}
    # An island district without communes is stored as a commune-level unit with its district code.
    for row in old_rows:
        row["unitCode"] = row["wardCode"] or row["districtCode"]
    loaded = dict(
        AdminUnit.objects.filter(
            structure=Structure.LEGACY, level=Level.COMMUNE, code__in=[r["unitCode"] for r in old_rows]
        ).values_list("code", "pk")
    )
    not_divided: dict[str, list[str]] = {}
    for new_key, old_keys in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].get(new_province_key, {}).items():
        for old_key in old_keys:
            not_divided.setdefault(old_key, []).append(new_key)
    divided = conv["DICT_PROVINCE_WARD_DIVIDED"].get(new_province_key, {})
    wanted: set[tuple[int, int]] = set()
    links = 0
    for row in old_rows:
        old_pk = loaded.get(row["unitCode"])
        if old_pk is None:
            continue
        # The converter keys an island district without communes with an empty ward key ("..._huyencondao_").
        key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
        new_keys = not_divided.get(key) or [w["newWardKey"] for w in divided.get(key, [])]
        targets = {by_key[k].pk for k in new_keys if k in by_key}
        wanted.update((old_pk, t) for t in targets)
        links += len(targets)
    old_provinces = AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE, code__in=old_province_codes)
    wanted.update((pk, new_province.pk) for pk in old_provinces.values_list("pk", flat=True))
    if not wanted:
        return links, 0
    through = AdminUnit.successors.through
    have = set(
        through.objects.filter(from_adminunit_id__in={a for a, _ in wanted}).values_list("from_adminunit_id", "to_adminunit_id")
    )
    missing = sorted(wanted - have)
    through.objects.bulk_create(
        [through(from_adminunit_id=a, to_adminunit_id=b) for a, b in missing], batch_size=1000, ignore_conflicts=True
    )
    return links, len(missing)


def default_successor_codes(old_province_code: str) -> dict[str, str]:
    """For each split commune of a pre-2025 province: the 2025 ward code the package names as its default
    new unit (`isDefaultNewWard`), the fallback when no hamlet mapping says otherwise."""
    rows = _query(
        "SELECT provinceKey, districtKey, wardKey, wardCode, districtCode FROM admin_units_legacy WHERE provinceCode = ?",
        (old_province_code,),
    )
    if not rows:
        return {}
    conv = _converter()
    new_key = next((k for k, olds in conv["DICT_PROVINCE"].items() if rows[0]["provinceKey"] in olds), None)
    if new_key is None:
        return {}
    divided = conv["DICT_PROVINCE_WARD_DIVIDED"].get(new_key, {})
    new_codes = {
        r["wardKey"]: r["wardCode"] for r in _query("SELECT wardKey, wardCode FROM admin_units WHERE provinceKey = ?", (new_key,))
    }
    out = {}
    for row in rows:
        key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
        default = next((w["newWardKey"] for w in divided.get(key, []) if w.get("isDefaultNewWard")), None)
        if default and default in new_codes:
            out[row["wardCode"] or row["districtCode"]] = new_codes[default]
    return out
