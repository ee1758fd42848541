"""The surveys app's models, one module per part of the domain; every name is importable from `surveys.models`
as before (migrations refer to `surveys.models.decision_upload_to`)."""

from surveys.models.assessments import Assessment, AssessmentQuerySet, Basis, StandardResult
from surveys.models.criteria import MAX_INCOME_PER_CAPITA, Category, CriteriaSet, Group, GroupRule, IncomePeriod, Indicator, Rule
from surveys.models.lists import (
    CommuneList,
    CommuneListQuerySet,
    EntryResult,
    ListEntry,
    ListEntryQuerySet,
    ListStatus,
    latest_approved_lists,
)
from surveys.models.procedure import (
    Appeal,
    AppealQuerySet,
    AppealStatus,
    Application,
    ApplicationKind,
    ApplicationStatus,
    HamletMeeting,
    PublicPosting,
    RoundDecision,
    decision_upload_to,
)
from surveys.models.rounds import Denominator, RoundArea, RoundKind, SurveyRound, criteria_set_covers

__all__ = [
    "MAX_INCOME_PER_CAPITA",
    "Appeal",
    "AppealQuerySet",
    "AppealStatus",
    "Application",
    "ApplicationKind",
    "ApplicationStatus",
    "Assessment",
    "AssessmentQuerySet",
    "Basis",
    "Category",
    "CommuneList",
    "CommuneListQuerySet",
    "CriteriaSet",
    "Denominator",
    "EntryResult",
    "Group",
    "GroupRule",
    "HamletMeeting",
    "IncomePeriod",
    "Indicator",
    "ListEntry",
    "ListEntryQuerySet",
    "ListStatus",
    "PublicPosting",
    "Rule",
    "RoundArea",
    "RoundDecision",
    "RoundKind",
    "StandardResult",
    "SurveyRound",
    "criteria_set_covers",
    "decision_upload_to",
    "latest_approved_lists",
]
