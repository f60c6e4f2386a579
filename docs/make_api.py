"""Writes docs/api.md, the API reference, from the public modules' docstrings and signatures.

    python docs/make_api.py

A module's public names are its ``__all__``, or else the classes and functions it defines
whose names do not start with an underscore. A class is listed with its constructor's signature,
its docstring and its public methods and properties that have a docstring of their own.
``tests/test_tutorial.py`` checks that the committed docs/api.md is what this script writes.
"""

import importlib
import inspect
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: The public API: what a user's program or a recipe of their own imports. The binaries' internals
#: (``cli``, ``workdir``, ``callbacks``, ``optimizers``, ``_startup``, ``_moved``) are left out.
MODULES = ("costs", "divergences", "ot", "distribute", "networks", "models", "samplers", "data", "metrics", "export",
           "pretrained", "config", "train", "evaluate", "visualize")
HEADER = """# API reference

Generated from the docstrings by `python docs/make_api.py`; do not edit by hand. For a guided
tour, see the [tutorial](tutorial.md). This is the public API; the modules behind the binaries
(`cli`, `workdir`, `callbacks`, `optimizers`) may change without notice.
"""


def _doc(obj):
    """``obj``'s own docstring (not one inherited from a base class), dedented."""
    return inspect.cleandoc(obj.__doc__) if isinstance(getattr(obj, "__doc__", None), str) else ""


def _signature(obj):
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"
    text = re.sub(r" at 0x[0-9a-f]+", "", text)  # sentinel defaults' addresses change from run to run
    return re.sub(r"ForwardRef\('([^']*)'\)", r"\1", text)  # annotations of NamedTuples under `annotations`


def _public(module):
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items() if not name.startswith("_") and (
        inspect.isclass(value) or inspect.isfunction(value)) and value.__module__ == module.__name__]


def _members(cls):
    """The public methods and properties ``cls`` itself defines, in source order.

    Returns ``(documented, others)``: (title, docstring) pairs, and the titles of those without a docstring.
    """
    documented, others = [], []
    for name, value in vars(cls).items():
        function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        if name.startswith("_") or not (isinstance(value, property) or inspect.isfunction(function)):
            continue
        if isinstance(value, property):
            title = f"{name} (property)"
        else:
            shown = _signature(function)
            title = name + (shown if isinstance(value, staticmethod) else re.sub(r"^\((self|cls)(, )?", "(", shown))
        doc = _doc(value if isinstance(value, property) else function)
        if doc:
            documented.append((f"`{cls.__name__}.{title}`", doc))
        else:
            others.append(f"`{title}`")
    return documented, others


def _constant(name, value):
    if isinstance(value, dict):
        return f"`{name}`: a dict of {', '.join(f'`{k}`' for k in value)}."
    text = repr(value)
    return f"`{name} = {text}`" if len(text) <= 100 else f"`{name}`: a {type(value).__name__}."


def _module(module, level):
    lines = [f"{'#' * level} `{module.__name__}`", "", _doc(module), ""]
    for name in _public(module):
        value = getattr(module, name)
        if inspect.ismodule(value):
            lines += _module(value, level + 1)
        elif inspect.isclass(value):
            shown = "" if issubclass(value, BaseException) else _signature(value).removesuffix(" -> None")
            lines += [f"{'#' * (level + 1)} class `{name}{shown}`", "", _doc(value), ""]
            documented, others = _members(value)
            for title, doc in documented:
                lines += [f"{'#' * (level + 2)} {title}", "", doc, ""]
            if others:
                lines += [f"Also defined by `{name}`: {', '.join(others)}.", ""]
        elif callable(value):
            lines += [f"{'#' * (level + 1)} `{name}{_signature(value)}`", "", _doc(value), ""]
        else:
            lines += [_constant(name, value), ""]
    return lines


def render():
    """The text of docs/api.md."""
    sys.path.insert(0, str(ROOT))
    from vegan_tf.cli import summary

    modules = [importlib.import_module(f"vegan_tf.{name}") for name in MODULES]
    contents = [f"- [`{m.__name__}`](#{m.__name__.replace('.', '')}): {summary(m.__doc__)}" for m in modules]
    lines = [HEADER, *contents, ""]
    for module in modules:
        lines += _module(module, 2)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


if __name__ == "__main__":
    target = ROOT / "docs" / "api.md"
    target.write_text(render(), encoding="utf-8")
    print(f"Wrote {target.relative_to(ROOT)}")
