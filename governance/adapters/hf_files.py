"""Reading a local transformers model directory: shared by the restorer and detector
adapters. Nothing is ever fetched (`local_files_only=True`) and `trust_remote_code` stays
off, so a model directory cannot run Python of its own."""

from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoImageProcessor, PretrainedConfig, PreTrainedModel

from governance.adapters.hashing import tree_sha256
from governance.model_errors import ModelRunError

PREPROCESSOR_FILE = "preprocessor_config.json"


def directory_digest(directory: Path) -> str:
    """The SHA-256 of the directory's files, after checking it holds a config. Hashed
    first: the digest must describe the files about to be loaded."""
    if not directory.is_dir():
        raise ModelRunError(f"the model directory {directory} does not exist")
    if not (directory / "config.json").is_file():
        raise ModelRunError(f"the model directory {directory} has no config.json")
    try:
        return tree_sha256(directory)
    except OSError as exc:
        raise ModelRunError(f"the files in {directory} cannot be read: {exc}") from exc


def read_config(directory: Path) -> PretrainedConfig:
    try:
        config: PretrainedConfig = AutoConfig.from_pretrained(
            directory, local_files_only=True, trust_remote_code=False
        )
    except Exception as exc:
        raise ModelRunError(
            f"the config.json in {directory} cannot be read: {type(exc).__name__}: {exc}"
        ) from exc
    return config


def load_weights(directory: Path, config: PretrainedConfig, auto_class: Any) -> PreTrainedModel:
    """`auto_class.from_pretrained` on the directory, refused unless every weight loads."""
    try:
        model, info = auto_class.from_pretrained(
            directory,
            config=config,
            local_files_only=True,
            trust_remote_code=False,
            output_loading_info=True,
        )
    except Exception as exc:
        raise ModelRunError(
            f"the weights in {directory} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    # transformers only warns about these and fills the gaps with random values: a
    # restoration that is partly noise, or a detector whose head is noise, must never
    # reach a collection record.
    missing = sorted(info.get("missing_keys", ()))
    mismatched = sorted(str(key) for key in info.get("mismatched_keys", ()))
    if missing or mismatched:
        raise ModelRunError(
            f"the weights in {directory} do not match its config "
            f"(missing: {missing[:5]}, wrong shape: {mismatched[:5]})"
        )
    # Half-precision checkpoints are slow or unsupported on CPU, and float32 keeps
    # repeated runs bit-identical.
    model.to(torch.float32)
    model.eval()
    loaded: PreTrainedModel = model
    return loaded


def read_processor(directory: Path) -> Any | None:
    """The directory's image processor, or None where it has none."""
    if not (directory / PREPROCESSOR_FILE).is_file():
        return None
    try:
        # transformers leaves this one unannotated.
        return AutoImageProcessor.from_pretrained(  # type: ignore[no-untyped-call]
            directory, local_files_only=True, trust_remote_code=False
        )
    except Exception as exc:
        raise ModelRunError(
            f"the {PREPROCESSOR_FILE} in {directory} cannot be read: {type(exc).__name__}: {exc}"
        ) from exc
