"""House rules that the code itself can check."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("rights", "labeling", "explain")
# Only these modules may import the model and C2PA libraries.
ADAPTERS = {
    # tests/test_c2pa_alone.py reads outputs as an outside verifier would: c2pa alone.
    "c2pa": {"labeling/c2pa_read.py", "labeling/c2pa_sign.py", "tests/labeling/test_c2pa_alone.py"},
    # Tests build tiny transformers models from configs, as a deployment would save its own.
    "transformers": {"governance/adapters/hf.py", "tests/support/tiny_models.py"},
    "captum": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources() -> list[Path]:
    return [
        p
        for pkg in ("governance", *LIBRARIES, "bench", "tests")
        for p in (ROOT / pkg).rglob("*.py")
    ]


def test_model_libraries_only_in_adapters() -> None:
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        for library, allowed in ADAPTERS.items():
            if library in _imports(path):
                assert relative in allowed, f"{relative} imports {library}"


def test_libraries_never_import_the_service_or_each_other() -> None:
    for library in LIBRARIES:
        for path in (ROOT / library).rglob("*.py"):
            forbidden = {"governance", *LIBRARIES} - {library}
            assert not (_imports(path) & forbidden), path


def test_services_never_import_fastapi_and_endpoints_never_query() -> None:
    for path in [
        *(ROOT / "governance").rglob("*.py"),
        *[p for lib in LIBRARIES for p in (ROOT / lib).rglob("*.py")],
    ]:
        relative = path.relative_to(ROOT).as_posix()
        imports = _imports(path)
        if "fastapi" in imports or "starlette" in imports:
            assert relative.startswith("governance/api/") or relative in {
                "governance/app.py",
                "governance/cli/demo.py",
            }, relative
        if relative.startswith("governance/api/"):
            assert not imports & {"sqlalchemy"}, relative
            source = path.read_text()
            assert (
                "select(" not in source and ".commit(" not in source
            ) or relative == "governance/api/deps.py", relative


def test_files_stay_small() -> None:
    for path in _sources():
        assert len(path.read_text().splitlines()) <= 400, path


def test_only_adapters_and_builtin_models_touch_torch() -> None:
    # Every model runs through the governed pipeline: the service reaches torch only
    # through the adapters, which load the built-in models or a deployment's own.
    for pkg in ("governance", *LIBRARIES):
        for path in (ROOT / pkg).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "torch" in _imports(path):
                assert relative.startswith(("governance/builtin/", "governance/adapters/")), (
                    relative
                )
