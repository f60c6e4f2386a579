#!/usr/bin/env python
"""Builds the pretrained zoo of ``saved_models/``: each entry trained by the training binary, then shipped.

    python benchmarks/zoo.py --data=/path/to/mnist.npz              # every entry; finished workdirs are reused
    python benchmarks/zoo.py --entries=wae_mmd_digits,vae_digits    # some entries (the digits ones need no data)

Entries:

* ``<row>_mnist`` for every recipe of ``benchmarks/quality.py``: ``configs/<row>_mnist.py`` with
  the quality protocol's settings (pythae's MLP 784-512-16, batch 100, 6,000 steps at a constant
  learning rate), so an entry scores what its row of the quality table in docs/results.md scores (the runs
  are the same run: ``--workdir`` defaults to ``quality.py``'s, whose finished rows are reused);
* ``<row>_digits`` for every ``configs/<row>_digits.py`` as it is: the no-download demo.

Each entry is trained by ``python -m vegan_tf.train`` in a subprocess (unless its workdir holds a
finished run), then ``vegan_tf.workdir.shipping.ship`` copies the export, ``model.keras``, config and
metrics into ``saved_models/<entry>`` and writes the model card with the command below, this
machine and the wall time. ``saved_models/models.config`` is rewritten and the zoo table printed
and written into ``saved_models/README.md`` and ``docs/zoo.md`` (between ``MARKERS``).

An auto-encoder whose workdir holds quality.py's sampler runs (``metrics-<kind>.json``, and
``metrics-<kind>-mean.json`` on mean codes) ships with its best latent sampler and codes: the one whose samples are closest (FD) to held-out training images,
never chosen on the test images. The binary is run once more with it (it restores the fit and
keeps its export), and the card lists every sampler tried with its scores.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import subprocess
import sys

import harness
import quality


def flag_value(value):
    """A ``--config.x=`` value as ml_collections parses it from the command line."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ",".join(map(str, value)) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def entries(data):
    """``{entry: (config file, {key: value})}`` of every zoo entry (``data``: the MNIST path)."""
    out = {}
    for row in quality.ROWS:
        out[f"{row}_mnist"] = (f"configs/{row}_mnist.py", {**quality.PROTOCOL, **quality.budget(), "data.name": data})
    for path in sorted(pathlib.Path(harness.ROOT, "configs").glob("*_digits.py")):
        out[path.stem] = (f"configs/{path.name}", {"train.verbose": 0})
    return out


def command(config_file, overrides, workdir):
    """The training binary's command line (a list) for one entry."""
    return [sys.executable, "-m", "vegan_tf.train", f"--config={config_file}", f"--workdir={workdir}",
            *(f"--config.{key}={flag_value(value)}" for key, value in overrides.items())]


def shown(argv, data):
    """The command as a card shows it: ``python``, the MNIST path as ``/path/to/mnist.npz``, a relative workdir."""
    words = ["python", *argv[1:]]
    words = [w.replace(data, "/path/to/mnist.npz") if data else w for w in words]
    words = [w if not w.startswith("--workdir=") else f"--workdir=runs/{pathlib.Path(w.split('=', 1)[1]).name}"
             for w in words]
    lines, line = [], ""
    for word in map(shlex.quote, words):
        if line and len(line) + len(word) > 96:
            lines.append(line + " \\")
            line = "  "
        line += ("" if line.strip() == "" else " ") + word
    return "\n".join(lines + [line])


def best_sampler(workdir):
    """``((kind, codes), {(kind, codes): metrics})``: the latent sampler of the workdir with the lowest FD against
    held-out training images among those quality.py fitted (``metrics-<kind>.json`` on codes drawn from Q(Z|x),
    ``metrics-<kind>-mean.json`` on mean codes); ``(None, {})`` if there are none."""
    tried = {}
    for kind in quality.SAMPLERS:
        for codes, suffix in (("draw", ""), ("mean", "-mean")):
            path = os.path.join(workdir, f"metrics-{kind}{suffix}.json")
            if os.path.exists(path) and (kind != "prior" or codes == "draw"):
                with open(path) as f:
                    tried[kind, codes] = json.load(f)
    scored = {k: m for k, m in tried.items() if "held_out_fd" in m}
    if not scored:
        return None, tried
    return min(scored, key=lambda k: scored[k]["held_out_fd"]), tried


def keep_training_time(workdir):
    """Puts the training run's wall time (``metrics-prior.json``) back into ``metrics.json``, which the binary rewrote
    when it ran again only to fit and evaluate a sampler (the card reports how long the model trained)."""
    with open(os.path.join(workdir, "metrics-prior.json")) as f:
        timing = {k: v for k, v in json.load(f).items() if k in quality.TIMING}
    path = os.path.join(workdir, "metrics.json")
    with open(path) as f:
        metrics = json.load(f)
    with open(path, "w") as f:
        json.dump({**metrics, **timing}, f, indent=2)


def samplers_note(best, tried):
    """The model card's table of every sampler tried, and which was chosen and how."""
    rows = [f"| `{kind}`{'' if kind == 'prior' else f' on `{codes}` codes'}{' (shipped)' if (kind, codes) == best else ''}"
            f" | {m['held_out_fd']:.1f} | {m['fd']:.1f} | {m.get('sampler', {}).get('fit_time_s', '–')} |"
            for (kind, codes), m in tried.items() if "held_out_fd" in m]
    return "\n".join([
        "Latent samplers tried on this run (each fitted by the binary on the finished workdir, to codes drawn from "
        "Q(Z|x) or to the mean codes), the shipped one chosen by its FD against held-out training images, never on "
        "the test images:", "",
        "| sampler | FD, held-out training images | FD, test images | fit (s) |", "|---|---:|---:|---:|", *rows])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="", help="MNIST as a .npz file (x_train, x_test) for the _mnist entries")
    parser.add_argument("--entries", default="", help="comma-separated entries (default: all; _mnist ones need --data)")
    parser.add_argument("--workdir", default="runs/quality", help="where the runs are (quality.py's rows are reused)")
    parser.add_argument("--out", default=os.path.join(harness.ROOT, "saved_models"), help="the zoo directory")
    args = parser.parse_args()
    args.workdir, args.out = os.path.abspath(args.workdir), os.path.abspath(args.out)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from vegan_tf.workdir import shipping

    table = entries(args.data)
    chosen = args.entries.split(",") if args.entries else [e for e in table if args.data or e.endswith("_digits")]
    unknown = [e for e in chosen if e not in table]
    if unknown:
        parser.error(f"unknown entries {unknown}; choose from {sorted(table)}")
    if any(e.endswith("_mnist") for e in chosen) and not args.data:
        parser.error("the _mnist entries need --data=/path/to/mnist.npz")
    machine = harness.machine().removeprefix("Machine: ")
    for entry in chosen:
        config_file, overrides = table[entry]
        workdir = os.path.join(args.workdir, entry[:-len("_mnist")] if entry.endswith("_mnist") else entry)
        argv = command(config_file, overrides, workdir)
        if not os.path.exists(os.path.join(workdir, "metrics.json")):
            print(f"{entry}: {' '.join(argv[1:])}", file=sys.stderr, flush=True)
            subprocess.run(argv, cwd=harness.ROOT, check=True, stdout=subprocess.DEVNULL)
        best, tried = best_sampler(workdir)
        notes = ""
        if best:  # the binary once more with the chosen sampler: restores its fit, keeps its export, its metrics
            argv = command(config_file, {**overrides, **quality.SAMPLER_PROTOCOL, "sampler.kind": best[0],
                                         "sampler.codes": best[1]}, workdir)
            subprocess.run(argv, cwd=harness.ROOT, check=True, stdout=subprocess.DEVNULL)
            keep_training_time(workdir)
            notes = samplers_note(best, tried)
        shipping.ship(workdir, entry, root=args.out, command=shown(argv, args.data), machine=machine, notes=notes)
        print(f"{entry}: shipped to {os.path.join(args.out, entry)}", file=sys.stderr, flush=True)
    table = shipping.zoo_table(args.out)
    print(table)
    for page in (os.path.join(args.out, "README.md"), os.path.join(harness.ROOT, "docs", "zoo.md")):
        if os.path.abspath(args.out) == os.path.join(harness.ROOT, "saved_models") and replace_table(page, table):
            print(f"Updated the zoo table of {page}", file=sys.stderr)


#: The zoo table of saved_models/README.md and docs/zoo.md sits between these lines; ``main`` rewrites it.
MARKERS = ("<!-- zoo table: written by benchmarks/zoo.py -->", "<!-- end of zoo table -->")


def replace_table(path, table):
    """Replaces the text between ``MARKERS`` in ``path`` by ``table``; False if the file has no markers."""
    with open(path) as f:
        text = f.read()
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if start < 0 or end < start:
        return False
    with open(path, "w") as f:
        f.write(text[:start + len(MARKERS[0])] + "\n" + table + "\n" + text[end:])
    return True


if __name__ == "__main__":
    main()
