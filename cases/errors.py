"""Errors that services raise for people to read. Messages are constants so tests can import them."""

from typing import Any

from django.utils.translation import gettext_lazy as _

NOT_ALLOWED = _("You are not allowed to do this.")
AUDITORS_READ_ONLY = _("Auditors can read cases but cannot change them.")
CANNOT_START_SOP = _("You are not allowed to start a case of %(sop)s.")
SOP_VERSION_RETIRED = _("This SOP version is no longer current; start the case from the catalogue again.")
NO_UNIT_FOR_CASE = _("No unit in the org chart holds role %(role)s, so the case has nowhere to go.")
TASK_NOT_OPEN = _("This step was already completed or cancelled (%(status)s).")
TASK_TAKEN = _("This step has already been taken by %(owner)s.")
TASK_NOT_YOURS = _("This step is not offered to you.")
TASK_NOT_ASSIGNED = _("This step is not assigned to anyone.")
CASE_NOT_OPEN = _("Case %(reference)s is %(status)s and can no longer change.")
CASE_NOT_RESOLVED = _("Only a resolved case can be closed.")
REASON_REQUIRED = _("Give a reason.")
COMMENT_EMPTY = _("A comment cannot be empty.")
REASSIGN_TARGET_OUTSIDE = _("%(user)s holds no position in a unit you supervise.")
STEP_FORM_INVALID = _("The step cannot be completed: check the highlighted fields.")
UNKNOWN_LANGUAGE = _("Unknown language “%(language)s”.")
SUBCASE_SOP_MISSING = _("The sub-case cannot be opened: SOP %(sop)s is not loaded.")
SUBCASE_INTAKE_INVALID = _("The sub-case of %(sop)s cannot be opened: its intake is incomplete.")
ESCALATION_DECIDED = _("This escalation has already been decided.")
ESCALATION_NOT_YOURS = _("This escalation is for another position.")
UNKNOWN_DECISION = _("Choose approve, reassign, extend, take over or return.")
NEW_DUE_REQUIRED = _("Give the new due moment, later than the current one.")
STEP_ALREADY_DONE = _("The step is no longer open: only extending the case deadline is possible.")
TASK_NOT_FOUND = _("There is no such step.")
NOTHING_SELECTED = _("Select at least one step.")
SURVEY_NOT_OFFERED = _("There is no satisfaction survey for this case.")
SURVEY_ALREADY_ANSWERED = _("This survey has already been answered. Thank you.")
SURVEY_INCOMPLETE = _("Give a score from 1 to 4 for every element.")
INTAKE_FORM_INVALID = _("The case cannot be started: check the highlighted fields.")
DOCUMENT_NOT_YET = _("“%(title)s” cannot be printed yet: the case has not reached that step.")
DISPOSITION_NO_RECIPIENT = _("Choose at least one position to pass the disposition to.")
DISPOSITION_TO_SELF = _("A disposition cannot be addressed to the position giving it.")
DISPOSITION_UNKNOWN_INSTRUCTION = _("Unknown instruction: %(codes)s.")
DISPOSITION_DUE_PAST = _("The batas waktu cannot be before today.")
DISPOSITION_DUE_BEYOND_PARENT = _("The batas waktu cannot be later than the one you received (%(date)s).")
DISPOSITION_NOT_OFFICIAL = _("Only the head of a unit or someone who received a disposition on this case can dispose "
                             "it.")
DISPOSITION_NOT_SUBORDINATE = _("%(position)s is not in a unit under yours; a disposition goes down the org chart.")
TWO_FACTOR_NOT_OFFERED = _("Two-factor sign-in is offered to heads of units, auditors and administrators.")
TWO_FACTOR_NO_PENDING = _("Start the set-up again: there is no authenticator waiting to be confirmed.")
TWO_FACTOR_WRONG_CODE = _("The code is wrong or has expired; enter the current 6-digit code from your app.")
UPLOAD_TOO_LARGE = _("“%(name)s” is %(size)s MB; a file may be at most %(limit)s MB.")
UPLOAD_TYPE_NOT_ALLOWED = _("“%(name)s” is not a PDF, JPEG or PNG file (judged from its content).")
UPLOAD_TYPE_MISMATCH = _("“%(name)s” is named as %(claimed)s but its content is %(actual)s.")
RETENTION_NOT_FINISHED = _("Case %(reference)s is not finished or its SOP has no retention schedule.")
RETENTION_ALREADY_ARCHIVED = _("Case %(reference)s is already archived.")
RETENTION_NOT_DUE = _("Case %(reference)s stays in the active file until %(date)s.")
UPLOAD_NAME_INVALID = _("The file name “%(name)s” cannot be used; rename the file and try again.")
COMPLAINT_NEEDS_SUBJECT = _(
    "A complaint is about one of your requests or about a service open to requesters: choose one of them."
)


def code_of(message: Any) -> str:
    """The stable code of a message constant of this module: its name in lower case (e.g. "task_taken")."""
    for name, value in globals().items():
        if value is message and name.isupper():
            return name.lower()
    return "application_error"


class ApplicationError(Exception):
    """A refusal with a message for the user; the service changed nothing.

    `code` is stable across languages (the API returns it): the constant's name, or the `code` given.
    """

    def __init__(
        self,
        message: Any,
        *,
        params: dict[str, Any] | None = None,
        errors: dict[str, Any] | None = None,
        code: str | None = None,
    ):
        self.message = message % params if params else message
        self.errors = errors or {}
        self.code = code or code_of(message)
        super().__init__(str(self.message))


class PermissionDenied(ApplicationError):
    pass
