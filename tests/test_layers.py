"""The flow in one direction, checked: the stage order of docs/contributing.md as a contract, no import circle,
and modules and functions of a size a reader takes in.

An import is an edge wherever it is written: at the top, inside a function, or under ``TYPE_CHECKING`` (a
circle a type checker needs is still a circle a reader follows); ``from pkg import submodule`` is an edge to
the submodule. Read from the source with `ast`, so no module is imported and the test needs nothing started.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The stages, top first. A module may import its own stage's modules and any stage below its own; the
#: stages grouped in one tuple are siblings that do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cutover.__main__",),
    ("cutover.plugin", "cutover.cli", "cutover.checks"),
    ("cutover.outputs",),
    ("cutover.closing",),
    ("cutover.gates",),
    ("cutover.history",),
    ("cutover.evidence", "cutover.sandbox"),
    ("cutover.judge",),
    ("cutover.net", "cutover.stores"),
    ("cutover.config",),
    ("cutover.base",),
)
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for path in ROOT.joinpath("cutover").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in ROOT.joinpath("checks").glob("*.py"):  # shipped as cutover.checks (pyproject's package-dir)
        mods["cutover.checks" if path.stem == "__init__" else f"cutover.checks.{path.stem}"] = path
    return mods


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module an imported name lives in: itself when it is a module, else the closest package."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            target = _target(name) if name.startswith("cutover") else None
            if target is not None and target != module:
                yield target


EDGES = {m: set(_imports(m, p)) for m, p in MODULES.items()}


def _stage(module: str) -> tuple[int, str]:
    for i, group in enumerate(LAYERS):
        for stage in group:
            if module == stage or module.startswith(stage + "."):
                return i, stage
    raise AssertionError(f"{module} is in no stage of LAYERS: add it to the picture in docs/contributing.md too")


def test_every_module_has_a_stage() -> None:
    for module in MODULES:
        if module != "cutover":  # the package itself: a docstring
            _stage(module)


def test_imports_point_down_the_stages() -> None:
    wrong = []
    for module, targets in sorted(EDGES.items()):
        if module == "cutover":
            continue
        (level, stage) = _stage(module)
        for target in sorted(targets):
            t_level, t_stage = _stage(target)
            if t_stage != stage and t_level <= level:
                wrong.append(f"{module} -> {target} ({stage} may import only the stages below it)")
    assert not wrong, "\n".join(wrong)


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components over every edge: a component of two or more is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in EDGES.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in EDGES:
        if v not in index:
            visit(v)
    assert not circles, circles


def test_the_contract_sees_what_it_checks() -> None:
    """The parser finds the edges the contract rests on (a test of the test: an empty graph passes everything)."""
    assert "cutover.gates.run_verdict" in EDGES["cutover.closing.record"]
    assert "cutover.history.phases" in EDGES["cutover.gates.lifecycle"]
    assert "cutover.closing.record" in EDGES["cutover.plugin.run"]  # imported inside a method and under TYPE_CHECKING


@pytest.mark.parametrize("rule", ["net reads no store", "the sandbox imports no gate"])
def test_named_rules(rule: str) -> None:
    frm, to = {"net reads no store": ("cutover.net", "cutover.stores"),
               "the sandbox imports no gate": ("cutover.sandbox", "cutover.gates")}[rule]
    offending = [f"{m} -> {t}" for m, ts in EDGES.items() if m.startswith(frm) for t in ts if t.startswith(to)]
    assert not offending, offending


def test_the_run_verdict_is_decided_in_one_function_outside_the_outputs() -> None:
    """`cutover.gates.run_verdict.decide` is called by the run's closing only; the outputs render its result."""
    callers = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if module != "cutover.gates.run_verdict" and ("run_verdict.decide(" in text or "sentence(records" in text):
            callers.append(module)
    assert callers == ["cutover.closing.record"], callers
    for module, path in MODULES.items():
        if module.startswith("cutover.outputs"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "cutover.gates.run_verdict":
                    assert {a.name for a in node.names} <= {"INCOMPLETE", "RunVerdict", "CUT_OVER_VERDICT"}, module


def test_modules_and_functions_stay_readable() -> None:
    long_modules = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    long_functions = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{module}.{node.name}: {length} lines")
    assert not long_modules, f"over {MAX_MODULE_LINES} lines: {long_modules}"
    assert not long_functions, long_functions
