"""The house's layers, read from the imports of every module in chalicelib/ (those inside functions and
under TYPE_CHECKING too: a lazy import is still a dependency). One composition root (bootstrap.py) builds
every service and hands each its collaborators; below it, calls only go down:

    bootstrap.py (and the operator's command, cli.py)
      api/            the HTTP side             notifications/   the stream's side (e-mails)
      services/       use cases
      webhooks/       the delivery pipeline the webhook service and the stream hand events to
      auth/           tokens, passwords, the caller
      storage/        DynamoDB
      event_payloads  the published models of the domain's events (storage checks each before writing it)
      domain/         pure Python
      config.py, logs.py, lazy.py, retry.py

A module may import its own package, and any package below its own. The one way up is a port: a
storage adapter implements a protocol its service declares (`PORTS`), which imports only the domain.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
ENTRY = frozenset({"chalicelib.bootstrap", "chalicelib.cli"})
RANK = {
    "api": 7,
    "notifications": 7,
    "services": 6,
    "webhooks": 5,
    "auth": 4,
    "storage": 3,
    "event_payloads": 2,
    "rendering": 2,  # words, money, dates and templates of e-mails and pages: used by api and notifications
    "domain": 1,
    "config": 0,
    "logs": 0,
    "lazy": 0,
    "retry": 0,
}
# Ports: protocols (and their values) a service declares and a storage adapter implements.
PORTS = frozenset({"chalicelib.services.order_store", "chalicelib.services.document_files"})
# The views' accessor of what bootstrap built (the Chalice samples' `get_app_db()`): the API's alone.
LOCATOR_USERS = ("api",)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports(name: str) -> set[str]:
    """The chalicelib modules `name` imports (a name imported from a package counts as its module)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module for a in node.names
            }
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: imports(name) for name in MODULES}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def upward() -> Iterator[str]:
    for name, deps in GRAPH.items():
        if name in ENTRY:
            continue
        for dep in deps:
            if dep in ENTRY:
                if not (dep == "chalicelib.bootstrap" and layer(name) in LOCATOR_USERS):
                    yield f"{name} → {dep} (the composition root is above every layer)"
            elif layer(name) == layer(dep) or (layer(name) == "storage" and dep in PORTS):
                continue
            elif RANK[layer(dep)] >= RANK[layer(name)]:
                yield f"{name} → {dep}"


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
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
                found.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return found


def test_every_package_has_a_layer() -> None:
    assert {layer(n) for n in MODULES if n not in ENTRY} - {"chalicelib"} <= set(RANK)


def test_imports_only_point_down() -> None:
    assert sorted(upward()) == []


def test_no_import_cycle() -> None:
    assert cycles() == []


def test_ports_import_only_the_domain() -> None:
    for port in PORTS:
        assert {layer(d) for d in GRAPH[port]} <= {"domain", "storage"}, port  # storage: types only
        runtime = {d for d in GRAPH[port] if layer(d) == "storage"}
        source = MODULES[port].read_text(encoding="utf-8")
        assert all(f"from {d} import" in source.split("if TYPE_CHECKING:")[1] for d in runtime), port


@pytest.mark.parametrize("name", [n for n in MODULES if n not in ENTRY and layer(n) not in LOCATOR_USERS])
def test_no_service_locator_below_the_api(name: str) -> None:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Name | ast.alias) and "get_services" in ast.dump(n)]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Global)], "a global of its own"


def test_the_checks_see_a_wrong_import() -> None:
    """The walk is not blind: storage importing a service would be seen, and the cycle it makes."""
    GRAPH["chalicelib.storage.keys"].add("chalicelib.services.orders")
    try:
        assert "chalicelib.storage.keys → chalicelib.services.orders" in list(upward())
        assert any("chalicelib.storage.keys" in c for c in cycles())
    finally:
        GRAPH["chalicelib.storage.keys"].discard("chalicelib.services.orders")
