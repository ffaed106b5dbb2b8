"""One cached settings object; nothing reads the environment at import time."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, FilePath
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVERN_", extra="ignore")

    data_dir: Path = Path("./govern-data")
    # Empty means SQLite inside data_dir, so a fresh checkout runs with no set-up.
    database_url: str = ""
    max_upload_bytes: int = Field(default=50 * MB, gt=0)
    # Decompression-bomb guard: checked from the image header before decoding.
    max_image_pixels: int = Field(default=64_000_000, gt=0)
    # Verification and searches read a copy of at most this many pixels (averaged down by
    # an integer factor): a 62 Mpx PNG took 14 s and 1.3 GB per request read in full. The
    # watermark reads at 512 px and fingerprints at 32, so nothing is lost; not below a
    # 512 px square, where the watermark's windows would get too narrow.
    analysis_max_pixels: int = Field(default=4_000_000, ge=512 * 512)
    # Perceptual-hash distances (of 64 bits) at or below which two images match;
    # measured: re-encodes and resizes stay <= 10, unrelated photographs start at 24.
    match_phash_max: int = Field(default=12, ge=0, le=64)
    match_dhash_max: int = Field(default=12, ge=0, le=64)
    # How long a request waits for the database (SQLite's write lock, a PostgreSQL lock,
    # a free connection) before it is answered 503 with Retry-After, nothing kept.
    database_busy_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    page_size_max: int = Field(default=200, gt=0)
    # PEM file of C2PA trust anchors, besides the service's own root, for manifests in
    # uploaded and verified files.
    c2pa_trust_anchors: FilePath | None = None
    # The audit log's name in its signed checkpoints (C2SP: a schema-less URL that
    # identifies this log); set it per deployment.
    # No spaces or "+": the origin is also the signing key's name in verifier keys.
    audit_origin: str = Field(default="govern.local/audit", min_length=1, pattern=r"^[^\s+]+$")
    # Ed25519 PEM; without one a key is generated into the data dir on first run.
    audit_signing_key: FilePath | None = None

    # Register builtin-restoration, builtin-generation and builtin-detector on first start.
    register_builtin_models: bool = True
    # A model call that runs longer is recorded as failed (the model is told to stop).
    model_timeout_seconds: float = Field(default=60.0, gt=0)
    # Restoration inputs larger than this are refused before any model sees them
    # (the memory limit: a model's activations grow with the pixels it is given).
    max_model_pixels: int = Field(default=2048 * 2048, gt=0)
    generation_min_side: int = Field(default=64, gt=0)
    generation_max_side: int = Field(default=1024, gt=0)
    max_prompt_chars: int = Field(default=500, gt=0)
    # zlib level of stored outputs (lossless either way). At 512 px, 0 takes 11 ms and
    # 0.79 MB, 1 takes 21 ms and 0.47 MB, Pillow's default 6 takes 75 ms: the latency
    # target of a governed call is met at 0.
    output_png_level: int = Field(default=0, ge=0, le=9)
    # Restorations wait for a conservator's review before release.
    restorations_need_review: bool = True
    # Approvals by different conservators (holders) that release a pending output; one
    # rejection withholds it for good.
    review_approvals: int = Field(default=1, ge=1, le=20)
    # The job queue of reports: None keeps it in a SQLite file in the data dir (one
    # machine); redis://host:port/db shares it between machines.
    queue_url: str | None = Field(default=None, pattern=r"^redis(s)?://")
    # Consumers `govern serve` and `govern demo` start in their own process, so a laptop
    # needs nothing else running; 0 leaves the jobs to `govern worker`.
    embedded_workers: int = Field(default=1, ge=0, le=16)
    # How long a web page session (/ui/) lasts after its key signed in; then it signs in
    # again. A working day by default.
    ui_session_minutes: int = Field(default=480, ge=1, le=10080)
    # Threads of numpy's BLAS, the OpenMP pools and torch. One is the default: requests
    # run in parallel already, and on a busy host a BLAS team waiting for cores took a
    # 512 px watermark embed from 13-18 ms (one thread) to 74-784 ms (measured).
    compute_threads: int = Field(default=1, ge=1, le=256)

    # Content Credentials. Without a chain and key (or callback), a development CA and
    # signer are generated into the data dir on first run.
    # PEM: the end-entity certificate first, then its issuers.
    signing_cert_chain: FilePath | None = None
    signing_key: FilePath | None = None
    # "module:function" taking the bytes to sign and returning the signature, for keys
    # held in an HSM or a signing service; the chain still comes from signing_cert_chain.
    signing_callback: str | None = None
    # The root published at /v1/labels/ca.pem; defaults to the chain's last certificate.
    signing_root: FilePath | None = None
    # A timestamp authority; signing fails, clearly, when it cannot be reached.
    signing_tsa_url: str | None = None
    # Thumbnails cost ~100 ms per output (measured), so they are off unless asked for.
    c2pa_thumbnail: bool = False
    # ContentProducer in the GB 45438 implicit label, and the service named in manifests.
    label_producer: str = Field(default="provenance-governance", min_length=1, max_length=200)
    # A visible label on every output; a call may also ask for one.
    visible_label: bool = False
    visible_label_text: str = Field(default="AI生成", min_length=1, max_length=40)
    visible_label_font: FilePath | None = None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'govern.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def default_audit_key(self) -> Path:
        return self.data_dir / "audit-ed25519.pem"

    @property
    def signing_dir(self) -> Path:
        return self.data_dir / "signing"


def normalise_database_url(url: str) -> str:
    """Route plain PostgreSQL URLs to psycopg 3, the driver this project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
