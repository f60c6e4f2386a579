"""The Sinkhorn solver of the losses: fixed iterations against the early stop and ε-scaling.

For the minibatch problems the shipped configs solve in training, and for a range of ε on a
rescaled cost, the debiased loss (``vegan_tf.ot.sinkhorn_loss_terms``: three problems solved as
one batch, float32, compiled with ``tf.function``) is computed by three solvers:

* ``fixed``: ``num_iters`` iterations from zero potentials, no stop (the solver before
  ``sinkhorn_tol`` existed; ``sinkhorn_tol=0``);
* ``tol``: the same iterations, stopped once the row-marginal L1 error is below 1e-6 (the
  models' default ``sinkhorn_tol``);
* ``ε-scaling + tol``: ε annealed from max C by the factor q = 0.5 (GeomLoss's default), with
  the same stop and the same cap.

Reported per solver: the iterations run, the median wall time of a solve over ``--repeats``
calls, the L1 error of both marginals of the returned plans (the worst of the three problems:
what the models log as ``sinkhorn_marginal_error``), and the difference of the loss from a
converged one (float64, no ε-scaling, stop at 1e-10, up to 20,000 iterations; its iterations and
marginal error are given in the last row of each problem).

The problems (no downloads: the scikit-learn digits shipped with the package):

* ``sinkhorn_mnist``: configs/sinkhorn_mnist.py's, Euclidean cost (p = 1) between two batches
  of 200 digits resized to 28 x 28, ε = 10, 100 iterations;
* ``sinkhorn_digits``: configs/sinkhorn_digits.py's, squared cost on the 8 x 8 digits, batch 100,
  ε = 0.5, 50 iterations;
* ``pot_sinkhorn``: configs/pot_sinkhorn_*.py's latent problem, squared cost between 100 codes
  and 100 prior draws in d_z = 8 (codes drawn as N(0.2, 1.1² I): an encoder near the prior),
  ε = 1, 50 iterations;
* ``digits, cost / median``: the 8 x 8 digits with the squared cost scaled to median 1,
  ε = 10, 1, 0.1, 0.01, 100 iterations (the models' default ``num_iters``).

    python benchmarks/sinkhorn_solver.py              # about a minute on 2 cores
    python benchmarks/sinkhorn_solver.py --repeats 5  # quicker
"""

from __future__ import annotations

import argparse
import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402  (puts this checkout's vegan_tf on the path)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from vegan_tf import data, ot  # noqa: E402

TOL, Q = 1e-6, 0.5
SOLVERS = {"fixed": {}, "tol": {"tol": TOL}, "ε-scaling + tol": {"tol": TOL, "eps_scaling": Q}}


def problems():
    """(name, x, y, p, ε, num_iters) of each benchmarked problem."""
    digits = data.load_array("digits", "train")
    flat = digits.reshape(len(digits), -1)
    mnist = tf.image.resize(digits[:400], (28, 28)).numpy().clip(0.0, 1.0).reshape(400, -1)
    rng = np.random.default_rng(0)
    codes, prior = 0.2 + 1.1 * rng.normal(size=(100, 8)), rng.normal(size=(100, 8))
    out = [("sinkhorn_mnist (p=1)", mnist[:200], mnist[200:], 1, 10.0, 100),
           ("sinkhorn_digits (p=2)", flat[:100], flat[100:200], 2, 0.5, 50),
           ("pot_sinkhorn latent (p=2)", codes, prior, 2, 1.0, 50)]
    x, y = flat[200:300], flat[300:400]
    scale = np.sqrt(np.median(ot.pairwise_cost(x, y).numpy()))  # squared cost / its median
    out += [("digits, cost / median", x / scale, y / scale, 2, eps, 100) for eps in (10.0, 1.0, 0.1, 0.01)]
    return out


def solver(p, eps, num_iters, **options):
    """The compiled loss and its diagnostics for one problem and solver."""
    @tf.function
    def solve(x, y):
        return ot.sinkhorn_loss_terms(x, y, eps, p=p, num_iters=num_iters, **options)
    return solve


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed solves per problem and solver")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    rows = []
    for name, x, y, p, eps, num_iters in problems():
        x64, y64 = tf.constant(x, tf.float64), tf.constant(y, tf.float64)
        reference, ref_logs = solver(p, eps, 20_000, tol=1e-10)(x64, y64)
        x32, y32 = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
        for label, options in SOLVERS.items():
            solve = solver(p, eps, num_iters, **options)
            loss, logs = solve(x32, y32)  # traced here, not timed
            wall, _, _ = harness.timed_loop(lambda: solve(x32, y32)[0].numpy(), args.repeats)
            rows.append([name, f"{eps:g}", label, f"{int(logs['sinkhorn_iterations'])} / {num_iters}",
                         f"{1e3 * statistics.median(wall):.2f}", f"{float(logs['sinkhorn_marginal_error']):.1e}",
                         f"{float(loss):.5g}", f"{abs(float(loss) - float(reference)):.1e}"])
        rows[-1][-1] += (f" (converged: {float(reference):.5g}, {int(ref_logs['sinkhorn_iterations'])} it., "
                         f"error {float(ref_logs['sinkhorn_marginal_error']):.0e})")

    print(harness.machine({"tensorflow": tf.__version__}) + f"; {args.threads} threads; load {harness.loadavg()}")
    print()
    harness.markdown_table(
        ["problem", "ε", "solver", "iterations", "ms / solve", "marginal error (L1)", "loss", "|Δ loss|"], rows,
        right=("ε", "iterations", "ms / solve", "marginal error (L1)", "loss", "|Δ loss|"))


if __name__ == "__main__":
    main()
