"""Domain errors of the labeling library; the service maps them to HTTP errors."""


class LabelingError(Exception):
    pass


class ManifestReadError(LabelingError):
    """A C2PA manifest is present but cannot be parsed."""
