"""What the benchmarks share: configs of this checkout, timing, worker processes, Markdown tables.

* ``load_config`` / ``override``: a ``configs/*.py`` file with dotted overrides, as
  ``--config.model.lam=5`` sets them on the training binary's command line.
* ``timed_loop``, ``instantaneous``, ``quartiles``: per-step wall and CPU time of a step function,
  and their summaries.
* ``Side`` and ``Worker``: one framework per process (no shared thread pools or allocators),
  its benchmark variants built once and then run on request.
* ``machine``, ``loadavg``: the description of the machine and its load that goes with any time.
* ``peak_tracked``: a process's peak RSS while a function runs.
* ``check_reference_spec``, ``reference_networks``: the settings ``step_time.py``'s hand-written steps
  implement, and the networks a recipe's spec names.
* ``markdown_table``: the printed result.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import traceback

BENCHMARKS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCHMARKS)
sys.path.insert(0, ROOT)  # the vegan_tf of this checkout, also in worker processes (they inherit sys.path)


# ====================================================================== configs
def load_config(path, overrides=None):
    """``get_config()`` of ``path`` (relative to the repository root) with ``overrides`` applied."""
    from vegan_tf import config as config_lib  # imports TensorFlow: only where a config is needed

    return override(config_lib.from_file(os.path.join(ROOT, path)), overrides or {})


def override(config, overrides):
    """Sets dotted keys (``{"model.lam": 5.0}``) of ``config``; a key the config does not have is an error."""
    for key, value in overrides.items():
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node[part]
        if leaf not in node:
            raise KeyError(f"The config has no key {key!r}.")
        node[leaf] = value
    return config


# ====================================================================== timing
def timed_loop(step, n):
    """Runs ``step() -> loss`` n times; per step: wall seconds, process CPU seconds (all threads), loss."""
    wall, cpu, losses = [], [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        loss = step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        losses.append(loss)
    return wall, cpu, losses


def instantaneous(means):
    """Per-step values from the running means a Keras ``Mean`` tracker reports (reset before the first)."""
    out, prev = [], 0.0
    for k, m in enumerate(means, start=1):
        out.append(k * m - (k - 1) * prev)
        prev = m
    return out


def quartiles(values):
    """(p25, median, p75) of ``values``."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def error_line(e):
    """An exception as one line, for a table cell or a log."""
    message = str(e).splitlines()[0][:200] if str(e) else ""
    return f"{type(e).__name__}: {message}"


# ====================================================================== worker processes
class Side:
    """One framework's variants, living in a ``Worker`` process.

    A subclass takes ``threads`` (set before any work), reports its ``versions()``, and makes
    runners: ``runner(n) -> (wall seconds, CPU seconds, losses)`` of n steps each.
    """

    def __init__(self):
        self.runners = {}

    def build(self, variants, warmup, make):
        """``make(variant)`` for each variant, then ``warmup`` untimed steps (tracing, compilation).

        Returns the seconds each took and, for a variant that failed, its error (it is then left out).
        """
        self.runners, setup_s, errors = {}, {}, {}
        for variant in variants:
            start = time.perf_counter()
            try:
                runner = make(variant)
                runner(warmup)
            except Exception as e:  # noqa: BLE001 - reported in the table
                traceback.print_exc(file=sys.stderr)
                errors[variant] = error_line(e)
                continue
            setup_s[variant] = time.perf_counter() - start
            self.runners[variant] = runner
        return setup_s, errors

    def run(self, variant, n):
        """n timed steps of ``variant``."""
        return self.runners[variant](n)


def serve(side, conn, threads, env):
    """A worker process: sets ``env``, makes ``side`` ("module:Class") and answers (method, *args) until ("quit",)."""
    os.environ.update(env)  # before the framework is imported
    sys.path.insert(0, BENCHMARKS)
    try:
        module, name = side.split(":")
        obj = getattr(importlib.import_module(module), name)(threads)
        conn.send(("ok", obj.versions()))
    except Exception as e:  # noqa: BLE001 - the parent reports it
        conn.send(("error", error_line(e)))
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            os._exit(0)
        if message[0] == "quit":
            os._exit(0)  # skips joining library threads and pools (e.g. Inductor's compile workers)
        try:
            conn.send(("ok", getattr(obj, message[0])(*message[1:])))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            conn.send(("error", error_line(e)))


class Worker:
    """A spawned process serving one ``Side`` ("module:Class" of this folder) over a pipe."""

    def __init__(self, side, threads, env=None):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(side, child, threads, env or {}), daemon=True)
        self.process.start()
        status, self.versions = self.conn.recv()
        if status != "ok":
            self.process.join()
            raise RuntimeError(self.versions)

    def call(self, method, *args):
        """The result of ``side.method(*args)`` in the worker."""
        self.conn.send((method, *args))
        status, result = self.conn.recv()
        if status != "ok":
            raise RuntimeError(result)
        return result

    def close(self):
        try:
            self.conn.send(("quit",))
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)


# ====================================================================== machine and report
def machine(versions=None):
    """One line: CPU, logical cores (usable ones), Python and the given package versions."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"Machine: {cpu}, {os.cpu_count()} logical cores ({usable} usable); Python {platform.python_version()}"
            + "".join(f", {name} {version}" for name, version in (versions or {}).items()))


def loadavg():
    """The 1, 5 and 15 minute load averages (other jobs on the machine slow every timing down)."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def markdown_table(header, rows, right=()):
    """Prints a Markdown table; the columns named in ``right`` are right-aligned (numbers)."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if h in right else "---" for h in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |")


# ====================================================================== memory
def _status_kib(field):
    """A ``VmRSS`` / ``VmHWM`` line of /proc/self/status in KiB (None where /proc is not there)."""
    try:
        with open("/proc/self/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith(field + ":")), None)
    except OSError:
        return None


def peak_tracked(peaks, key, run):
    """``run()``, recording in ``peaks[key]`` the process's peak RSS while it ran and its rise over the RSS before.

    The peak (``VmHWM``) is reset first by writing 5 to /proc/self/clear_refs (Linux >= 4.0); the
    values are MiB, the maxima over every call for ``key``. Without /proc nothing is recorded.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return run()
    before = _status_kib("VmRSS")
    out = run()
    peak = _status_kib("VmHWM")
    if before is not None and peak is not None:
        old = peaks.get(key, (0.0, 0.0))
        peaks[key] = (max(old[0], peak / 1024), max(old[1], (peak - before) / 1024))
    return out


# ====================================================================== hand-written references
#: The settings of the repository's MNIST configs that the hand-written steps of ``step_time.py``
#: (``keras_reference.py``, ``torch_reference.py``) implement, by key of ``step_time.reference_spec``.
REFERENCE_SETTINGS = {"cost": ("l2sq", "bernoulli"), "cost_scale": (1.0,), "output_activation": ("sigmoid",),
                      "kernel": ("imq",), "objective": ("dual",), "debiased": (True,), "prior_trick": (False,),
                      "penalty": ("gp",), "critic_batches": ("same",), "transport_fit": ("median",),
                      "optimizer": ("adam",), "sinkhorn_eps_scaling": (0.0,)}


def reference_networks(spec, decoder, encoder, critic):
    """A recipe's networks by vegan_tf's attribute names, made by one framework's builders:
    ``decoder(spec)``, ``encoder(spec)`` if it has one, ``critic(spec[role])`` for each critic role it names."""
    nets = {"decoder": decoder(spec)}
    if spec.get("encoder_kind"):
        nets["encoder"] = encoder(spec)
    for role in ("discriminator", "critic", "potential"):
        if role in spec:
            nets[role] = critic(spec[role])
    return nets


def check_reference_spec(spec):
    """Raises ``ValueError`` if ``spec`` has a setting the hand-written references do not implement."""
    differ = {k: spec[k] for k, ok in REFERENCE_SETTINGS.items() if k in spec and spec[k] not in ok}
    if differ:
        raise ValueError(f"The hand-written references implement {REFERENCE_SETTINGS} only; this case has {differ}.")
