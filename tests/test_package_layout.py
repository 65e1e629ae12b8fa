"""The shape of the package: no import cycles (function-level imports included), no module named like a standard
library module, scripts that use the installed package as it is."""
import ast
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _modules():
    """Dotted name -> path of every module of the mgan package."""
    out = {}
    for directory, _, files in os.walk(os.path.join(REPO, "mgan")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(directory, f)
                name = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
                out[name.removesuffix(".__init__")] = path
    return out


def _imports(name, path, modules):
    """The mgan modules ``name`` imports anywhere in its file, with the packages whose __init__ that runs."""
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    deps = set()
    for target in targets:
        parts = target.split(".")
        deps.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules)
    return {d for d in deps if d != name and not name.startswith(d + ".")}  # its own packages are importing already


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, stack + [dep])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["mgan.nets.sampling"] and graph["mgan.training.runner"]  # the graph sees imports at all
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_no_module_shadows_the_standard_library():
    names = {name.rpartition(".")[2] for name in _modules()}
    assert not names & set(sys.stdlib_module_names), names & set(sys.stdlib_module_names)


def test_scripts_import_the_installed_package_without_path_edits():
    for folder in ("reproduce", "benchmarks"):
        for f in os.listdir(os.path.join(REPO, folder)):
            if f.endswith(".py"):
                text = open(os.path.join(REPO, folder, f), encoding="utf-8").read()
                assert "sys.path" not in text, f"{folder}/{f} edits sys.path"


def _top_level_names(path):
    """The names a module defines at its top level (functions, classes, assignments, imports)."""
    names = set()
    for node in ast.parse(open(path, encoding="utf-8").read()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def test_contracts_is_the_module_map():
    """docs/CONTRACTS.md has one entry (a line ``- `mgan.x.y`: ...``) per module of the package and none for a module
    that does not exist; every other ``mgan.x.y`` it names is a module or a top-level name of one, every
    ``mgan/....py`` path a file."""
    import re

    modules = _modules()
    text = open(os.path.join(REPO, "docs", "CONTRACTS.md"), encoding="utf-8").read()
    entries = re.findall(r"^- `(mgan[\w.]*)`", text, re.M)
    assert len(entries) == len(set(entries)), sorted(e for e in entries if entries.count(e) > 1)
    assert set(entries) - set(modules) == set(), "entries for modules that do not exist"
    assert set(modules) - set(entries) == set(), "modules without an entry in docs/CONTRACTS.md"
    for name in set(re.findall(r"`(mgan(?:\.\w+)+)", text)):
        module, attr = (name, None) if name in modules else name.rsplit(".", 1)
        assert module in modules, f"docs/CONTRACTS.md names {name}: no module {module}"
        assert attr is None or attr in _top_level_names(modules[module]), f"docs/CONTRACTS.md names {name}"
    for path in re.findall(r"`(mgan/[\w/]+\.py)", text):
        assert os.path.isfile(os.path.join(REPO, path)), path


def _markdown_files():
    """The repository's own Markdown files (not the virtual environment or build output)."""
    out = []
    for directory, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not d.endswith(".egg-info") and d != "__pycache__"]
        out += [os.path.join(directory, f) for f in files if f.endswith(".md")]
    return out


def _broken_links(path):
    """The relative links ``[text](target)`` of a Markdown file whose target (without #anchor) does not exist."""
    import re

    text = open(path, encoding="utf-8").read()
    bad = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the same file
        if not os.path.exists(os.path.join(os.path.dirname(path), target.split("#")[0])):
            bad.append(target)
    return bad


def test_every_relative_link_of_the_docs_resolves_inside_the_repository(tmp_path):
    files = _markdown_files()
    assert os.path.join(REPO, "README.md") in files and len(files) > 5
    assert {os.path.relpath(f, REPO): _broken_links(f) for f in files if _broken_links(f)} == {}
    # the check finds a broken link and leaves web addresses and anchors alone
    (tmp_path / "x.md").write_text("[a](missing.md) [b](https://example.org/y) [c](#top) [d](x.md#s)\n")
    assert _broken_links(str(tmp_path / "x.md")) == ["missing.md"]
