"""The shape of the code: layers import one way, no import cycle, no private name used across modules, workers
get functions, files stay small. Read from the source with `ast` (nothing is imported), so a new file is checked
the moment it exists."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500

#: What each part of the library may import besides itself (docs/design.md explains the order).
BASE = ("musicrnn.errors", "musicrnn.files", "musicrnn.records", "musicrnn.notation")
ALLOWED = {
    "musicrnn.errors": (),
    "musicrnn.files": ("musicrnn.errors",),
    "musicrnn.notation": ("musicrnn.errors",),
    "musicrnn.records": ("musicrnn.errors",),
    "musicrnn.data": BASE,
    "musicrnn.model": BASE + ("musicrnn.data",),
    "musicrnn.generation": BASE + ("musicrnn.data", "musicrnn.model"),
    "musicrnn.inspection": BASE + ("musicrnn.data", "musicrnn.model", "musicrnn.generation"),
    "musicrnn.training": BASE + ("musicrnn.data", "musicrnn.model", "musicrnn.generation", "musicrnn.inspection"),
    "musicrnn.music": BASE,
    "musicrnn.tunebook": BASE,
    "musicrnn.report": BASE + ("musicrnn.data", "musicrnn.model", "musicrnn.generation", "musicrnn.inspection",
                               "musicrnn.training", "musicrnn.music"),
    "musicrnn.cli": ("musicrnn",),
    "musicrnn.__main__": ("musicrnn.cli",),
    "musicrnn": (),  # the package's __init__
}
FIRST_PARTY = ("musicrnn", "app_support", "pages", "app", "tests", "benchmarks")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def sources(*folders: str) -> dict[str, Path]:
    out = {}
    for folder in folders:
        p = ROOT / folder
        for f in ([p] if p.suffix == ".py" else sorted(p.rglob("*.py"))):
            out[module_name(f)] = f
    return out


def imports_of(path: Path, name: str) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import of a file, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((base, [a.name for a in node.names], node.lineno))
    return found


def graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> first-party modules it imports (`from pkg import mod` counts as importing `pkg.mod`)."""
    g: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for target, names, _ in imports_of(path, name):
            if not target.startswith(FIRST_PARTY):
                continue
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
            deps.update(subs or [target])
        g[name] = {d for d in deps if d != name}
    return g


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `g` as a list of modules (first = last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(g.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d in g and d not in state:
                cycle = visit(d)
                if cycle:
                    return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            cycle = visit(n)
            if cycle:
                return cycle
    return None


def layer(module: str) -> str:
    """The ALLOWED key a library module belongs to."""
    for key in sorted(ALLOWED, key=len, reverse=True):
        if module == key or (key != "musicrnn" and module.startswith(key + ".")):
            return key
    return module


def backward_imports(g: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, deps in g.items():
        if not mod.startswith("musicrnn"):
            continue
        own = layer(mod)
        allowed = ALLOWED.get(own)
        assert allowed is not None, f"{mod}: not in a known layer; add it to ALLOWED and docs/design.md"
        for d in deps:
            if not d.startswith("musicrnn"):
                bad.append(f"{mod} imports {d}: the library never imports the app, tests or benchmarks")
            elif layer(d) != own and not any(d == a or d.startswith(a + ".") for a in allowed):
                bad.append(f"{mod} ({own}) imports {d} ({layer(d)})")
    return bad


LIBRARY = sources("musicrnn")
EVERYTHING = {**LIBRARY, **sources("app_support", "pages", "app.py", "tests", "benchmarks")}


def test_no_import_cycle():
    cycle = find_cycle(graph({**LIBRARY, **sources("app_support", "pages", "app.py")}))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_dependencies_point_one_way():
    assert backward_imports(graph(LIBRARY)) == []


def test_tests_never_import_benchmarks():
    g = graph(sources("tests"))
    assert [f"{m} imports {d}" for m, ds in g.items() for d in ds if d.startswith("benchmarks")] == []


def test_the_checks_catch_a_cycle_and_a_backward_arrow():
    g = {"musicrnn.data.a": {"musicrnn.data.b"}, "musicrnn.data.b": {"musicrnn.data.c"},
         "musicrnn.data.c": {"musicrnn.data.a"}}
    assert find_cycle(g) == ["musicrnn.data.a", "musicrnn.data.b", "musicrnn.data.c", "musicrnn.data.a"]
    assert find_cycle({"musicrnn.data.a": {"musicrnn.data.b"}, "musicrnn.data.b": set()}) is None
    assert backward_imports({"musicrnn.music.midi": {"musicrnn.model.network"}}) == [
        "musicrnn.music.midi (musicrnn.music) imports musicrnn.model.network (musicrnn.model)"]
    assert backward_imports({"musicrnn.data.stream": {"musicrnn.training.loop"}})
    assert backward_imports({"musicrnn.model.checkpoint": {"musicrnn.data.vocab"}}) == []


def test_no_private_name_is_used_outside_its_module():
    bad = []
    for name, path in EVERYTHING.items():
        tree = ast.parse(path.read_text())
        modules = set()
        for target, names, line in imports_of(path, name):
            if target.startswith(FIRST_PARTY):
                bad += [f"{path.relative_to(ROOT)}:{line} imports {target}.{n}" for n in names
                        if n.startswith("_") and n != "__version__"]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith(FIRST_PARTY))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(FIRST_PARTY):
                modules.update(a.asname or a.name for a in node.names)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in modules):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert bad == []


def test_workers_get_functions_not_module_strings():
    pattern = re.compile(r"""["'](musicrnn|app_support|tests)(\.\w+)*:\w+["']""")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in EVERYTHING.values()
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_library_files_stay_small(name):
    assert len(LIBRARY[name].read_text().splitlines()) <= MAX_LINES
