"""A command that cannot go on, for a reason the person running it can act on."""


class Aborted(Exception):
    """Printed as its sentence alone (no traceback), exit status 2."""
