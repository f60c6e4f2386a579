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


#: The layers of docs/design.md's drawing, top down; a module imports from its own layer and the ones below.
LAYERS = {
    "binaries": {"vegan_tf.cli"},
    "experiment": {"vegan_tf.train", "vegan_tf.evaluate", "vegan_tf.callbacks", "vegan_tf.workdir", "vegan_tf.config"},
    "serving": {"vegan_tf.export", "vegan_tf.pretrained"},
    "models": {"vegan_tf.models"},
    "core": {"vegan_tf.costs", "vegan_tf.divergences", "vegan_tf.ot", "vegan_tf.distribute", "vegan_tf.networks",
             "vegan_tf.samplers", "vegan_tf.optimizers", "vegan_tf.data", "vegan_tf.metrics", "vegan_tf.visualize",
             "vegan_tf._moved", "vegan_tf._startup", "vegan_tf._shipped"},
}


def _layer(module):
    top = ".".join(module.split(".")[:2])
    rank = [i for i, modules in enumerate(LAYERS.values()) if top in modules]
    assert rank, f"{module} is in no layer of tests/test_layout.py's LAYERS (and of docs/design.md's drawing)"
    return rank[0]


def test_imports_run_down_the_layers_of_the_design_drawing():
    """binaries -> experiment -> serving -> models -> core; the names kept for 0.2 (``_moved``) resolve lazily and
    are left out, as is the ``vegan_tf`` root package."""
    graph = import_graph()
    graph.pop("vegan_tf")
    upward = sorted(f"{m} imports {t}" for m, targets in graph.items() for t in targets
                    if t != "vegan_tf" and _layer(t) < _layer(m))
    assert upward == []


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


def test_import_vegan_tf_leaves_the_environment_and_stderr_as_they_were():
    """A library import changes no environment variable and no file descriptor, and hides none of TensorFlow's
    own start-up lines (the binaries' quiet start-up is theirs: tests/test_cli.py)."""
    import os
    import subprocess
    import sys

    check = ("import os, sys; env = dict(os.environ); fd2 = os.fstat(2); import vegan_tf; "
             "assert dict(os.environ) == env, set(os.environ.items()) ^ set(env.items()); "
             "after = os.fstat(2); assert (after.st_dev, after.st_ino) == (fd2.st_dev, fd2.st_ino); "
             "assert 'keras' in sys.modules and 'vegan_tf>WAEMMD' in __import__('keras').saving.get_custom_objects()")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", check], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    plain = subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, cwd=REPO, capture_output=True,
                           text=True, timeout=300)

    def start_up_lines(err):
        return sorted(line.split("] ", 1)[-1] for line in err.splitlines() if "] " in line)

    assert start_up_lines(done.stderr) == start_up_lines(plain.stderr)


def test_a_binary_start_is_told_from_a_library_import_by_the_command_line():
    from vegan_tf._startup import started_as_binary

    assert started_as_binary(["python", "-m", "vegan_tf.train", "--config=c.py"])
    assert started_as_binary(["python", "-X", "dev", "-mvegan_tf.evaluate"])
    assert started_as_binary(["/venv/bin/python", "/venv/bin/vegan-train", "--help"])
    assert started_as_binary(["python", "C:\\\\venv\\\\Scripts\\\\vegan-evaluate.exe"])
    assert not started_as_binary(["python", "-c", "import vegan_tf"])
    assert not started_as_binary(["python", "-m", "pytest", "tests"])
    assert not started_as_binary(["python", "train.py", "-m", "vegan_tf.train"])
    assert not started_as_binary(["python"])
