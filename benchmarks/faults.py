#!/usr/bin/env python
"""The fault suite's slow cases: the training binary in subprocesses, as a Markdown table.

    python benchmarks/faults.py              # the slow tests of tests/test_faults.py, tests/test_multi_worker.py
    python benchmarks/faults.py --all        # ... and their fast ones (the test suite runs those too)

Each slow case runs ``python -m vegan_tf.train`` on the embedded digits with tiny networks:
SIGTERM at a random step of the second epoch, then the same command again, whose final weights
must equal an uninterrupted run's bit for bit (``train.deterministic``), and two binaries started
together on one new workdir, of which exactly one trains while the other fails naming it, and
SIGTERM to one worker of a two-worker ``MultiWorkerMirroredStrategy`` job on localhost at a random
step: every worker checkpoints that step and exits with status 42, and the restarted job ends with
the one-device weights. The table gives each case's outcome, wall time (it depends on the machine
and its load, printed above it) and what the case printed (the step SIGTERM hit). Exit status 1 if
a case failed.
"""

from __future__ import annotations

import argparse
import os
import sys

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="run the fast cases of the fault tests too")
    args = parser.parse_args(argv)
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
