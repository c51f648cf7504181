"""The package's shape (docs/architecture.md): no import cycle between modules, no module importing another
module's private names. Read from the source (AST), function-level imports included."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "archive_fed"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(target module, imported name or None, line) for every archive_fed import in ``path``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
                   for n in ast.walk(block)}   # annotations only: never executed
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "archive_fed"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.split(".")[0] != "archive_fed":
                continue
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                found.append((sub, None, node.lineno) if sub in modules else (origin, alias.name, node.lineno))
    return found


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    private = []
    for name, path in modules.items():
        for target, imported, line in _imports(name, path, modules):
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target != name:
                graph[name].add(target)
            if imported and imported.startswith("_") and not imported.startswith("__"):
                private.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {target}.{imported}")
    return graph, private


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
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
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_package():
    graph, _ = _graph()
    assert "archive_fed.harvest.pipeline" in graph["archive_fed.harvest.local"]
    assert "archive_fed.sources.records" in graph["archive_fed.sources.ode"]


def test_no_import_cycle_between_modules():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_no_module_imports_a_private_name_of_another():
    _, private = _graph()
    assert private == []


def test_adapters_never_import_each_other():
    graph, _ = _graph()
    adapters = {f"archive_fed.sources.{n}" for n in ("pds_api", "ode", "epntap", "pdap", "pds3_volume",
                                                     "pds4_bundle")}
    assert {a: sorted(graph[a] & adapters) for a in adapters if graph[a] & adapters} == {}


def test_catalog_never_imports_federated_harvest_or_sources():
    graph, _ = _graph()
    upward = ("archive_fed.federated", "archive_fed.harvest", "archive_fed.sources", "archive_fed.cli")
    assert {m: sorted(t for t in deps if t.startswith(upward)) for m, deps in graph.items()
            if m.startswith("archive_fed.catalog") and any(t.startswith(upward) for t in deps)} == {}


def test_the_runtime_never_imports_the_test_data():
    graph, _ = _graph()
    assert {m: sorted(t for t in deps if t.startswith("archive_fed.testing")) for m, deps in graph.items()
            if not m.startswith("archive_fed.testing")
            and any(t.startswith("archive_fed.testing") for t in deps)} == {}


def test_no_module_reaches_into_a_private_attribute_of_another():
    """``module._name`` on an imported archive_fed module is a private import by another route."""
    found = []
    for path in _modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("archive_fed")}
            elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("archive_fed")):
                modules |= {a.asname or a.name for a in node.names}
        found += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value.id}.{node.attr}"
                  for node in ast.walk(tree) if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in modules and node.attr.startswith("_") and not node.attr.startswith("__")]
    assert found == []


def test_the_architecture_page_names_every_package():
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert [p for p in packages if f"`{p}/`" not in page] == []
