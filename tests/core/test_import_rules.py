"""The package layout's rules, read from the source with `ast` (nothing is imported or run).

DESIGN §2: `analyzer/` is a library that imports nothing from the task domain, and the
packages of `vocalborn` form no import cycle. Both rules rot silently (a cycle only bites when
some entry point happens to import the modules in the wrong order), so they are checked here.

The graph holds every import that can run: at module level, in class bodies and inside
functions (an import moved into a function to dodge a cycle hides the cycle, it does not remove
it), not those under `if TYPE_CHECKING:`. `from x import y` depends on the module `x.y` when y is
a submodule, and importing `a.b.c` also runs the packages `a` and `a.b` (except the importer's
own packages, which are already being initialised).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

import vocalborn

ROOT = Path(vocalborn.__file__).resolve().parent
# Modules of the task domain outside its packages (every subpackage but analyzer/ is one).
DOMAIN_MODULES = {"app", "deps", "models", "cli", "cli_common"}


def module_name(path: Path) -> str:
    parts = ("vocalborn", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def parse_modules() -> dict[str, tuple[Path, ast.Module]]:
    return {
        module_name(path): (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for path in sorted(ROOT.rglob("*.py"))
    }


MODULES = parse_modules()


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(
    node: ast.AST, *, functions: bool = True, type_checking: bool = False
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements under `node`: with `functions`, also those inside functions (run when
    called); with `type_checking`, also those under `if TYPE_CHECKING:` (never run)."""
    return _scan(ast.iter_child_nodes(node), functions, type_checking)


def _scan(
    nodes: Iterable[ast.AST], functions: bool, type_checking: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not functions and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elif not type_checking and isinstance(node, ast.If) and is_type_checking(node.test):
            yield from _scan(node.orelse, functions, type_checking)
        else:
            yield from _scan(ast.iter_child_nodes(node), functions, type_checking)


def targets(importer: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The vocalborn modules `node` (in module `importer`) makes Python load."""
    names: set[str] = set()
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:  # relative: from the importer's package, one level up per extra dot
            anchor = importer.split(".")
            if MODULES[importer][0].name != "__init__.py":
                anchor = anchor[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names = {base}
        names |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    found: set[str] = set()
    own = importer.split(".")
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in MODULES and parts[:i] != own[:i]:
                found.add(prefix)
    found.discard(importer)
    return found


def import_graph(*, functions: bool) -> dict[str, set[str]]:
    """module -> the vocalborn modules it imports when run (`functions`: also when its
    functions are called)."""
    return {
        name: {t for node in import_nodes(tree, functions=functions) for t in targets(name, node)}
        for name, (_, tree) in MODULES.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path `a -> ... -> a`, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_graph_sees_submodules_and_cycles() -> None:
    # The checker itself: `from package import submodule` is an edge to the submodule (also
    # when relative), and a cycle through three modules is found and reported as a path.
    def edges(importer: str, source: str) -> set[str]:
        return {t for node in import_nodes(ast.parse(source)) for t in targets(importer, node)}

    assert "vocalborn.worker.celery_app" in MODULES
    assert edges("vocalborn.app", "from vocalborn.worker import celery_app") == {
        "vocalborn.worker",
        "vocalborn.worker.celery_app",
    }
    assert edges("vocalborn.worker.signals", "from . import registry") == {
        "vocalborn.worker.registry"
    }
    assert edges("vocalborn.app", "def f():\n    import vocalborn.db") == {"vocalborn.db"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_analyser_imports_nothing_from_the_task_domain() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"analyzer"}
    forbidden = [["vocalborn", name] for name in packages | DOMAIN_MODULES]
    offences = []
    for name, (path, tree) in MODULES.items():
        if name != "vocalborn.analyzer" and not name.startswith("vocalborn.analyzer."):
            continue
        for node in import_nodes(tree, type_checking=True):  # anywhere, even in functions
            bad = [t for t in targets(name, node) if t.split(".", 2)[:2] in forbidden]
            if bad:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {max(bad)}")
    assert not offences, "analyzer/ is a library (DESIGN §2):\n" + "\n".join(offences)


def test_the_names_module_is_a_leaf() -> None:
    # worker/names.py exists so that anything may import a queue or task name: it imports
    # nothing from vocalborn, so it can close no cycle.
    assert import_graph(functions=True)["vocalborn.worker.names"] == set()


def test_no_import_cycle() -> None:
    # Imports inside functions count: one placed there to dodge a cycle hides the cycle (the
    # modules still need each other, and the order of first imports decides what breaks).
    cycle = find_cycle(import_graph(functions=True))
    if cycle is None:
        return
    on_load = import_graph(functions=False)
    steps = [
        f"{a} -> {b}" + ("" if b in on_load[a] else "  (inside a function)")
        for a, b in itertools.pairwise(cycle)
    ]
    raise AssertionError("import cycle:\n  " + "\n  ".join(steps))
