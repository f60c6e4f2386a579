"""Optimal-transport solvers used by the models and the metrics.

* :func:`pairwise_cost` -- ground-cost matrices (squared Euclidean or Euclidean).
* :func:`sinkhorn` -- entropic OT between discrete measures, solved by
  Sinkhorn's algorithm (Cuturi, 2013, "Sinkhorn distances: lightspeed
  computation of optimal transport") in the log domain, so that small
  regularisations ε do not underflow.
* :func:`sinkhorn_loss` -- the (debiased) Sinkhorn loss between two minibatches,
  the training objective of the minimum-Kantorovich-estimator generator of
  Genevay, Peyré & Cuturi (2018, "Learning generative models with Sinkhorn
  divergences"); the debiased form is the Sinkhorn divergence studied by
  Feydy et al. (2019, "Interpolating between optimal transport and MMD using
  Sinkhorn divergences"). :func:`sinkhorn_loss_terms` is the same loss with
  the solver's diagnostics (marginal error, iterations) that the models log.
* :func:`marginal_error` -- the L1 error of a plan's marginals.
* :func:`exact_ot` -- exact (unregularised) OT cost and plan via POT's network
  simplex, numpy only, for evaluation.
* :func:`assignment` -- exact optimal matching of two equal-size minibatches
  (Hungarian algorithm of scipy), callable inside a ``tf.function``.

Conventions: entropic OT is

    OT_ε(a, b) = min_{P ∈ Π(a, b)} <P, C> + ε KL(P | a ⊗ b),

whose dual, maximised over potentials (f, g), is

    <f, a> + <g, b> - ε <a ⊗ b, exp((f ⊕ g - C) / ε) - 1>.

The optimal plan is P = (a ⊗ b) exp((f ⊕ g - C) / ε); it is the same plan as
the one of POT's ``ot.sinkhorn`` (whose entropy term differs from the KL above
only by a constant on Π(a, b)).
"""

from __future__ import annotations

import collections

import numpy as np
import ot as pot  # POT, Python Optimal Transport (not this module)
import scipy.optimize
import tensorflow as tf

SinkhornResult = collections.namedtuple(
    "SinkhornResult", ["f", "g", "plan", "cost", "dual", "marginal_error", "iterations", "epsilon"])
SinkhornResult.__doc__ = """Output of :func:`sinkhorn` (leading batch dims as the cost's).

f, g: dual potentials, shapes [..., n] and [..., m].
plan: the entropic transport plan P, [..., n, m].
cost: the transport cost <P, C> of that plan, [...] (POT's ``ot.sinkhorn2``).
dual: the dual objective <f, a> + <g, b>, [...]: the regularised value OT_ε
    (the exponential term of the dual is exactly zero after a g-update, since
    the plan then has total mass one).
marginal_error: the L1 error of both marginals of ``plan``,
    Σ_i |Σ_j P_ij - a_i| + Σ_j |Σ_i P_ij - b_j|, [...] (the column term is zero
    up to rounding: the last update is a g-update).
iterations: the number of iterations run, an int32 scalar (shared by the batch).
epsilon: the ε of the last iteration, at which f, g, the plan and the values are: the ε asked for,
    or, with ε-scaling that ran out of iterations before reaching it, the larger ε reached.
"""


def _flatten(t):
    """[n, ...] -> [n, prod(...)]."""
    t = tf.convert_to_tensor(t)
    return tf.reshape(t, [tf.shape(t)[0], -1])


def pairwise_cost(x, y, p=2):
    """Ground-cost matrix between two point clouds.

    Args:
      x: [n, d] or [B, n, d] tensor.
      y: [m, d] or [B, m, d] tensor.
      p: 2 for the squared Euclidean cost ||x - y||², 1 for the Euclidean
        distance ||x - y||.

    Returns:
      [n, m] (or [B, n, m]) tensor.

    The squared distance is expanded as ||x||² + ||y||² - 2 x·y (one matmul),
    after translating both clouds by their common mean (distances are
    translation invariant; this limits cancellation when the points are far
    from the origin), and clipped at 0. Its absolute error is of the order of
    machine precision times the squared norms, so for p=1 near-coincident
    points get distances of order sqrt(machine eps)·||x|| instead of 0 (about
    1e-8 in float64, 1e-4 in float32 for unit-scale data); the square root
    has a zero gradient at exactly coincident points instead of an infinite
    one.
    """
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        x = tf.cast(x, tf.float32)
    y = tf.convert_to_tensor(y, dtype=x.dtype)
    center = tf.stop_gradient(
        0.5 * (tf.reduce_mean(x, axis=-2, keepdims=True) + tf.reduce_mean(y, axis=-2, keepdims=True))
    )
    x, y = x - center, y - center
    x2 = tf.reduce_sum(tf.square(x), axis=-1)[..., :, None]
    y2 = tf.reduce_sum(tf.square(y), axis=-1)[..., None, :]
    sq = tf.maximum(x2 + y2 - 2.0 * tf.matmul(x, y, transpose_b=True), 0.0)
    if p == 2:
        return sq
    if p == 1:
        positive = sq > 0
        return tf.where(positive, tf.sqrt(tf.where(positive, sq, tf.ones_like(sq))), tf.zeros_like(sq))
    raise ValueError(f"p must be 1 or 2, got {p!r}")


def _log_weights(w, cost, axis):
    """Log of the marginal along `axis` of `cost` (uniform if w is None), broadcast to the batch."""
    size = tf.shape(cost)[axis]
    zeros = tf.zeros(tf.concat([tf.shape(cost)[:-2], [size]], axis=0), cost.dtype)
    if w is None:
        return zeros - tf.math.log(tf.cast(size, cost.dtype))
    return zeros + tf.math.log(tf.convert_to_tensor(w, dtype=cost.dtype))


@tf.function(reduce_retracing=True)
def _sinkhorn_loop(cost, log_a, log_b, eps, num_iters, tol, eps_scaling=None):
    """Potentials (f, g) after the Sinkhorn iterations, their number and the ε of the last (see :func:`sinkhorn`).

    A ``tf.function`` so that eager callers do not pay per-op dispatch in every
    iteration; inside an outer ``tf.function`` (or XLA) it is simply inlined.
    """
    if eps_scaling is None:
        start = eps
    else:  # ε-scaling: ε_k = max(ε, max C · q^k), the potentials carried over from one ε to the next
        start = tf.maximum(eps, tf.reduce_max(cost))

    # log Σ_j b_j exp((g_j − C_ij)/ε) = log Σ_j exp((g_j + ε log b_j − C_ij) · (1/ε)): the weights join
    # the potential ([..., m]) before it meets the cost, and one scalar reciprocal replaces a division
    # over [..., n, m]; two passes over the cost per half-step are saved.
    def f_update(g, e):
        return -e * tf.reduce_logsumexp(((g + e * log_b)[..., None, :] - cost) * (1.0 / e), axis=-1)

    def g_update(f, e):
        return -e * tf.reduce_logsumexp(((f + e * log_a)[..., :, None] - cost) * (1.0 / e), axis=-2)

    def body(i, e, e_used, f, g, err):
        f_new = f_update(g, e)
        if tol is not None:
            # L1 error of the row marginal of the plan of (f, g), whose rows
            # sum to a_i exp((f_i - f_new_i) / ε); it counts once ε is reached.
            err = tf.reduce_max(tf.reduce_sum(tf.exp(log_a) * tf.abs(1.0 - tf.exp((f - f_new) / e)), axis=-1))
            if eps_scaling is not None:
                err = tf.where(e > eps, tf.constant(np.inf, cost.dtype), err)
        e_next = e if eps_scaling is None else tf.maximum(eps, e * eps_scaling)
        return i + 1, e_next, e, f_new, g_update(f_new, e), err

    def cond(i, e, e_used, f, g, err):
        return tf.constant(True) if tol is None else err > tol

    state = (tf.constant(0), start, start, tf.zeros_like(log_a), tf.zeros_like(log_b),
             tf.constant(np.inf, cost.dtype))
    iterations, _, reached, f, g, _ = tf.while_loop(cond, body, state, maximum_iterations=num_iters)
    return f, g, iterations, reached


def sinkhorn(cost, epsilon, a=None, b=None, num_iters=100, tol=None, eps_scaling=None):
    """Entropic OT on a cost matrix by log-domain Sinkhorn iterations (Cuturi, 2013).

    Each iteration updates the potentials by soft-min (log-sum-exp) steps

        f_i = -ε log Σ_j b_j exp((g_j - C_ij) / ε),
        g_j = -ε log Σ_i a_i exp((f_i - C_ij) / ε),

    which never forms exp(-C/ε) and is therefore stable for small ε (where the
    classic kernel-scaling form underflows). The loop is a ``tf.while_loop``
    with ``maximum_iterations=num_iters`` inside a ``tf.function`` (fast when
    called eagerly; inlined in callers' graphs, and XLA-compilable).

    Gradients: the loop is differentiated by plain unrolled reverse-mode
    autodiff (through every iteration), so gradients w.r.t. the cost, and
    through :func:`pairwise_cost` w.r.t. point positions, are exact for the
    truncated algorithm; memory grows linearly with the number of iterations.

    Args:
      cost: [n, m] or [B, n, m] float tensor C (half precision is promoted to
        float32).
      epsilon: regularisation ε > 0 (same units as the cost).
      a, b: marginal weights [n] / [m] (or batched), positive and summing to
        one; uniform if None.
      num_iters: number of iterations (the maximum if `tol` is given).
      tol: if given (and not 0), stop early once the L1 error of the row
        marginal of the plan, Σ_i |P_i· - a_i| (maximised over the batch), is
        below `tol`. The column marginal is exact after each iteration. The
        check is on the plan before the iteration's f-update; the returned
        plan is one iteration further, and its ``marginal_error`` (both
        marginals, recomputed from the plan) is about `tol` or below, plus
        rounding (about 2e-7 in float32 for batches of 100 to 200).
      eps_scaling: if given (and not 0), a factor q in (0, 1): ε-scaling
        (annealing; Schmitzer 2019, "Stabilized sparse scaling algorithms for
        entropy regularized transport problems"; Feydy et al. 2019, as
        GeomLoss and OTT-JAX do it). The iterations start at
        ε_0 = max C and use ε_k = max(ε, ε_0 q^k), one iteration per ε_k,
        carrying the potentials over, so that a small ε starts from the
        potentials of a larger one instead of from zero; `tol` is checked only
        once ε is reached. When `num_iters` ends before ε is reached, the
        plan and every value are those of the ε of the last iteration
        (``epsilon`` of the result), not of ε: the potentials of a larger ε
        put in the plan of a smaller one give marginal errors up to 10⁶⁶. It changes how fast, not where, the iterations
        converge (the fixed point is that of ε). It pays off when ε is small
        against the cost (ε ≲ 0.01 max C); at the ε of the shipped configs it
        needs more iterations than starting from zero
        (``benchmarks/sinkhorn_solver.py``).

    Returns:
      :class:`SinkhornResult` with ``f``, ``g``, ``plan``, ``cost`` = <P, C>
      (the value of POT's ``ot.sinkhorn2``), ``dual`` = <f, a> + <g, b>
      (the regularised value OT_ε), the plan's ``marginal_error`` and the
      ``iterations`` run.
    """
    cost = tf.convert_to_tensor(cost)
    if not cost.dtype.is_floating or cost.dtype.size < 4:
        cost = tf.cast(cost, tf.float32)  # no Sinkhorn in half precision
    eps = tf.cast(epsilon, cost.dtype)
    log_a = _log_weights(a, cost, axis=-2)  # [..., n]
    log_b = _log_weights(b, cost, axis=-1)  # [..., m]

    eps_scaling = float(eps_scaling) if eps_scaling else None  # 0 or None: off
    if eps_scaling is not None and not 0.0 < eps_scaling < 1.0:
        raise ValueError(f"eps_scaling must be in (0, 1), got {eps_scaling!r}.")
    f, g, iterations, eps = _sinkhorn_loop(cost, log_a, log_b, eps, int(num_iters), float(tol) if tol else None,
                                           eps_scaling)  # eps: the ε reached (that asked for, without ε-scaling)
    f.set_shape(log_a.shape)  # a retraced loop (reduce_retracing) returns relaxed shapes
    g.set_shape(log_b.shape)
    plan = tf.exp(log_a[..., :, None] + log_b[..., None, :] + (f[..., :, None] + g[..., None, :] - cost) / eps)
    transport_cost = tf.reduce_sum(plan * cost, axis=[-2, -1])
    dual = tf.reduce_sum(tf.exp(log_a) * f, axis=-1) + tf.reduce_sum(tf.exp(log_b) * g, axis=-1)
    return SinkhornResult(f=f, g=g, plan=plan, cost=transport_cost, dual=dual,
                          marginal_error=marginal_error(plan, tf.exp(log_a), tf.exp(log_b)), iterations=iterations,
                          epsilon=eps)


def marginal_error(plan, a, b):
    """The L1 error of both marginals of a plan, Σ_i |Σ_j P_ij - a_i| + Σ_j |Σ_i P_ij - b_j|, [...]."""
    return (tf.reduce_sum(tf.abs(tf.reduce_sum(plan, axis=-1) - a), axis=-1)
            + tf.reduce_sum(tf.abs(tf.reduce_sum(plan, axis=-2) - b), axis=-1))


def sinkhorn_loss(x, y, epsilon, p=2, num_iters=100, debiased=True, tol=None, objective="dual", eps_scaling=None):
    """Entropic OT loss between two minibatches (uniform weights).

    Points are flattened to vectors ([n, ...] -> [n, d]); the ground cost is
    :func:`pairwise_cost` with exponent `p`. With ``debiased=True`` the result
    is the Sinkhorn divergence

        S_ε(x, y) = OT_ε(x, y) - ½ OT_ε(x, x) - ½ OT_ε(y, y),

    which is 0 for x == y (the three problems are then the same computation)
    and interpolates between OT (ε → 0) and an MMD (ε → ∞). With
    ``debiased=False`` it is OT_ε(x, y), which is biased (not 0 at x == y).

    Which OT_ε: by default (``objective="dual"``) the regularised value
    <f, a> + <g, b> = <P, C> + ε KL(P | a ⊗ b) is used, as in Feydy et al.
    (2019): with it the divergence is provably ≥ 0, definite and convex, and
    its gradient w.r.t. the points is that of the cost at fixed optimal
    potentials (envelope theorem), so it is well behaved. ``objective="cost"``
    uses the transport cost <P, C> of the entropic plan, the "sharp" quantity
    of Genevay, Peyré & Cuturi (2018, "Learning generative models with
    Sinkhorn divergences") used in their MKE experiments (they write the
    debiased loss as 2 W(x, y) - W(x, x) - W(y, y), i.e. twice ours); it has
    no positivity guarantee at finite ε. Both tend to the exact OT cost as
    ε → 0.

    Gradients. With ``objective="dual"`` the loop is not differentiated: the
    potentials are computed on the stopped cost and the gradient is the
    envelope theorem's, ∂OT_ε/∂C_ij = P_ij, i.e. Σ_ij P_ij ∇C(x_i, y_j) (Feydy
    et al. 2019, Sec. 3; exact at convergence, and what the unrolled gradient
    tends to as the iterations converge). When x and y have the same size
    the three problems of the divergence are solved as one batch. This is the
    fast path: one forward loop, no tape over its iterations. With
    ``objective="cost"`` the plan itself moves with the points, and the loop
    is differentiated by unrolled autodiff (see :func:`sinkhorn`).

    Args:
      x: [n, ...] tensor; y: [m, ...] tensor of the same trailing size.
      epsilon: regularisation ε (in units of the cost, e.g. squared distances).
      p: ground-cost exponent, 2 (squared Euclidean) or 1 (Euclidean).
      num_iters, tol, eps_scaling: as in :func:`sinkhorn` (the iteration cap,
        the early stop on the marginal error, ε-scaling; 0 or None: off). The
        models' defaults are ``tol=1e-6`` and no ε-scaling: measured on the
        shipped configs' problems, the stop ends the well-conditioned MNIST
        problem after 4 iterations instead of 100 at the same loss and
        marginal error, and ε-scaling needed more iterations than starting
        from zero (``benchmarks/sinkhorn_solver.py``).
      debiased: subtract the two self-transport terms.
      objective: "dual" or "cost", see above.

    Returns:
      Scalar tensor.
    """
    return sinkhorn_loss_terms(x, y, epsilon, p=p, num_iters=num_iters, debiased=debiased, tol=tol,
                               objective=objective, eps_scaling=eps_scaling)[0]


def sinkhorn_loss_terms(x, y, epsilon, p=2, num_iters=100, debiased=True, tol=None, objective="dual",
                        eps_scaling=None, witness=False):
    """:func:`sinkhorn_loss` and the solver's diagnostics: ``(loss, logs)``, or ``(loss, logs, ψ)``.

    ``logs`` holds ``sinkhorn_marginal_error``, the L1 error of both marginals
    of the returned plans (:func:`marginal_error`; the largest of the
    divergence's three problems), and ``sinkhorn_iterations``, the iterations
    the solver ran (the most of the loops), both float32 scalars without
    gradient, as the models log them. With ``witness=True`` (the debiased
    divergence and ``objective="dual"`` only) it also returns the divergence's
    witness ψ (:func:`sinkhorn_witness`) built from the potentials the loss
    has just solved, at no further solve. Arguments as :func:`sinkhorn_loss`.
    """
    check_sinkhorn_settings(p, objective, eps_scaling)
    if witness and (objective != "dual" or not debiased):
        raise ValueError("The Sinkhorn witness is that of the debiased divergence with objective='dual'.")
    x, y = _flatten(x), _flatten(y)
    y = tf.cast(y, x.dtype)

    pairs = [(x, y), (x, x), (y, y)] if debiased else [(x, y)]
    weights = [1.0, -0.5, -0.5][:len(pairs)]
    costs = [pairwise_cost(u, v, p) for u, v in pairs]
    solve = lambda c: sinkhorn(c, epsilon, num_iters=num_iters, tol=tol, eps_scaling=eps_scaling)  # noqa: E731
    if objective == "cost":
        results = [solve(c) for c in costs]
        values = [r.cost for r in results]
    elif x.shape[0] is not None and x.shape[0] == y.shape[0]:
        batch = tf.stack(costs)  # one loop for the three problems
        results = [solve(tf.stop_gradient(batch))]
        values = tf.unstack(_envelope(results[0], batch), num=len(costs))
    else:
        results = [solve(tf.stop_gradient(c)) for c in costs]
        values = [_envelope(r, c) for r, c in zip(results, costs)]
    loss = tf.add_n([w * v for w, v in zip(weights, values)])
    logs = {
        "sinkhorn_marginal_error": tf.stop_gradient(tf.cast(
            tf.reduce_max(tf.stack([tf.reduce_max(r.marginal_error) for r in results])), tf.float32)),
        "sinkhorn_iterations": tf.cast(tf.reduce_max(tf.stack([r.iterations for r in results])), tf.float32),
    }
    if not witness:
        return loss, logs
    if len(results) == 1:  # the stacked problems (x, y), (x, x), (y, y): their g on y and on x
        potentials = [(y, results[0].g[0], results[0].epsilon), (x, results[0].g[1], results[0].epsilon)]
    else:
        potentials = [(y, results[0].g, results[0].epsilon), (x, results[1].g, results[1].epsilon)]
    return loss, logs, _witness(x, potentials, p)


def sinkhorn_witness(x, y, epsilon, p=2, num_iters=100, tol=None, eps_scaling=None):
    """The witness ψ of the debiased Sinkhorn divergence S_ε(α, β) of the points x (α) and y (β), as a callable.

    ψ(z) = f_αβ(z) − f_αα(z), the soft c-transforms of the converged potentials of OT_ε(α, β) and
    OT_ε(α, α) extended to any point z,

        f_αβ(z) = −ε log Σ_j b_j exp((g_j − c(z, y_j)) / ε),

    the first variation of S_ε with respect to α (Feydy et al. 2019, Prop. 2), so that
    ∇_{x_i} S_ε = a_i ∇ψ(x_i) with uniform weights a_i = 1/n. It plays the part of the critic in
    WGAN: the Sinkhorn generator's learnt cost penalises its gradient
    (``SinkhornGenerator(cost_gradient_penalty=...)``). The potentials are solved once and held
    fixed (no gradient); the callable differentiates through the cost c(z, ·), and through x and
    y when they carry gradients. Arguments as :func:`sinkhorn_loss`; ``ψ(z)`` takes ``[k, ...]``
    points shaped as x and returns ``[k]``. :func:`sinkhorn_loss_terms` returns the same ψ with
    the loss (``witness=True``), from the potentials it solves anyway.
    """
    return sinkhorn_loss_terms(x, y, epsilon, p=p, num_iters=num_iters, tol=tol, eps_scaling=eps_scaling,
                               witness=True)[2]


def _witness(x, potentials, p):
    """ψ(z) = f_αβ(z) − f_αα(z) from ``[(y, g_xy, ε), (x, g_xx, ε)]``: each term the soft c-transform
    −ε log Σ_j (1/m) exp((g_j − c(z, p_j)) / ε) on its support p, with g and ε held fixed."""
    fixed = [(points, tf.stop_gradient(tf.cast(g, x.dtype)), tf.stop_gradient(tf.cast(eps, x.dtype)))
             for points, g, eps in potentials]

    def transform(z, points, g, eps):
        log_m = tf.math.log(tf.cast(tf.shape(points)[0], z.dtype))
        return -eps * (tf.reduce_logsumexp((g[None, :] - pairwise_cost(z, points, p)) / eps, axis=1) - log_m)

    def witness(z):
        z = tf.cast(_flatten(z), x.dtype)
        (py, gy, ey), (px, gx, ex) = fixed
        return transform(z, py, gy, ey) - transform(z, px, gx, ex)

    return witness


def check_sinkhorn_settings(p, objective, eps_scaling):
    """Raises ``ValueError`` for a ground-cost power, objective or ε-scaling factor the losses do not take."""
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}.")
    if objective not in ("dual", "cost"):
        raise ValueError(f"objective must be 'dual' or 'cost', got {objective!r}.")
    if eps_scaling and not 0.0 < eps_scaling < 1.0:
        raise ValueError(f"sinkhorn_eps_scaling must be 0 (off) or in (0, 1), got {eps_scaling!r}.")


#: The names of :func:`sinkhorn_loss_terms`'s diagnostics, which the models that solve Sinkhorn log.
SINKHORN_DIAGNOSTICS = ("sinkhorn_marginal_error", "sinkhorn_iterations")


def _envelope(result, cost):
    """OT_ε (the dual value) with the envelope-theorem gradient Σ P ∇C: the value is
    ``result.dual``, the plan is held fixed, only ``cost`` carries gradients."""
    plan = tf.stop_gradient(tf.cast(result.plan, cost.dtype))
    moved = tf.reduce_sum(plan * (cost - tf.stop_gradient(cost)), axis=[-2, -1])
    return tf.cast(tf.stop_gradient(result.dual), cost.dtype) + moved


def _cost_matrix_np(x, y, p):
    """:func:`pairwise_cost` in float64, as a numpy array (for POT and scipy)."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return pairwise_cost(x, y, p).numpy()


def exact_ot(x, y, a=None, b=None, p=2, num_iter_max=10_000_000):
    """Exact OT between two weighted point clouds (numpy, POT's network simplex).

    Args:
      x: [n, ...] array; y: [m, ...] array (flattened to vectors).
      a, b: weights (uniform if None); normalised to sum to one.
      p: 2 for squared Euclidean cost, 1 for Euclidean.
      num_iter_max: simplex iteration cap (POT's default of 1e5 is too small
        for a few thousand points; POT warns if the cap is reached).

    Returns:
      (cost, plan): the optimal value <P*, C> (as ``ot.emd2``) as a float and
      the optimal plan P* [n, m] (as ``ot.emd``).
    """
    cost = _cost_matrix_np(x, y, p)
    n, m = cost.shape
    a = np.full(n, 1.0 / n) if a is None else np.asarray(a, np.float64) / np.sum(a)
    b = np.full(m, 1.0 / m) if b is None else np.asarray(b, np.float64) / np.sum(b)
    plan = pot.emd(a, b, cost, numItermax=int(num_iter_max))
    return float(np.sum(plan * cost)), plan


def _matching_np(cost):
    _, cols = scipy.optimize.linear_sum_assignment(cost)
    return cols.astype(np.int32)


def assignment(x, y):
    """Exact optimal matching of two equal-size minibatches (squared Euclidean cost).

    Solves min_σ Σ_i ||x_i - y_σ(i)||² with scipy's ``linear_sum_assignment``
    on the float64 cost matrix of :func:`pairwise_cost` (through ``tf.numpy_function``, so it works inside a
    ``tf.function``; not XLA-compilable, and not differentiable -- the
    permutation is piecewise constant).

    Args:
      x, y: [n, ...] tensors (flattened to vectors).

    Returns:
      int32 tensor `perm` of shape [n] such that ``tf.gather(y, perm)[i]`` is
      the point matched to ``x[i]``.
    """
    x = tf.convert_to_tensor(x)
    static_n = x.shape[:1]
    cost = pairwise_cost(tf.cast(tf.stop_gradient(_flatten(x)), tf.float64),
                         tf.cast(tf.stop_gradient(_flatten(y)), tf.float64))
    perm = tf.numpy_function(_matching_np, [cost], tf.int32, stateful=False)
    perm.set_shape(static_n)
    return perm
