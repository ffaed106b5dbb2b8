"""Content-addressed file store under the data dir.

A file is staged during the request and renamed into place only once the database
transaction that refers to it has committed (see `db.after_commit`); a refused or
rolled-back request discards it, so nothing is left behind.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from governance.db import after_commit


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def stage(self, data: bytes) -> "StagedBlob":
        """Write `data` beside its final place; `promote` after commit, `discard` otherwise.

        The write (where a full disk fails) happens before the commit; what is left for
        after it is one rename on the same file system.
        """
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StagedBlob(sha256, Path(tmp), target)

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()


@dataclass(frozen=True)
class StagedBlob:
    sha256: str
    staged: Path
    target: Path

    def promote(self) -> None:
        os.replace(self.staged, self.target)

    def discard(self) -> None:
        self.staged.unlink(missing_ok=True)


def keep_blob(session: Session, blobs: BlobStore, data: bytes) -> str:
    """Stage `data` for the request's record, by its SHA-256 (the one hash taken of it); it
    lands on disk only if the request's transaction commits."""
    staged = blobs.stage(data)
    after_commit(session, staged.promote, on_rollback=staged.discard)
    return staged.sha256
