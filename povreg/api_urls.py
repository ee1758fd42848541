"""Routes under /api/v1/. Each app registers its viewsets on the one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.api_changes import ChangesView
from core.auth_api import TokenListView, TokenRevokeView, TokenView
from households.api.views import HouseholdViewSet, UnitViewSet
from surveys.api.assessments import AssessmentViewSet
from surveys.api.bulk import CommuneListBulkView
from surveys.api.criteria import ClassifyView, CriteriaSetViewSet
from surveys.api.lists import CommuneListViewSet
from surveys.api.monthly import ApplicationDecideView, ApplicationListView, ListInForceView
from surveys.api.rates import FlowsView, RatesView
from surveys.api.rounds import RoundViewSet

router = DefaultRouter()
router.register("criteria-sets", CriteriaSetViewSet, basename="criteria-set")
router.register("units", UnitViewSet, basename="unit")
router.register("households", HouseholdViewSet, basename="household")
router.register("rounds", RoundViewSet, basename="round")

# Assessments are addressed by round and household code (a household has one assessment per round).
assessment_list = AssessmentViewSet.as_view({"get": "list", "post": "create"})
assessment_detail = AssessmentViewSet.as_view({"get": "retrieve", "put": "update"})
assessment_audit = AssessmentViewSet.as_view({"get": "audit"})

# Commune lists likewise by round and commune code; each transition is a POST on the list.
LIST = "commune-lists/<str:round_code>/<str:commune_code>/"
commune_list_routes = [
    path("commune-lists/", CommuneListViewSet.as_view({"get": "list", "post": "create"}), name="commune-list-list"),
    path("commune-lists/bulk/", CommuneListBulkView.as_view(), name="commune-list-bulk"),
    path(LIST, CommuneListViewSet.as_view({"get": "retrieve"}), name="commune-list-detail"),
    path(LIST + "audit/", CommuneListViewSet.as_view({"get": "audit"}), name="commune-list-audit"),
    # The procedure steps that submission needs, recorded on the current revision.
    path(LIST + "entries/", CommuneListViewSet.as_view({"get": "entries"}), name="commune-list-entries"),
    path(
        LIST + "meetings/",
        CommuneListViewSet.as_view({"get": "meetings", "post": "record_meeting"}),
        name="commune-list-meetings",
    ),
    path(
        LIST + "postings/",
        CommuneListViewSet.as_view({"get": "postings", "post": "record_posting"}),
        name="commune-list-postings",
    ),
    path(LIST + "recognition/", CommuneListViewSet.as_view({"post": "record_recognition"}), name="commune-list-recognition"),
    path("applications/", ApplicationListView.as_view(), name="application-list"),
    path("applications/<int:pk>/decide/", ApplicationDecideView.as_view(), name="application-decide"),
    path("lists-in-force/", ListInForceView.as_view(), name="lists-in-force"),
] + [
    path(f"{LIST}{segment}/", CommuneListViewSet.as_view({"post": method}), name=f"commune-list-{segment}")
    for segment, method in (
        ("submit", "submit"),
        ("review", "review"),
        ("approve", "approve"),
        ("return", "return_list"),
        ("open-revision", "open_revision"),
    )
]

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<str:prefix>/", TokenRevokeView.as_view(), name="api-token-revoke"),
    path("classify/", ClassifyView.as_view(), name="api-classify"),
    path("rates/", RatesView.as_view(), name="api-rates"),
    path("flows/", FlowsView.as_view(), name="api-flows"),
    path("changes/", ChangesView.as_view(), name="api-changes"),
    path("assessments/", assessment_list, name="assessment-list"),
    path("assessments/<str:round_code>/<str:household_code>/", assessment_detail, name="assessment-detail"),
    path("assessments/<str:round_code>/<str:household_code>/audit/", assessment_audit, name="assessment-audit"),
    *commune_list_routes,
    path("dci/", include("dci.urls")),  # DCI Social Registry API (docs/dci.md)
    path("", include(router.urls)),
]
