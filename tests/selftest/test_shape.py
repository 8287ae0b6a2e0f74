"""The shape of the package's classes: none grows past a reader's view, and none is written into
from another module (the module that defines a class owns its state; others ask it, by a method)."""

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from chaser_conformance.contract.layout import PACKAGE_DIR
from test_structure import PACKAGE, _module_name

MAX_METHODS = 15


def _modules(root=PACKAGE_DIR, package=PACKAGE):
    """Each module of the package -> its parsed source."""
    return {
        _module_name(path, root, package): ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(Path(root).rglob("*.py"))
    }


def _classes(tree):
    """Every class of a module, nested ones too, with its dotted name inside the module."""

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield f"{prefix}{child.name}", child
                yield from walk(child, f"{prefix}{child.name}.")
            elif not isinstance(child, ast.Lambda):
                yield from walk(child, prefix)

    yield from walk(tree, "")


def _methods(cls):
    return [node for node in cls.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def crowded_classes(root=PACKAGE_DIR, package=PACKAGE, most=MAX_METHODS):
    """'module.Class' -> its count of methods (every def in its body: properties, dunders, static
    methods), for each class with more than `most`."""
    return {
        f"{module}.{name}": len(_methods(cls))
        for module, tree in _modules(root, package).items()
        for name, cls in _classes(tree)
        if len(_methods(cls)) > most
    }


# --- who writes into whose objects ---------------------------------------------------------------


def _targets(node):
    """The expressions an assignment statement writes to, tuples unpacked."""
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        found = [node.target]
    else:
        return []
    flat = []
    while found:
        target = found.pop()
        if isinstance(target, ast.Tuple | ast.List):
            found.extend(target.elts)
        elif isinstance(target, ast.Starred):
            found.append(target.value)
        else:
            flat.append(target)
    return flat


def _setattr(node):
    """(the object, the attribute's name) of `setattr(X, "name", v)` or `object.__setattr__(X, "name", v)`."""
    if not isinstance(node, ast.Call) or len(node.args) != 3:
        return None
    f = node.func
    plain = isinstance(f, ast.Name) and f.id == "setattr"
    dunder = isinstance(f, ast.Attribute) and f.attr == "__setattr__"
    name = node.args[1]
    if (plain or dunder) and isinstance(name, ast.Constant) and isinstance(name.value, str):
        return node.args[0], name.value
    return None


def _writes(tree):
    """(line, the object written into, the attribute's name) of every attribute write in a module."""
    for node in ast.walk(tree):
        for target in _targets(node):
            if isinstance(target, ast.Attribute):
                yield node.lineno, target.value, target.attr
        if (call := _setattr(node)) is not None:
            yield node.lineno, *call


def _is_own(obj):
    return isinstance(obj, ast.Name) and obj.id in ("self", "cls")


def _attributes(cls):
    """The attributes a class gives its objects: fields and class attributes in its body, and
    what its methods set on self (or cls)."""
    names = set()
    for node in cls.body:
        for target in _targets(node):
            if isinstance(target, ast.Name):
                names.add(target.id)
    for method in _methods(cls):
        for _, obj, attr in _writes(method):
            if _is_own(obj):
                names.add(attr)
    return names


def _imported(module, tree, is_package):
    """The names a module imports from others, each -> (the module, the name there)."""
    here = module if is_package else module.rpartition(".")[0]
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), here)
            for alias in node.names:
                names[alias.asname or alias.name] = (base, alias.name)
    return names


class _Types:
    """Where the package's classes are, and what a name in a module stands for: `of(module, name)`
    is the module that defines the class `name` means there (following re-exports), or None."""

    def __init__(self, modules, root, package):
        self.defined = {module: {name for name, _ in _classes(tree)} for module, tree in modules.items()}
        self.imports = {
            module: _imported(module, tree, (Path(root) / Path(*module.split(".")[1:]) / "__init__.py").is_file())
            for module, tree in modules.items()
        }

    def of(self, module, name, seen=()):
        if name in self.defined.get(module, ()):
            return module
        source = self.imports.get(module, {}).get(name)
        if source is None or source in seen:
            return None
        submodule = f"{source[0]}.{source[1]}"
        return None if submodule in self.defined else self.of(*source, (*seen, source))

    def of_annotation(self, module, annotation):
        """The defining modules of the package classes an annotation names (`A | None`, "A")."""
        if annotation is None:
            return set()
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return set()
        if isinstance(annotation, ast.BinOp):
            return self.of_annotation(module, annotation.left) | self.of_annotation(module, annotation.right)
        if isinstance(annotation, ast.Name):
            found = self.of(module, annotation.id)
            return {(found, annotation.id)} if found else set()
        return set()


def _self_attribute_types(types, module, cls):
    """Attribute of self -> the package classes it holds: from `self.a = C(...)`, `self.a: C = ...`,
    `self.a = p` with p an annotated parameter, and annotated fields in the class body."""
    found = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, set()).update(types.of_annotation(module, node.annotation))
    for method in _methods(cls):
        parameters = {a.arg: a.annotation for a in (*method.args.args, *method.args.kwonlyargs)}
        for node in ast.walk(method):
            for target in _targets(node):
                if isinstance(target, ast.Attribute) and _is_own(target.value):
                    held = found.setdefault(target.attr, set())
                    held |= types.of_annotation(module, getattr(node, "annotation", None))
                    value = node.value
                    if isinstance(value, ast.Call):
                        held |= types.of_annotation(module, value.func)
                    elif isinstance(value, ast.Name) and value.id in parameters:
                        held |= types.of_annotation(module, parameters[value.id])
    return found


def _typed_writes(types, module, tree):
    """(line, object, attribute, the package classes the object is known to be) of the writes
    whose object's class is known: an annotated parameter, `x = C(...)`, `x = self.a` or `self.a`
    with self.a known (see _self_attribute_types)."""
    held_by_self = {}
    functions = []
    for _, cls in _classes(tree):
        attributes = _self_attribute_types(types, module, cls)
        for method in _methods(cls):
            held_by_self[method] = attributes
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append(node)
    for function in functions:
        attributes = held_by_self.get(function, {})
        known = {
            a.arg: types.of_annotation(module, a.annotation) for a in (*function.args.args, *function.args.kwonlyargs)
        }

        def of(obj, known=known, attributes=attributes):
            if isinstance(obj, ast.Name):
                return known.get(obj.id, set())
            if isinstance(obj, ast.Attribute) and _is_own(obj.value):
                return attributes.get(obj.attr, set())
            return set()

        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = node.value
                classes = types.of_annotation(module, value.func) if isinstance(value, ast.Call) else of(value)
                if classes:
                    known[node.targets[0].id] = known.get(node.targets[0].id, set()) | classes
        for line, obj, attr in _writes(function):
            if not _is_own(obj) and (classes := of(obj)):
                yield line, obj, attr, classes


@dataclass(frozen=True)
class Write:
    module: str
    line: int
    obj: str  # the expression written into, as written
    attr: str
    owners: tuple[str, ...]  # the package's classes of other modules that have this attribute

    def __str__(self):
        return f"{self.module}:{self.line} {self.obj}.{self.attr} (an attribute of {', '.join(self.owners)})"


def foreign_writes(root=PACKAGE_DIR, package=PACKAGE):
    """Attribute writes (`X.a = ...`, `X.a += ...`, `setattr(X, "a", ...)`, X not self or cls) into
    what is most likely an object of a class of another module of the package: the attribute
    belongs to a class of another module and to no class of the writing module, or X is known
    (an annotation, a constructor call) to be an object of another module's class."""
    modules = _modules(root, package)
    types = _Types(modules, root, package)
    owners = {}  # attribute -> {(module, class)}
    local = {}  # module -> the attributes of its own classes
    for module, tree in modules.items():
        local[module] = set()
        for name, cls in _classes(tree):
            for attr in _attributes(cls):
                owners.setdefault(attr, set()).add((module, name))
                local[module].add(attr)
    found = {}
    for module, tree in modules.items():
        for line, obj, attr in _writes(tree):
            if _is_own(obj) or attr in local[module]:
                continue
            elsewhere = sorted(f"{m}.{c}" for m, c in owners.get(attr, ()) if m != module)
            if elsewhere:
                found[module, line, attr] = Write(module, line, ast.unparse(obj), attr, tuple(elsewhere))
        for line, obj, attr, classes in _typed_writes(types, module, tree):
            elsewhere = sorted(f"{m}.{c}" for m, c in classes if m != module)
            if elsewhere and (module, line, attr) not in found:
                found[module, line, attr] = Write(module, line, ast.unparse(obj), attr, tuple(elsewhere))
    return sorted(found.values(), key=lambda w: (w.module, w.line, w.attr))


# Writes the heuristic finds that go into objects of other libraries, whose API is setting an
# attribute: (writing module, the object as written, the attribute) -> why it is not ours.
ALLOWED_WRITES = {
    ("chaser_conformance.run.hooks", "report", "title"): "pytest-html's report: its title hook sets report.title",
    ("chaser_conformance.run.hooks", "report", "outcome"): "pytest's TestReport: a hook tells every plugin its outcome",
    ("chaser_conformance.server.catalogue.perspectives", "response", "status"): "werkzeug's Response.status setter",
    ("chaser_conformance.server.catalogue.switch", "response", "status"): "werkzeug's Response.status setter",
    ("chaser_conformance.transport.client", "response", "reason"): "a requests.Response filled as its adapters do",
    ("chaser_conformance.transport.client", "response", "url"): "a requests.Response filled as its adapters do",
    ("chaser_conformance.transport.client", "response", "headers"): "a requests.Response filled as its adapters do",
    ("chaser_conformance.transport.client", "response.request", "url"): "requests' PreparedRequest, its url as sent",
    ("chaser_conformance.transport.verbatim", "conn", "response_class"): "http.client.HTTPConnection's response hook",
}


def offending(writes, allowed=ALLOWED_WRITES):
    return [w for w in writes if (w.module, w.obj, w.attr) not in allowed]


def test_no_class_has_more_than_15_methods():
    crowded = crowded_classes()
    assert not crowded, f"classes with more than {MAX_METHODS} methods (split them): {crowded}"


def test_no_module_writes_into_another_modules_objects():
    writes = foreign_writes()
    assert any(w.module.endswith("transport.verbatim") for w in writes)  # the search is not blind by mistake
    found = offending(writes)
    assert not found, "writes into another module's objects (give the owning class a method):\n" + "\n".join(
        map(str, found)
    )


def test_the_allowed_writes_are_still_made():
    made = {(w.module, w.obj, w.attr) for w in foreign_writes()}
    stale = sorted(set(ALLOWED_WRITES) - made)
    assert not stale, f"allowed writes that no module makes any more (remove them): {stale}"


def _package(tmp_path, files):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .a import Box\n")
    for name, text in files.items():
        (package / name).write_text(text)
    return package


def test_counting_methods_counts_every_def_of_the_class_body(tmp_path):
    body = "".join(f"    def m{i}(self):\n        pass\n" for i in range(13))
    package = _package(
        tmp_path,
        {
            "a.py": (
                "class Box:\n"
                "    def __init__(self):\n        self.size = 0\n"
                "    @property\n    def area(self):\n        return 1\n"
                f"{body}"
                "    class Inner:\n        def one(self):\n            pass\n"
                "def outside():\n    pass\n"
            ),
        },
    )
    assert crowded_classes(package, "pkg", most=15) == {}  # 15 defs, __init__ and the property included
    assert crowded_classes(package, "pkg", most=14) == {"pkg.a.Box": 15}
    assert crowded_classes(package, "pkg", most=0) == {"pkg.a.Box": 15, "pkg.a.Box.Inner": 1}


def test_a_write_into_another_modules_object_is_found(tmp_path):
    package = _package(
        tmp_path,
        {
            "a.py": (
                "from dataclasses import dataclass\n"
                "@dataclass\nclass Box:\n    size: int = 0\n"
                "    def grow(self):\n        self.size += 1\n        self.grown = True\n"
                "def shrink(box):\n    box.size = 0\n"  # the owner's module: its own object
            ),
            "b.py": (
                "from . import Box\n"
                "def resize(box):\n    box.size = 3\n"  # another module's object, by its attribute
                "def regrow(thing):\n    setattr(thing, 'grown', False)\n"
                "def report_outcome(report):\n    report.outcome = 'passed'\n"  # no class of ours has it
                "def allowed(response):\n    response.size = 1\n"  # a third party's, allowed below
            ),
            "c.py": (
                "from .a import Box\n"
                "class Local:\n    def __init__(self):\n        self.size = 1\n"
                "def mine(local):\n    local.size = 2\n"  # a class of this module has `size`: its own
                "def theirs(box: Box):\n    box.size += 2\n"  # yet a Box is known to be another module's
                "def made():\n    box = Box()\n    box.size = 1\n"
                "class Holder:\n    def __init__(self, box: Box):\n        self.box = box\n"
                "    def touch(self):\n        self.box.size = 5\n        self.size = 0\n"
            ),
        },
    )
    writes = foreign_writes(package, "pkg")
    assert [(w.module, w.line, w.obj, w.attr) for w in writes] == [
        ("pkg.b", 3, "box", "size"),
        ("pkg.b", 5, "thing", "grown"),
        ("pkg.b", 9, "response", "size"),
        ("pkg.c", 8, "box", "size"),
        ("pkg.c", 11, "box", "size"),
        ("pkg.c", 16, "self.box", "size"),
    ]
    assert writes[0].owners == ("pkg.a.Box", "pkg.c.Holder", "pkg.c.Local")  # every class with a `size`
    assert writes[3].owners == ("pkg.a.Box",)  # the class `box: Box` names
    allowed = {("pkg.b", "response", "size"): "a third party's object"}
    assert [(w.module, w.line) for w in offending(writes, allowed)] == [
        ("pkg.b", 3),
        ("pkg.b", 5),
        ("pkg.c", 8),
        ("pkg.c", 11),
        ("pkg.c", 16),
    ]
