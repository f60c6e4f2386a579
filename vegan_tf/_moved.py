"""Names that moved between modules: the old path keeps working for one minor version, with a warning.

A module whose names moved ends with ``__getattr__ = moved(__name__, {"old": "new.module:name"})``
(PEP 562): an old name is looked up in its new module on first use, with a ``DeprecationWarning``
that names the new place. The new module is imported then, not before, so the forwarding adds no
import to the module's own.
"""

from __future__ import annotations

import importlib
import warnings

#: The version in which the forwarded names go.
REMOVED_IN = "0.4"


def moved(module_name, names):
    """A module ``__getattr__`` that forwards each ``names`` key to its ``"module:attribute"`` value."""

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        new_module, _, attribute = names[name].partition(":")
        warnings.warn(f"{module_name}.{name} moved to {new_module}.{attribute}; the old name goes in vegan_tf "
                      f"{REMOVED_IN}.", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new_module), attribute)

    return __getattr__
