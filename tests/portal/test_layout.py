"""The layout keeps its promises (README, "Code layout"): no cycle among the module-level imports
of the portal's own modules, no private name imported from another module, no module over 400
lines. Read from the source with `ast`: nothing is imported to check it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "accounts",
    "allocations",
    "applications",
    "factories",
    "notifications",
    "organisations",
    "portal",
    "reviews",
)
MAX_LINES = 400
LONGER_ALLOWED = {"portal/settings.py": "one settings file, read from the environment (STYLE 11)"}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imported(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each module-level `from … import …` of the portal's own modules."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source.split(".")[0] in PACKAGES:
                out.append((source, [a.name for a in node.names]))
    return out


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for source, names in imported(name, path):
            for imported_name in names:
                target = f"{source}.{imported_name}"
                edges[name].add(target if target in MODULES else source)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_the_module_level_imports_have_no_cycle():
    assert cycles(graph()) == []


def test_it_finds_a_cycle_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{name}: from {source} import {imported_name}"
        for name, path in MODULES.items()
        for source, names in imported(name, path)
        for imported_name in names
        if imported_name.startswith("_") and imported_name != "__version__"
    ]
    assert private == []


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in MODULES.values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
        and str(path.relative_to(ROOT)) not in LONGER_ALLOWED
    }
    assert long == {}


def test_accounts_does_not_import_the_review_domain():
    accounts = [name for name in MODULES if name.startswith("accounts")]
    reaching = {
        f"{name} -> {source}"
        for name in accounts
        for source, _names in imported(name, MODULES[name])
        if source.startswith(("reviews", "allocations", "applications", "organisations"))
    }
    assert reaching == set()


# The people a function acts for or on are typed (`User`, or `User | AnonymousUser` where a
# selector answers anonymous visitors), so that mypy checks every call that passes one.
PEOPLE = frozenset({"user", "reviewer", "approver", "actor", "applicant", "owner"})


def unannotated_people(source: str) -> list[str]:
    """`function(parameter)` for each parameter named after a person that has no annotation;
    a lambda cannot have one, so a lambda taking a person is listed too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        arguments = node.args
        parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        parameters += [p for p in (arguments.vararg, arguments.kwarg) if p is not None]
        name = getattr(node, "name", "lambda")
        found += [
            f"{name}({p.arg}) line {p.lineno}"
            for p in parameters
            if p.arg in PEOPLE and p.annotation is None
        ]
    return found


def test_every_parameter_naming_a_person_is_annotated():
    missing = {
        str(path.relative_to(ROOT)): found
        for path in MODULES.values()
        if (found := unannotated_people(path.read_text()))
    }
    assert missing == {}


def test_it_finds_an_unannotated_person():
    source = (
        "def a(*, user: User, reviewer): ...\n"
        "async def b(actor, approver: User | None = None): ...\n"
        "c = lambda applicant: applicant\n"
        "def d(owner: Entry, other): ...\n"
    )
    assert unannotated_people(source) == [
        "a(reviewer) line 1",
        "b(actor) line 2",
        "lambda(applicant) line 3",
    ]
