"""The binaries' quiet start-up: TensorFlow's C++ start-up lines held back, in the binaries only.

``import vegan_tf`` changes nothing in the importing process: no environment variable, no file
descriptor, no log level. Only when the process was started as one of the binaries
(``python -m vegan_tf.train`` or ``vegan_tf.evaluate``, the ``vegan-train`` and ``vegan-evaluate``
scripts) does the package, imported first by Python on the way to the binary, import TensorFlow
quietly (``import_tensorflow_quietly``) before anything else loads it. The package must import
TensorFlow itself, so that ``keras.saving.load_model`` finds the recipes after ``import vegan_tf``;
the binary's own code runs only after that import, too late to set TensorFlow's log level. So the
package tells a binary's start from a library import by the interpreter's command line
(``sys.orig_argv``), which it reads and never changes.
"""

import contextlib
import os
import re
import sys
import tempfile

#: The binaries, as modules run by ``python -m`` and as console scripts (setup.py).
BINARY_MODULES = ("vegan_tf.train", "vegan_tf.evaluate")
BINARY_SCRIPTS = ("vegan-train", "vegan-evaluate")


def started_as_binary(argv=None):
    """Whether the interpreter's command line ``argv`` (default ``sys.orig_argv``) starts a vegan_tf binary."""
    args = iter(list(sys.orig_argv if argv is None else argv)[1:])
    for arg in args:
        if arg in ("-X", "-W", "--check-hash-based-pycs"):  # options that take a value
            next(args, None)
        elif arg.startswith("-m"):
            return (arg[2:] or next(args, "")) in BINARY_MODULES
        elif arg == "-c" or arg == "-":
            return False
        elif not arg.startswith("-"):  # a script: the console scripts are vegan-train(.exe) and vegan-evaluate
            return os.path.splitext(re.split(r"[\\/]", arg)[-1])[0] in BINARY_SCRIPTS
    return False


#: A line of TensorFlow's C++ log (absl format): severity letter, date, time, thread, file:line].
CPP_LOG_LINE = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ")
ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


def _verbose_tf_flag():
    """Whether the binary's command line asks for TensorFlow's C++ log (``--verbose_tf``)."""
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
            kept = [line for line in lines if not line.startswith(ABSL_BANNER) and not (
                (m := CPP_LOG_LINE.match(line)) and "IWEF".index(m.group(1)) < level)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


def import_tensorflow_quietly():
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
