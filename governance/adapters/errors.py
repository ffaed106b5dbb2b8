"""Errors a model run can end in; the pipeline records them as a failed call."""


class ModelRunError(Exception):
    """The model raised, or returned something that is not an image of the asked size."""


class ModelTimeout(ModelRunError):
    """The model did not finish before its deadline."""


def check_deadline(deadline: float | None) -> None:
    """Raise ModelTimeout once `time.monotonic()` has passed `deadline` (None: no limit)."""
    import time

    if deadline is not None and time.monotonic() > deadline:
        raise ModelTimeout("the model ran past its time limit")
