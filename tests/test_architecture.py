"""House rules that the code itself can check."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("rights", "labeling", "explain")
# Only these modules may import the model and C2PA libraries.
ADAPTERS = {
    # tests/test_c2pa_alone.py reads outputs as an outside verifier would: c2pa alone.
    "c2pa": {
        "labeling/c2pa_read.py",
        "labeling/c2pa_sign.py",
        "tests/labeling/test_c2pa_alone.py",
        "tests/credentials/test_release_c2pa_alone.py",
    },
    # Tests build tiny transformers models from configs, as a deployment would save its own.
    "transformers": {
        "governance/adapters/hf.py",
        "governance/adapters/hf_detector.py",
        "governance/adapters/hf_files.py",
        "tests/support/tiny_models.py",
        "tests/adapters/tiny_classifiers.py",
    },
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
    # through the adapters, which load the built-in models or a deployment's own. The
    # explain library differentiates a model the adapters loaded and handed it.
    for pkg in ("governance", *LIBRARIES):
        for path in (ROOT / pkg).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "torch" in _imports(path):
                assert relative.startswith(
                    ("governance/builtin/", "governance/adapters/", "explain/")
                ), relative


def test_only_explain_touches_captum() -> None:
    for path in _sources():
        if "captum" in _imports(path):
            relative = path.relative_to(ROOT).as_posix()
            assert relative.startswith(("explain/", "tests/explain/")), relative


# The layers, top to bottom: a module imports only from its own layer or those below.
# Table modules (`*/models.py`) are the schema every layer shares, so they sit in the core.
LAYERS = (
    ("api", ("governance/api/", "governance/cli/", "governance/app.py", "governance/client.py")),
    # What one web page shows, gathered from the domains for governance/api/ui/.
    ("pages", ("governance/pages/",)),
    (
        "pipeline",
        (
            "governance/pipeline/service.py",
            "governance/pipeline/run.py",
            "governance/pipeline/plans.py",
            "governance/pipeline/record.py",
        ),
    ),
    ("stages", ("governance/pipeline/stages/",)),
    ("pipeline types", ("governance/pipeline/",)),
    (
        "domains",
        (
            "governance/works/",
            "governance/aimodels/",
            "governance/credentials/",
            "governance/detectors/",
            "governance/screening/",
            "governance/reviews/",
        ),
    ),
    ("calls and core", ("governance/",)),
    ("libraries", tuple(f"{lib}/" for lib in LIBRARIES)),
)


def _layer(relative: str) -> int:
    if relative.endswith("/models.py") and relative.startswith(
        (
            "governance/calls/",
            "governance/works/",
            "governance/aimodels/",
            "governance/credentials/",
            "governance/auth/",
            "governance/audit/",
            "governance/reviews/",
        )
    ):
        return len(LAYERS) - 2  # the schema: core
    for rank, (_, prefixes) in enumerate(LAYERS):
        if relative.startswith(prefixes):
            return rank
    raise AssertionError(f"{relative} is in no layer")


def _module_path(module: str) -> str | None:
    """The source file of an imported module of this project, if it is one."""
    base = ROOT / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate.relative_to(ROOT).as_posix()
    return None


def _project_imports(path: Path) -> set[str]:
    """The project's modules that `path` imports, as file paths (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` names a module; `from module import name` not.
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            if name.split(".")[0] not in ("governance", *LIBRARIES):
                continue
            module_path = _module_path(name)
            # A package import that names a module below it counts as that module.
            below = any(n.startswith(name + ".") and _module_path(n) for n in names)
            if module_path is not None and not (module_path.endswith("__init__.py") and below):
                found.add(module_path)
    return found


def _graph() -> dict[str, set[str]]:
    paths = [p for pkg in ("governance", *LIBRARIES) for p in (ROOT / pkg).rglob("*.py")]
    return {p.relative_to(ROOT).as_posix(): _project_imports(p) for p in paths}


def test_imports_run_one_way_down_the_layers() -> None:
    wrong = []
    for module, imported in _graph().items():
        for target in imported:
            if _layer(target) < _layer(module):
                wrong.append(
                    f"{module} ({LAYERS[_layer(module)][0]}) imports {target} "
                    f"({LAYERS[_layer(target)][0]})"
                )
    assert not wrong, "\n".join(sorted(wrong))


def test_credentials_never_import_the_pipeline_and_stages_never_each_other() -> None:
    for module, imported in _graph().items():
        if module.startswith("governance/credentials/"):
            assert not any(t.startswith("governance/pipeline/") for t in imported), module
        if module.startswith("governance/pipeline/stages/"):
            others = {t for t in imported if t.startswith("governance/pipeline/stages/")}
            assert others <= {"governance/pipeline/stages/__init__.py"}, (module, others)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _package(module: str) -> str:
    parts = module.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0] + "/" + parts[1].removesuffix(".py")


def test_no_import_circles_between_modules_or_packages() -> None:
    # No module circle anywhere; and above the core (whose small packages, such as auth
    # and the audit log, serve each other), no circle between packages either.
    modules = {m: {t for t in ts if t != m} for m, ts in _graph().items()}
    assert _cycle(modules) is None, " -> ".join(_cycle(modules) or [])
    core = len(LAYERS) - 2
    packages: dict[str, set[str]] = {}
    for module, imported in modules.items():
        if _layer(module) >= core:
            continue
        here = _package(module)
        packages.setdefault(here, set()).update(p for p in map(_package, imported) if p != here)
    assert _cycle(packages) is None, " -> ".join(_cycle(packages) or [])


def test_the_layer_rules_catch_a_wrong_import() -> None:
    # The checks above must be able to fail: an upward import and a circle are seen.
    assert _layer("governance/credentials/service.py") > _layer("governance/pipeline/run.py")
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
