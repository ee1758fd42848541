"""The commune list's way to approval (Decision 24/2021/QĐ-TTg): procedure steps, transitions, appeals.

Writes live by step: `services` (the list's transitions and bulk actions), `steps` (hamlet meetings, public
postings), `decisions` (the chairman's recognition, the province's decision), `appeals`, and `freeze` (what approval
freezes). Reads live in `selectors` ("who acts next": `selectors.next_step`). The pages: `views`, `views_print`,
`views_appeals`, `views_monthly`; `forms`, `urls`.

Every write is `@transaction.atomic`, locks the list row it acts on (`select_for_update`), checks the actor's role
over the commune, and writes exactly one audit event. A list the actor cannot see raises `DoesNotExist` (views answer
404, as for a missing one); a list they can see but may not act on raises `PermissionDenied`; a wrong state or a
missing procedure step raises `ValidationError`.

Choices made here (see also DESIGN.md §1 "Review and approval"):
- Procedure steps belong to one revision of the list. Revision 1 needs a hamlet meeting (≥ 50% agreeing,
  the latest meeting of a hamlet counts) for every hamlet with households assessed in the round; a later
  revision needs one only for the hamlets whose assessments changed since the previous revision was
  approved. Every revision needs a public posting of at least `POVREG_POSTING_WORKING_DAYS` working days
  (Monday to Friday; public holidays are not known to Povreg), starting on or after the last meeting, and
  can be submitted only after the posting has ended.
- Appeals are lodged while the commune's current list is not approved (draft, returned, or under review);
  an open appeal blocks submission and approval, so a list under review with an appeal must be returned.
  After approval, department staff first open a new revision (with a reason), then the appeal is lodged
  and the reassessment happens in that revision. The reassessment itself is the ordinary
  `assessment_save` of the household (possible whenever the list is draft or returned).

The package re-exports its public services and the reads other features and the tests use, so that
`from surveys import approval` then `approval.commune_list_submit(...)` keeps reading as one feature's API.
"""

from surveys.approval.appeals import appeal_decide, appeal_lodge
from surveys.approval.decisions import recognition_record, round_decision_record
from surveys.approval.freeze import entry_facts, frozen_counts, list_entries_freeze
from surveys.approval.selectors import (
    COMMUNE_ROLES,
    DEPARTMENT_ROLES,
    DISTRICT_ROLES,
    NOT_STARTED,
    RECOGNITION_STATES,
    acts_for,
    allowed_actions,
    approved_revision,
    bulk_items,
    current_list,
    escaped_rows,
    list_overview,
    posting_rows,
    posting_working_days,
    procedure_state,
    review_queue,
    round_decision,
    working_days,
)
from surveys.approval.services import (
    MAX_BULK_LISTS,
    commune_list_approve,
    commune_list_get_or_create,
    commune_list_open_revision,
    commune_list_return,
    commune_list_review,
    commune_list_submit,
    commune_lists_bulk,
)
from surveys.approval.steps import hamlet_meeting_record, procedure_step_withdraw, public_posting_record

__all__ = [
    "COMMUNE_ROLES",
    "DEPARTMENT_ROLES",
    "DISTRICT_ROLES",
    "MAX_BULK_LISTS",
    "NOT_STARTED",
    "RECOGNITION_STATES",
    "acts_for",
    "allowed_actions",
    "appeal_decide",
    "appeal_lodge",
    "approved_revision",
    "bulk_items",
    "commune_list_approve",
    "commune_list_get_or_create",
    "commune_list_open_revision",
    "commune_list_return",
    "commune_list_review",
    "commune_list_submit",
    "commune_lists_bulk",
    "current_list",
    "entry_facts",
    "escaped_rows",
    "frozen_counts",
    "hamlet_meeting_record",
    "list_entries_freeze",
    "list_overview",
    "posting_rows",
    "posting_working_days",
    "procedure_state",
    "procedure_step_withdraw",
    "public_posting_record",
    "recognition_record",
    "review_queue",
    "round_decision",
    "round_decision_record",
    "working_days",
]
