"""Why a call's report cannot be served or retried: each a sentence with a stable code."""

from governance.errors import Conflict, NotFound


class ReportNotFound(NotFound):
    """The call has no report: a generation, a blocked or failed call, a withheld output,
    or a call that is not served to the key."""

    code = "ReportNotFound"


class ReportFileNotFound(NotFound):
    code = "ReportFileNotFound"


class ReportNotReady(Conflict):
    """A file or a verification asked of a report that is still queued, running or failed."""

    code = "ReportNotReady"


class ReportNotFailed(Conflict):
    """A retry of a report that has not failed: only a failed job is put back."""

    code = "ReportNotFailed"


class ReportFailed(Conflict):
    """The report's job failed: the reason in words; an admin may retry it."""

    code = "ReportFailed"
