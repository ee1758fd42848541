"""Routes under /api/v1/dci/: the paths of the DCI specification, as it spells them (no trailing slash)."""

from django.urls import path

from dci.views import SyncSearchView

urlpatterns = [path("registry/sync/search", SyncSearchView.as_view(), name="dci-sync-search")]
