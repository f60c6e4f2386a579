#!/usr/bin/env python
"""The latency of the exported ``sample`` signature per latent sampler, against the prior's, in one run.

    python benchmarks/sampler_latency.py --workdir=runs/quality/wae_mmd     # a finished quality.py row

Every export version of the workdir (``export/<version>/``, one per sampler the binary fitted)
is loaded with ``tf.saved_model.load`` and its ``sample`` signature called for ``--num`` images
(1,000 by default, the export's bound) ``--calls`` times (20) after two warm-up calls; the
table gives the median and the spread of those calls, the ratio to the prior's export, the
``sample_codes`` median (the sampler alone), the sampler's parameter count and settings (from
the export's metadata) and its fit time (from ``metrics-<kind>.json`` where quality.py kept
one). The versions are timed in rotating rounds so that a change of the machine's load falls on
all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import harness


def time_calls(fn, calls):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", required=True, help="a finished workdir whose export/ holds a version per sampler")
    parser.add_argument("--num", type=int, default=1000, help="images per call")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per version (median reported)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds the calls are split into")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    from vegan_tf import export

    base = os.path.join(args.workdir, "export")
    versions = sorted(int(d) for d in os.listdir(base) if d.isdigit())
    if not versions:
        sys.exit(f"No export versions in {base}.")
    loaded, info = {}, {}
    for version in versions:
        path = os.path.join(base, str(version))
        metadata = export.read_metadata(path)
        kind = metadata.get("sampler", {"kind": "prior"})["kind"]
        module = tf.saved_model.load(path)
        loaded[kind] = module
        info[kind] = {"version": version, "settings": {k: v for k, v in metadata.get("sampler", {}).items()
                                                       if k != "kind"},
                      "parameters": int(sum(np.prod(v.shape) for v in module.captured_variables
                                            if "sampler" in v.name or any(s in v.name for s in (
                                                "velocity", "potential", "log_weights", "means", "scale_tril"))))}
        fit = os.path.join(args.workdir, f"metrics-{kind}.json")
        if os.path.exists(fit):
            with open(fit) as f:
                info[kind]["fit_time_s"] = json.load(f).get("sampler", {}).get("fit_time_s")
    n, seed = tf.constant(args.num), tf.constant(0)
    times = {kind: {"sample": [], "sample_codes": []} for kind in loaded}
    for kind, module in loaded.items():  # warm-up: the first calls build the functions
        for signature in times[kind]:
            module.signatures[signature](num_samples=n, seed=seed)
            module.signatures[signature](num_samples=n, seed=seed)
    per_round = max(1, args.calls // args.rounds)
    for _ in range(args.rounds):
        for kind, module in loaded.items():
            for signature in times[kind]:
                times[kind][signature] += time_calls(lambda: module.signatures[signature](num_samples=n, seed=seed),
                                                     per_round)
    prior = statistics.median(times["prior"]["sample"]) if "prior" in times else None
    print(f"\n{args.workdir}: exported `sample` of {args.num} images, median of "
          f"{per_round * args.rounds} calls per version. {harness.machine()}\n")
    header = ("sampler", "version", "sample (ms)", "spread (ms)", "× prior", "sample_codes (ms)",
              "sampler parameters", "fit (s)", "settings")
    rows = []
    for kind in loaded:
        sample = times[kind]["sample"]
        median = statistics.median(sample)
        rows.append((kind, info[kind]["version"], f"{1e3 * median:.1f}",
                     f"{1e3 * (max(sample) - min(sample)) / 2:.1f}",
                     f"{median / prior:.2f}" if prior else "–",
                     f"{1e3 * statistics.median(times[kind]['sample_codes']):.2f}", info[kind]["parameters"],
                     info[kind].get("fit_time_s") or "–",
                     ", ".join(f"{k}={v}" for k, v in info[kind]["settings"].items())))
    harness.markdown_table(header, rows, right=header[1:-1])


if __name__ == "__main__":
    main()
