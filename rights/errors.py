"""Domain errors of the rights library; the service maps them to HTTP errors."""


class RightsError(ValueError):
    """Base of every error this library raises for bad input."""


class InvalidTermsError(RightsError):
    pass


class InvalidLicenseError(RightsError):
    pass


class DuplicateWorkError(RightsError):
    def __init__(self, existing_work_id: int) -> None:
        super().__init__(f"these pixels are already registered as work {existing_work_id}")
        self.existing_work_id = existing_work_id


class InvalidManifestError(RightsError):
    """A training manifest that cannot be read: the sentence says where and why."""
