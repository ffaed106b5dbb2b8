"""One file per stage of the governed call."""
