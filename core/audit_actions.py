"""The audit trail's actions: each intent a service, an import, the admin or an export records, with its label.

`core.audit.audit` refuses an action that is not here, so a new intent is named once, with the words people read
in the history panel (core/audit_labels.py shows them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Written by core.audit.audit / audit_many / audit_export, and by the admin as "<model>.created|updated|deleted"
    # (core.admin.AuditedAdminMixin).
    # households
    HOUSEHOLD_CREATED = "household.created", _("Household registered")
    HOUSEHOLD_UPDATED = "household.updated", _("Household changed")
    HOUSEHOLD_STATUS_CHANGED = "household.status_changed", _("Household status changed")
    HOUSEHOLD_DELETED = "household.deleted", _("Household deleted")
    HOUSEHOLD_IMPORTED = "household.imported", _("Imported from a survey workbook")
    HOUSEHOLD_REHOMED = "household.rehomed", _("Moved to the commune of 1 July 2025")
    HOUSEHOLDS_REHOMED = "households.rehomed", _("Households moved to the communes of 1 July 2025")
    HAMLET_CREATED = "hamlet.created", _("Hamlet added")
    HAMLET_UPDATED = "hamlet.updated", _("Hamlet changed")
    HAMLET_DELETED = "hamlet.deleted", _("Hamlet deleted")
    ADMINUNIT_CREATED = "adminunit.created", _("Administrative unit added")
    ADMINUNIT_UPDATED = "adminunit.updated", _("Administrative unit changed")
    ADMINUNIT_DELETED = "adminunit.deleted", _("Administrative unit deleted")
    UNITS_LOADED = "units.loaded", _("Administrative units loaded")
    ASSIGNMENT_CREATED = "assignment.created", _("Role assigned")
    ASSIGNMENT_UPDATED = "assignment.updated", _("Role assignment changed")
    ASSIGNMENT_DELETED = "assignment.deleted", _("Role assignment removed")
    # criteria sets, rounds, assessments
    CRITERIASET_CREATED = "criteriaset.created", _("Criteria set added")
    CRITERIASET_UPDATED = "criteriaset.updated", _("Criteria set changed")
    CRITERIASET_DELETED = "criteriaset.deleted", _("Criteria set deleted")
    CRITERIA_SET_DRAFT_COPIED = "criteria_set.draft_copied", _("Criteria set copied as a draft")
    ROUND_CREATED = "round.created", _("Round created")
    ROUND_UPDATED = "round.updated", _("Round changed")
    ROUND_DELETED = "round.deleted", _("Round deleted")
    ROUND_AREA_SET = "round.area_set", _("Area type in the round changed")
    ROUND_RECLASSIFIED = "round.reclassified", _("Round reclassified")
    ROUND_DECISION_RECORDED = "round.decision_recorded", _("Province's approval decision recorded")
    ROUND_STANDARDS_SET = "round.standards_set", _("Additional standards of the round changed")
    DUPLICATES_SCANNED = "duplicates.scanned", _("Scan for duplicate households")
    EXPORT_OFFLINE_PACKAGE = "export.offline_package", _("Offline copy taken")
    DUPLICATE_DECIDED = "duplicate.decided", _("Decision on a possible duplicate pair")
    DUPLICATE_MERGED = "duplicate.merged", _("Merge of duplicate households completed")
    DENOMINATOR_SET = "denominator.set", _("Total households set")
    DENOMINATOR_CREATED = "denominator.created", _("Total households set")
    DENOMINATOR_UPDATED = "denominator.updated", _("Total households changed")
    DENOMINATOR_DELETED = "denominator.deleted", _("Total households removed")
    SURVEY_IMPORTED = "survey.imported", _("Survey workbook imported")
    DEMO_LOADED = "demo.loaded", _("Demonstration data loaded")
    ASSESSMENT_CREATED = "assessment.created", _("Assessment entered")
    ASSESSMENT_UPDATED = "assessment.updated", _("Assessment changed")
    # the commune's list and its procedure
    COMMUNE_LIST_CREATED = "commune_list.created", _("List started")
    COMMUNE_LIST_SUBMITTED = "commune_list.submitted", _("List submitted")
    COMMUNE_LIST_DISTRICT_REVIEWED = "commune_list.district_reviewed", _("List reviewed by the district")
    COMMUNE_LIST_APPROVED = "commune_list.approved", _("List approved")
    COMMUNE_LIST_RETURNED = "commune_list.returned", _("List returned")
    COMMUNE_LIST_REVISION_OPENED = "commune_list.revision_opened", _("Revision opened")
    COMMUNE_LIST_RECOGNISED = "commune_list.recognised", _("Recognition decision recorded")
    APPLICATION_FILED = "application.filed", _("Monthly review application received")
    APPLICATION_DECIDED = "application.decided", _("Monthly review application decided")
    HAMLET_MEETING_RECORDED = "hamlet_meeting.recorded", _("Hamlet meeting recorded")
    PUBLIC_POSTING_RECORDED = "public_posting.recorded", _("Public posting recorded")
    HAMLET_MEETING_WITHDRAWN = "hamlet_meeting.withdrawn", _("Hamlet meeting withdrawn")
    PUBLIC_POSTING_WITHDRAWN = "public_posting.withdrawn", _("Public posting withdrawn")
    APPEAL_LODGED = "appeal.lodged", _("Appeal lodged")
    APPEAL_DECIDED = "appeal.decided", _("Appeal decided")
    # receivers of the change feed (core/webhooks.py)
    WEBHOOK_CREATED = "webhook.created", _("Webhook registered")
    WEBHOOK_UPDATED = "webhook.updated", _("Webhook changed")
    WEBHOOK_DELETED = "webhook.deleted", _("Webhook removed")
    # exports of personal data (shown collapsed per day and user)
    EXPORT_POSTING_LIST = "export.posting_list", _("Posting list downloaded")
    EXPORT_RECOGNITION_LIST = "export.recognition_list", _("Recognition list downloaded")
    EXPORT_HOUSEHOLD_LIST = "export.household_list", _("Household list downloaded")
