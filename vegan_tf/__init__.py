"""vegan_tf: optimal-transport generative models (the VEGAN cookbook) in TensorFlow 2 / Keras 3."""

import contextlib
import os
import re
import sys
import tempfile

__version__ = "0.2.0"  # the one place the version is written (setup.py reads it)

#: A line of TensorFlow's C++ log (absl format): severity letter, date, time, thread, file:line].
_CPP_LOG_LINE = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ")
_ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


def _verbose_tf_flag():
    """Whether the command line asks for TensorFlow's C++ log (the binaries' ``--verbose_tf``)."""
    return any(a.partition("=")[0] == "--verbose_tf" and a.partition("=")[2].lower() in ("", "true", "t", "1")
               for a in sys.argv[1:])


@contextlib.contextmanager
def _cpp_log_below(level):
    """Holds back what is written to file descriptor 2 and drops C++ log lines below ``level`` from it."""
    try:
        sys.stderr.flush()
        saved = os.dup(2) if level else None
    except (AttributeError, OSError, ValueError):  # no stderr to hold back
        saved = None
    if saved is None:
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode(errors="replace").splitlines(keepends=True)
            kept = [line for line in lines if not line.startswith(_ABSL_BANNER) and not (
                (m := _CPP_LOG_LINE.match(line)) and "IWEF".index(m.group(1)) < level)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def _import_tensorflow_quietly():
    """Imports TensorFlow without its C++ start-up lines, unless asked for them.

    ``TF_CPP_MIN_LOG_LEVEL`` defaults to 3 (a value already in the environment wins;
    ``--verbose_tf`` on the command line sets 0). TensorFlow reads it once, at import, and it
    then silences the C++ log: the CPU-feature notice, and the CUDA probing error ("failed call to
    cuInit") of a machine without a GPU. The lines printed while TensorFlow's libraries load
    (absl's "All log messages before absl::InitializeLog()" banner, the oneDNN notice, "Could not
    find cuda drivers") come before any setting is read: they are held back during the import and
    those below the level dropped; anything else written meanwhile is passed on unchanged.
    """
    if "tensorflow" in sys.modules:  # imported already: its log level is set
        return
    if _verbose_tf_flag():
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    level = os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _cpp_log_below(int(level) if level.isdigit() else 0):
        import tensorflow  # noqa: F401


_import_tensorflow_quietly()

# Importing the models registers every network and recipe with Keras serialization,
# so that `keras.saving.load_model("m.keras")` works after `import vegan_tf`.
from vegan_tf import costs, divergences, models, networks  # noqa: E402,F401
