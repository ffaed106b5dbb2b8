"""SHA-256 digests of model weights: one file, or a whole model directory.

The digest is what the audit log records as the weights a model call ran with, so it
must depend only on the bytes an adapter loads, never on timestamps or listing order.
"""

import hashlib
from pathlib import Path

_CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of one file, read in 1 MB chunks so multi-GB weights never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def tree_sha256(directory: Path) -> str:
    """Hex SHA-256 over every non-hidden file under `directory`, in sorted path order.

    Each file contributes its relative POSIX path, a NUL, its own SHA-256 and a newline:
    fixed-width per-file digests keep the encoding unambiguous (no path/content boundary
    can be shifted to forge a collision). Hidden files and folders (.git, .cache from a
    hub download, .DS_Store) are skipped because they never reach the model.
    """
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")
    files = sorted(
        (path.relative_to(directory).as_posix(), path)
        for path in directory.rglob("*")
        if path.is_file() and not _is_hidden(path.relative_to(directory))
    )
    digest = hashlib.sha256()
    for relative, path in files:
        digest.update(relative.encode("utf-8"))
        digest.update(b"\0")
        digest.update(file_sha256(path).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()
