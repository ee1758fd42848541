"""The households app's models: units and roles (`units`), the registry itself (`registry`). Every name is importable
from `households.models` as before (migrations refer to `households.models.validate_birth_year`)."""

from households.models.registry import (
    MAX_MEMBERS,
    MEMBER_FIELDS,
    WORKING_AGE_FROM,
    WORKING_AGE_TO,
    EthnicGroup,
    Household,
    HouseholdQuerySet,
    HouseholdStatus,
    Member,
    MemberQuerySet,
    Rehoming,
    RehomingBasis,
    Relation,
    Sex,
    age_in,
    citizen_id_validator,
    household_code_validator,
    of_working_age,
    validate_birth_year,
)
from households.models.units import (
    PERSONAL_DATA_ROLES,
    STRUCTURE_2025_START,
    AdminUnit,
    AdminUnitQuerySet,
    AreaType,
    Assignment,
    Hamlet,
    HamletQuerySet,
    Level,
    Role,
    Structure,
    UnitKind,
    communes_visible_to,
    visible_commune_ids,
)

__all__ = [
    "MAX_MEMBERS", "MEMBER_FIELDS", "PERSONAL_DATA_ROLES", "STRUCTURE_2025_START", "WORKING_AGE_FROM", "WORKING_AGE_TO", "AdminUnit", "AdminUnitQuerySet", "AreaType", "Assignment",
    "EthnicGroup", "Hamlet", "HamletQuerySet", "Household", "HouseholdQuerySet", "HouseholdStatus", "Level", "Member",
    "MemberQuerySet", "Rehoming", "RehomingBasis", "Relation", "Role", "Sex", "Structure", "UnitKind", "age_in",
    "citizen_id_validator", "communes_visible_to", "household_code_validator", "of_working_age", "validate_birth_year", "visible_commune_ids",
]
