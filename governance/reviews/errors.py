"""Why a review decision is refused."""

from governance.errors import Conflict, Forbidden, GovernError


class ReportNotReady(Conflict):
    """A decision names the report it was made on: there must be a ready one."""

    code = "ReportNotReady"


class CallNotPending(Conflict):
    """Only a pending output is decided on; released and rejected are final."""

    code = "CallNotPending"


class AlreadyDecided(Conflict):
    """One decision per holder and call: a second key of the same holder counts as them."""

    code = "AlreadyDecided"


class OwnCall(Forbidden):
    """The holder who made a call may not review it, with any of their keys."""

    code = "OwnCall"


class ReleaseNotSigned(GovernError):
    """The approval would release the output, but its new manifest could not be signed
    (a timestamp authority out of reach, a signer failing): nothing was kept; retry."""

    status = 503
    code = "ReleaseNotSigned"
