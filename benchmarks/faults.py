#!/usr/bin/env python
"""The fault suite's slow cases: the training binary in subprocesses, as a Markdown table.

    python benchmarks/faults.py              # the slow tests of tests/test_faults.py, tests/test_multi_worker.py
    python benchmarks/faults.py --all        # ... and their fast ones (the test suite runs those too)
    python benchmarks/faults.py --preemption-cost   # what Preemption's per-step all-reduce costs (no tests)

Each slow case runs ``python -m vegan_tf.train`` on the embedded digits with tiny networks:
SIGTERM at a random step of the second epoch, then the same command again, whose final weights
must equal an uninterrupted run's bit for bit (``train.deterministic``), and two binaries started
together on one new workdir, of which exactly one trains while the other fails naming it, and
SIGTERM to one worker of a two-worker ``MultiWorkerMirroredStrategy`` job on localhost at a random
step: every worker checkpoints that step and exits with status 42, and the restarted job ends with
the one-device weights. The table gives each case's outcome, wall time (it depends on the machine
and its load, printed above it) and what the case printed (the step SIGTERM hit). Exit status 1 if
a case failed.

``--preemption-cost`` measures instead what ``callbacks.Preemption`` costs under ``multi_worker``:
two worker processes on localhost (``TF_CONFIG``, free ports, one intra-op thread each) build
configs/wae_mmd_digits.py's model (batch 100, no export) under ``MultiWorkerMirroredStrategy`` and
``fit`` ``--steps`` steps per run with the callback installed and without it, ``--rounds`` times each,
interleaved (the order alternates by round). A step is the time between two batch ends; each run
gives its median, each variant the median of its runs. ``NonFiniteGuard`` is installed in both, as
the binary installs it. Then ``--polls`` calls of ``Preemption.poll()`` alone, in lockstep on both
workers, time the scalar all-reduce by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import harness

#: The test files of the fault suite.
FILES = ("tests/test_faults.py", "tests/test_multi_worker.py")


class _Collect:
    """A pytest plugin that keeps each test's outcome, time and captured output."""

    def __init__(self):
        self.rows = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            printed = " ".join(line.strip() for line in report.capstdout.splitlines() if line.strip())
            self.rows.append((report.nodeid.split("::")[-1], report.outcome, f"{report.duration:.1f}",
                              printed[:120]))


# ====================================================================== --preemption-cost
def _preemption_worker(steps, rounds, polls):
    """One worker of the cluster ``TF_CONFIG`` describes: prints ``RESULT <json>`` with its timings."""
    import keras
    import tensorflow as tf

    from vegan_tf import callbacks as callbacks_lib, data, distribute, workdir

    tf.config.threading.set_intra_op_parallelism_threads(1)  # two workers on the machine's cores
    strategy = distribute.make_strategy("multi_worker")  # before any op
    config = harness.load_config("configs/wae_mmd_digits.py", {"train.export": False, "train.strategy": "multi_worker"})
    model = workdir.build_model(config, strategy)
    dataset = data.get_dataset(config.data.name, "train", batch_size=config.data.batch_size, shuffle=True,
                               seed=config.seed, repeat=True)

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter())

    preemption = callbacks_lib.Preemption(checkpoint=None, signals=(), strategy=strategy)  # no signal: never saves
    variants = {"without": [], "with": [preemption]}

    def run(variant, n):
        clock = Clock()
        model.fit(dataset, epochs=1, steps_per_epoch=n, verbose=0, shuffle=False,
                  callbacks=[callbacks_lib.NonFiniteGuard(), *variants[variant], clock])
        return [1e3 * (b - a) for a, b in zip(clock.times, clock.times[1:])]

    run("with", 20)  # tracing of the step and of the poll's all-reduce
    run("without", 20)
    runs = {"without": [], "with": []}
    for r in range(rounds):
        for variant in (("without", "with") if r % 2 == 0 else ("with", "without")):
            runs[variant].append(statistics.median(run(variant, steps)))
    for _ in range(20):
        preemption.poll()
    poll_ms = []
    for _ in range(polls):
        t0 = time.perf_counter()
        preemption.poll()
        poll_ms.append(1e3 * (time.perf_counter() - t0))
    result = {"task": strategy.cluster_resolver.task_id, "replicas": strategy.num_replicas_in_sync,
              "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1), "runs": runs,
              "poll_ms": harness.quartiles(poll_ms), "tensorflow": tf.__version__}
    print("RESULT " + json.dumps(result), flush=True)


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def preemption_cost(steps=300, rounds=5, polls=1000, timeout=600):
    """Runs the two workers of ``--preemption-cost`` and prints their timings as a Markdown table."""
    cluster = {"worker": [f"localhost:{_free_port()}" for _ in range(2)]}
    argv = [sys.executable, os.path.abspath(__file__), "--preemption-worker", f"--steps={steps}",
            f"--rounds={rounds}", f"--polls={polls}"]
    print(f"Load average before the run: {harness.loadavg()}", flush=True)
    start = time.perf_counter()
    workers = [subprocess.Popen(argv, cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps(
                                    {"cluster": cluster, "task": {"type": "worker", "index": index}})})
               for index in range(2)]
    try:
        outputs = [w.communicate(timeout=timeout)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    results = []
    for w, out in zip(workers, outputs):
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        if w.returncode or not lines:
            print(out[-3000:], file=sys.stderr)
            print(f"A worker failed (exit status {w.returncode}).", file=sys.stderr)
            return 1
        results.append(json.loads(lines[-1][len("RESULT "):]))
    results.sort(key=lambda r: r["task"])
    print(f"Load average after the run: {harness.loadavg()}; {time.perf_counter() - start:.0f} s in all")
    print()
    print(harness.machine({"tensorflow": results[0]["tensorflow"]}))
    print(f"{len(results)} workers on localhost, {results[0]['replicas']} replicas, MultiWorkerMirroredStrategy, "
          f"steps_per_execution {results[0]['steps_per_execution']}; configs/wae_mmd_digits.py, batch 100; "
          f"{rounds} runs x {steps} steps per variant, interleaved; one intra-op thread per worker")
    print()

    def cells(fn):
        return [fn(r) for r in results]

    def median(r, variant):
        return statistics.median(r["runs"][variant])

    def paired(r):  # with - without, the runs of one round
        return statistics.median(b - a for a, b in zip(r["runs"]["without"], r["runs"]["with"]))

    rows = [
        ["step, Preemption not installed: median ms/step", *cells(lambda r: f"{median(r, 'without'):.2f}")],
        ["step, Preemption installed: median ms/step", *cells(lambda r: f"{median(r, 'with'):.2f}")],
        ["difference per step: ms (%)", *cells(lambda r: f"{median(r, 'with') - median(r, 'without'):+.2f} "
                                                   f"({100 * (median(r, 'with') / median(r, 'without') - 1):+.1f} %)")],
        ["difference, paired by round: median ms", *cells(lambda r: f"{paired(r):+.2f}")],
        [f"one poll() alone: median ms (p25–p75) of {polls}",
         *cells(lambda r: f"{r['poll_ms'][1]:.3f} ({r['poll_ms'][0]:.3f}–{r['poll_ms'][2]:.3f})")],
        ["runs' medians without / with (ms)",
         *cells(lambda r: " ".join(f"{v:.2f}" for v in r["runs"]["without"]) + " / "
                + " ".join(f"{v:.2f}" for v in r["runs"]["with"]))],
    ]
    harness.markdown_table(("measure", *(f"worker {r['task']}" for r in results)), rows,
                           right=tuple(f"worker {r['task']}" for r in results))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="run the fast cases of the fault tests too")
    parser.add_argument("--preemption-cost", action="store_true",
                        help="instead of the tests: time fit steps under multi_worker with and without Preemption")
    parser.add_argument("--steps", type=int, default=300, help="--preemption-cost: steps per run")
    parser.add_argument("--rounds", type=int, default=5, help="--preemption-cost: runs of each variant")
    parser.add_argument("--polls", type=int, default=1000, help="--preemption-cost: poll() calls timed alone")
    parser.add_argument("--preemption-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.preemption_worker:
        return _preemption_worker(args.steps, args.rounds, args.polls)
    if args.preemption_cost:
        return preemption_cost(args.steps, args.rounds, args.polls)
    import pytest

    collect = _Collect()
    os.chdir(harness.ROOT)
    marks = "slow or not slow" if args.all else "slow"
    status = pytest.main(["-q", "-p", "no:cacheprovider", "-m", marks, *FILES], plugins=[collect])
    print()
    print(harness.machine())
    print(f"Load average before the table: {harness.loadavg()}")
    print()
    harness.markdown_table(("case", "outcome", "seconds", "printed"), collect.rows, right=("seconds",))
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
