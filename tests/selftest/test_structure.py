"""The package's shape: which of its modules import which, and no import circle among them."""

import ast
import collections
import itertools
from pathlib import Path

from chaser_conformance.contract.layout import PACKAGE_DIR

PACKAGE = "chaser_conformance"


def _module_name(path, root, package):
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((package, *parts))


def import_graph(root=PACKAGE_DIR, package=PACKAGE):
    """Each module of the package -> the set of the package's modules it imports.

    Every import statement counts, wherever it is: at module level, inside a function (a circle
    that only closes at the first call is still a circle) and under `if TYPE_CHECKING:`. Relative
    imports are resolved; `from pkg import name` imports the module `pkg.name` if there is one,
    else `pkg` itself. Importing a submodule is not counted as importing its parent packages.
    """
    files = {_module_name(path, root, package): path for path in sorted(Path(root).rglob("*.py"))}
    graph = {}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{node.module}" if node.module else anchor
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in files else base)
        graph[name] = {target for target in targets if target in files and target != name}
    return graph


def cycles(graph):
    """One import circle, as [a, b, ..., a], for each group of modules that reach one another."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = itertools.count()

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_circle(graph, group) for group in groups)


def _circle(graph, group):
    # The shortest way from the group's first module back to itself, inside the group.
    start = min(group)
    previous = {}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph.get(node, ())):
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if successor in group and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    raise AssertionError(f"no circle through {start} in {sorted(group)}")


def _in_server(module):
    return module == f"{PACKAGE}.server" or module.startswith(f"{PACKAGE}.server.")


def test_the_reference_server_has_no_import_circle():
    graph = import_graph()
    assert f"{PACKAGE}.server.catalogue" in graph[f"{PACKAGE}.server.app"]  # the graph is not empty by mistake
    circles = [circle for circle in cycles(graph) if any(map(_in_server, circle))]
    assert not circles, "import circles: " + "; ".join(" -> ".join(circle) for circle in circles)


def test_the_import_graph_sees_every_kind_of_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .a import thing\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nimport json\nif TYPE_CHECKING:\n    from .sub import b\nthing = 1\n"
    )
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("def late():\n    from .. import a\n    import pkg.sub.c\n")
    (package / "sub" / "c.py").write_text("from pkg.sub import b\nfrom . import nothing_here\n")
    graph = import_graph(package, "pkg")
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.sub.b"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg.a", "pkg.sub.c"},
        "pkg.sub.c": {"pkg.sub.b", "pkg.sub"},
    }
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


def test_cycles_names_each_circle_once():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["d", "d"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


MAX_MODULE_LINES = 400


def test_the_package_has_no_import_circle():
    graph = import_graph()
    assert f"{PACKAGE}.transport.client" in graph[f"{PACKAGE}.checks.judge"]  # the graph is not empty by mistake
    circles = cycles(graph)
    assert not circles, "import circles: " + "; ".join(" -> ".join(circle) for circle in circles)


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(PACKAGE_DIR)): n
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


# The package by layer, lowest first: a folder imports only folders below it (and itself); the
# entry points at the top import any. A newcomer finds a thing by its room's name.
LAYERS = [
    "contract",
    "settings",
    "server",
    "transport",
    "offline",
    "generators",
    "checks",
    "reports",
    "run",
    "commands",
]
ENTRY_POINTS = {"__init__", "__main__", "plugin", "cli"}


def _room(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_each_layer_imports_only_the_layers_below_it():
    graph = import_graph()
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if _room(source) and _room(target) and LAYERS.index(_room(target)) > LAYERS.index(_room(source))
    )
    assert not upward, "imports that run back up: " + "; ".join(upward)


def test_the_top_of_the_package_holds_only_entry_points_and_folders():
    top = {path.stem for path in PACKAGE_DIR.glob("*.py")}
    folders = {path.name for path in PACKAGE_DIR.iterdir() if (path / "__init__.py").is_file()}
    assert top == ENTRY_POINTS
    assert folders == set(LAYERS)
