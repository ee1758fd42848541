from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dedupe"
    verbose_name = _("Possible duplicates")

    def ready(self):
        from core import jobs

        # The "Scan now" button runs the province's scan as a background job (core.jobs: kind → handler).
        jobs.HANDLERS.setdefault(JOB_KIND, "dedupe.jobs.scan_job")


JOB_KIND = "duplicate_scan"
