"""The package's layout: imports run one way."""

import ast

from conftest import REPO

PACKAGE = REPO / "vegan_tf"


def _module_name(path):
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_main_block(node):
    """``if __name__ == "__main__":``: its code runs as the module ``__main__``, not as the module itself."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators))


def _imports(tree, name, is_package, modules):
    """The package modules ``tree`` imports, at module level or inside functions (not in its ``__main__`` block)."""
    found = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_main_block(node):
            continue
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")[:len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(package + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                found.add(target)
    return found


def import_graph():
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(ast.parse(path.read_text()), name, path.name == "__init__.py", paths)
            for name, path in paths.items()}


def _cycle(graph):
    """One import circle of ``graph`` as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def _package_graph(graph):
    """Each subpackage (vegan_tf.models, vegan_tf.data, ...) as one node; importing a package imports its ``__init__``."""
    def node(module):
        return ".".join(module.split(".")[:2])

    out = {}
    for module, targets in graph.items():
        out.setdefault(node(module), set()).update(node(t) for t in targets if node(t) != node(module))
    return out


def test_no_import_circle_among_the_package_modules():
    """Module level or inside functions; a package's ``__init__`` may import its own submodules, which may not
    import it back. The ``vegan_tf`` root package, which loads the models for Keras, is left out."""
    graph = import_graph()
    graph.pop("vegan_tf")
    graph = {m: {t for t in ts if t != "vegan_tf"} for m, ts in graph.items()}
    assert _cycle(graph) is None
    assert _cycle(_package_graph(graph)) is None


def test_the_circle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_names_that_moved_still_import_from_their_0_2_place_with_a_warning():
    import importlib

    import pytest

    moved = {("vegan_tf.train", "run"): ("vegan_tf.cli", "run_train"),
             ("vegan_tf.train", "sampler_codes"): ("vegan_tf.workdir", "sampler_codes"),
             ("vegan_tf.evaluate", "run"): ("vegan_tf.cli", "run_evaluate"),
             ("vegan_tf.evaluate", "held_out_count"): ("vegan_tf.data", "held_out_count"),
             ("vegan_tf.evaluate", "held_out_images"): ("vegan_tf.data", "held_out_images"),
             ("vegan_tf.config", "SCHEDULES"): ("vegan_tf.optimizers", "SCHEDULES")}
    for (old, name), (new, new_name) in moved.items():
        with pytest.warns(DeprecationWarning, match=f"{old}.{name} moved to {new}.{new_name}"):
            found = getattr(importlib.import_module(old), name)
        assert found is getattr(importlib.import_module(new), new_name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        importlib.import_module("vegan_tf.train").nothing
