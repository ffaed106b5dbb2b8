"""Errors a model run can end in; the pipeline records them as a failed call."""

import time


class ModelRunError(Exception):
    """The model raised, or returned something that is not an image of the asked size."""


class ModelTimeout(ModelRunError):
    """The model did not finish before its deadline."""


def check_deadline(deadline: float | None) -> None:
    """Raise ModelTimeout once `time.monotonic()` has passed `deadline` (None: no limit).

    Threads cannot be killed, so long-running built-in models call this between steps.
    """
    if deadline is not None and time.monotonic() > deadline:
        raise ModelTimeout("the model ran past its time limit")
