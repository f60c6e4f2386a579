"""Tests of vegan_tf.ot against POT, scipy and brute force."""

import itertools

import numpy as np
import ot  # POT
import pytest
import scipy.spatial.distance
import tensorflow as tf

from vegan_tf import ot as vot


def _problem(seed, n=7, m=9, d=2):
    """Random clouds, non-uniform weights and a cost matrix scaled to max 1."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    cost = scipy.spatial.distance.cdist(x, y, "sqeuclidean")
    cost /= cost.max()
    a = rng.uniform(0.5, 1.5, n)
    b = rng.uniform(0.5, 1.5, m)
    return cost, a / a.sum(), b / b.sum()


@tf.function
def _solve(cost, a, b, eps):
    return vot.sinkhorn(cost, eps, a, b, num_iters=20000, tol=1e-12)


def _pot_reference(cost, a, b, eps):
    kw = dict(method="sinkhorn_log", numItermax=100000, stopThr=1e-14)
    return ot.sinkhorn(a, b, cost, eps, **kw), ot.sinkhorn2(a, b, cost, eps, **kw)


def test_pairwise_cost():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5, 4)) + 10.0, rng.normal(size=(3, 6, 4)) + 10.0
    sq = vot.pairwise_cost(x, y, p=2).numpy()
    eu = vot.pairwise_cost(x, y, p=1).numpy()
    assert sq.shape == eu.shape == (3, 5, 6)
    for i in range(3):
        np.testing.assert_allclose(sq[i], scipy.spatial.distance.cdist(x[i], y[i], "sqeuclidean"), rtol=1e-10)
        np.testing.assert_allclose(eu[i], scipy.spatial.distance.cdist(x[i], y[i]), rtol=1e-10)
    # Coincident points: (nearly) zero and a finite gradient for p=1.
    xt = tf.constant(x[0])
    with tf.GradientTape() as tape:
        tape.watch(xt)
        d = vot.pairwise_cost(xt, xt, p=1)
        total = tf.reduce_sum(d)
    assert np.all(np.abs(np.diag(d.numpy())) < 1e-6)
    assert np.all(np.isfinite(tape.gradient(total, xt).numpy()))


@pytest.mark.parametrize("eps", [0.1, 0.01])
def test_sinkhorn_matches_pot(eps):
    cost, a, b = _problem(1)
    res = _solve(tf.constant(cost), tf.constant(a), tf.constant(b), eps)
    plan_ref, cost_ref = _pot_reference(cost, a, b, eps)
    plan = res.plan.numpy()
    np.testing.assert_allclose(float(res.cost), cost_ref, rtol=1e-7)
    np.testing.assert_allclose(plan, plan_ref, atol=1e-8)
    np.testing.assert_allclose(plan.sum(axis=1), a, atol=1e-10)
    np.testing.assert_allclose(plan.sum(axis=0), b, atol=1e-10)
    # The dual value is the regularised primal value <P, C> + ε KL(P | a ⊗ b).
    kl = np.sum(plan * np.log(plan / np.outer(a, b)))
    np.testing.assert_allclose(float(res.dual), cost_ref + eps * kl, rtol=1e-7)
    # OT_ε = <P, C> + ε KL >= <P, C> >= exact OT (P is feasible).
    assert float(res.dual) >= float(res.cost) >= ot.emd2(a, b, cost) - 1e-12


def test_sinkhorn_small_eps_float32_no_underflow():
    """ε = 0.01 with costs up to 2: the kernel exp(-C/ε) underflows in float32."""
    cost, a, b = _problem(2)
    cost = 2.0 * cost
    eps = 0.01
    assert np.any(np.exp(-cost / eps).astype(np.float32) == 0)  # the premise
    res = vot.sinkhorn(tf.constant(cost, tf.float32), eps, a, b, num_iters=3000)
    _, cost_ref = _pot_reference(cost, a, b, eps)
    assert np.all(np.isfinite(res.plan.numpy()))
    np.testing.assert_allclose(float(res.cost), cost_ref, rtol=1e-4)
    np.testing.assert_allclose(res.plan.numpy().sum(axis=1), a, atol=1e-5)


def test_sinkhorn_batched_equals_per_item():
    problems = [_problem(s, n=6, m=6) for s in range(3)]
    costs = tf.constant(np.stack([c for c, _, _ in problems]))
    a = tf.constant(np.stack([p[1] for p in problems]))
    batched = vot.sinkhorn(costs, 0.05, a, None, num_iters=200)
    assert batched.plan.shape == (3, 6, 6) and batched.cost.shape == (3,)
    for i, (cost, a_i, _) in enumerate(problems):
        single = vot.sinkhorn(tf.constant(cost), 0.05, a_i, None, num_iters=200)
        np.testing.assert_allclose(batched.plan[i].numpy(), single.plan.numpy(), atol=1e-12)
        np.testing.assert_allclose(batched.dual[i].numpy(), single.dual.numpy(), rtol=1e-12)
        np.testing.assert_allclose(batched.f[i].numpy(), single.f.numpy(), atol=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_gradients_finite(p):
    rng = np.random.default_rng(3)
    x = tf.Variable(rng.normal(size=(8, 3)).astype(np.float32))
    y = tf.constant(rng.normal(size=(10, 3)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        transport = vot.sinkhorn(vot.pairwise_cost(x, y, p), 0.05, num_iters=50).cost
        divergence = vot.sinkhorn_loss(x, y, 0.05, p=p, num_iters=50)
        self_divergence = vot.sinkhorn_loss(x, x, 0.05, p=p, num_iters=50)
    for value in (transport, divergence, self_divergence):
        grad = tape.gradient(value, x)
        assert grad is not None and np.all(np.isfinite(grad.numpy()))
    assert np.abs(grad.numpy()).max() < 1e-5  # S(x, x) is flat in x
    assert np.abs(tape.gradient(divergence, x).numpy()).max() > 1e-3


@pytest.mark.parametrize("m", [9, 7])  # equal sizes: one batched loop; unequal: three loops
def test_dual_gradient_is_the_envelope_gradient_of_the_converged_loop(m):
    """The loss's gradient (plan held fixed) equals autodiff through a converged Sinkhorn loop."""
    rng = np.random.default_rng(8)
    x = tf.Variable(rng.normal(size=(9, 2)))
    y = tf.constant(rng.normal(size=(m, 2)) + 0.3)
    with tf.GradientTape(persistent=True) as tape:
        loss = vot.sinkhorn_loss(x, y, 0.5, num_iters=20_000, tol=1e-13)
        unrolled = sum(w * vot.sinkhorn(vot.pairwise_cost(u, v), 0.5, num_iters=20_000, tol=1e-13).dual
                       for w, (u, v) in zip((1.0, -0.5, -0.5), ((x, y), (x, x), (y, y))))
    assert float(loss) == pytest.approx(float(unrolled), rel=1e-10)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), tape.gradient(unrolled, x).numpy(), atol=1e-7)


def test_shapes_stay_static_after_the_loop_is_retraced():
    """The loop is a tf.function with reduce_retracing: after calls at several sizes its traced
    outputs have relaxed shapes; the results must still have their static shapes in a graph."""
    rng = np.random.default_rng(9)
    for n in (5, 6, 7):
        vot.sinkhorn_loss(rng.normal(size=(n, 2)), rng.normal(size=(n, 2)), 0.1, num_iters=3)
    spec = tf.TensorSpec((8, 2), tf.float64)
    loss = tf.function(lambda x, y: vot.sinkhorn_loss(x, y, 0.1, num_iters=3)).get_concrete_function(spec, spec)
    assert loss.structured_outputs.shape == ()
    result = tf.function(lambda c: vot.sinkhorn(c, 0.1, num_iters=3)).get_concrete_function(
        tf.TensorSpec((3, 8, 6), tf.float64)).structured_outputs
    assert result.f.shape == (3, 8) and result.g.shape == (3, 6) and result.dual.shape == (3,)


@pytest.mark.parametrize("objective", ["dual", "cost"])
def test_sinkhorn_divergence_zero_and_positive(objective):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 2))
    images = rng.uniform(size=(6, 4, 4, 1))  # flattened internally
    for cloud in (x, images):
        same = vot.sinkhorn_loss(cloud, cloud, 0.1, num_iters=100, objective=objective)
        assert abs(float(same)) < 1e-12
    shifted = vot.sinkhorn_loss(x, x + [1.0, 0.0], 0.1, num_iters=200, objective=objective)
    assert float(shifted) > 0.5  # close to the squared shift 1
    for seed in range(3):
        u = np.random.default_rng(seed).normal(size=(12, 2))
        v = np.random.default_rng(seed + 10).normal(size=(10, 2))
        assert float(vot.sinkhorn_loss(u, v, 0.5, num_iters=300, objective=objective)) > -1e-8


def test_sinkhorn_divergence_tends_to_exact_ot():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(12, 2)), rng.normal(size=(12, 2)) + 0.5
    exact, _ = vot.exact_ot(x, y)
    loss = tf.function(lambda eps: vot.sinkhorn_loss(x, y, eps, num_iters=5000, tol=1e-10))
    gaps = [abs(float(loss(tf.constant(eps, tf.float64))) - exact) for eps in (0.5, 0.1, 0.01)]
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 0.01 * exact
    assert abs(ot.emd2([], [], ot.dist(x, y)) - exact) < 1e-10


def test_sinkhorn_xla_and_undebiased():
    rng = np.random.default_rng(6)
    x = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    y = tf.constant(rng.normal(size=(8, 2)), tf.float32)
    compiled = tf.function(lambda u, v: vot.sinkhorn_loss(u, v, 0.1), jit_compile=True)
    np.testing.assert_allclose(float(compiled(x, y)), float(vot.sinkhorn_loss(x, y, 0.1)), rtol=1e-4)
    half = vot.sinkhorn(vot.pairwise_cost(tf.cast(x, tf.float16), tf.cast(y, tf.float16)), 0.1)
    assert half.cost.dtype == tf.float32 and np.isfinite(half.cost.numpy())
    # Without debiasing OT_ε(x, x) = <P, C> + ε KL(P | a ⊗ b) > 0: the entropic bias.
    assert float(vot.sinkhorn_loss(x, x, 0.1, debiased=False)) > 0.01
    assert float(vot.sinkhorn_loss(x, x, 0.1, debiased=True)) == 0.0


def _brute_force_matching(x, y):
    n = len(x)
    cost = scipy.spatial.distance.cdist(x, y, "sqeuclidean")
    best = min(itertools.permutations(range(n)), key=lambda s: cost[range(n), s].sum())
    return np.array(best), cost[range(n), best].mean()


@pytest.mark.parametrize("p", [1, 2])
def test_exact_ot_brute_force(p):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    cost_matrix = scipy.spatial.distance.cdist(x, y, "sqeuclidean" if p == 2 else "euclidean")
    best = min(itertools.permutations(range(5)), key=lambda s: cost_matrix[range(5), s].sum())
    value, plan = vot.exact_ot(x, y, p=p)
    np.testing.assert_allclose(value, cost_matrix[range(5), best].mean(), rtol=1e-10)
    expected_plan = np.zeros((5, 5))
    expected_plan[range(5), best] = 0.2
    np.testing.assert_allclose(plan, expected_plan, atol=1e-12)
    np.testing.assert_allclose(value, ot.emd2([], [], cost_matrix), rtol=1e-10)


def test_assignment_brute_force():
    rng = np.random.default_rng(8)
    matched = tf.function(vot.assignment)
    for seed in range(3):
        x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
        expected, _ = _brute_force_matching(x, y)
        perm = vot.assignment(tf.constant(x, tf.float32), tf.constant(y, tf.float32))
        assert perm.dtype == tf.int32 and perm.shape == (6,)
        np.testing.assert_array_equal(perm.numpy(), expected)
        np.testing.assert_array_equal(matched(tf.constant(x), tf.constant(y)).numpy(), expected)
    graph_perm = (
        tf.function(vot.assignment)
        .get_concrete_function(tf.TensorSpec([6, 3], tf.float32), tf.TensorSpec([6, 3], tf.float32))
        .outputs[0]
    )
    assert graph_perm.shape == (6,)
    # y a permutation of x: the matching recovers it.
    x = rng.normal(size=(7, 2))
    shuffle = rng.permutation(7)
    perm = vot.assignment(x, x[shuffle]).numpy()
    np.testing.assert_array_equal(x[shuffle][perm], x)


def test_eps_scaling_converges_faster_to_the_same_plan():
    """ε-scaling (ε_k = max(ε, max C · q^k), potentials carried over) on a minibatch problem of the kind
    the losses solve (100 x 100 digits, squared cost scaled to max 1, ε = 1e-3): after 100 iterations
    its row-marginal error is under half that of iterations from zero potentials (measured 0.037
    against 0.135); and it converges to the plan of ε (POT's, on a small problem)."""
    from vegan_tf import data

    x, y = (data.load_array("digits", "train")[k:k + 100].reshape(100, -1) for k in (0, 100))
    cost = vot.pairwise_cost(tf.constant(x, tf.float64), tf.constant(y, tf.float64)).numpy()
    cost /= cost.max()
    a = np.full(100, 0.01)
    error = lambda res: np.abs(res.plan.numpy().sum(axis=1) - a).sum()  # noqa: E731
    scaled = vot.sinkhorn(tf.constant(cost), 1e-3, num_iters=100, eps_scaling=0.7)
    plain = vot.sinkhorn(tf.constant(cost), 1e-3, num_iters=100)
    assert error(scaled) < 0.5 * error(plain)
    small, a_small, b_small = _problem(1)  # the fixed point is POT's plan of ε
    plan_ref, cost_ref = _pot_reference(small, a_small, b_small, 0.01)
    converged = vot.sinkhorn(tf.constant(small), 0.01, a_small, b_small, num_iters=5000, tol=1e-12, eps_scaling=0.7)
    np.testing.assert_allclose(float(converged.cost), cost_ref, rtol=1e-7)
    np.testing.assert_allclose(converged.plan.numpy(), plan_ref, atol=1e-8)
    with pytest.raises(ValueError, match="eps_scaling must be in"):
        vot.sinkhorn(tf.constant(cost), 1e-3, eps_scaling=1.5)


def test_eps_scaling_cut_short_gives_the_plan_of_the_eps_it_reached():
    """ε-scaling with too few iterations to reach ε: the plan, the cost and the dual are those of the ε of the
    last iteration (``epsilon`` of the result), whose marginals hold; not the potentials of a larger ε put in the
    plan of the target ε (whose marginal error overflows to inf here)."""
    x = np.linspace(0.0, 10.0, 6)[:, None]
    cost = tf.constant((x - x.T + 0.5) ** 2)  # max C = 110.25
    result = vot.sinkhorn(cost, 1e-3, num_iters=4, eps_scaling=0.5)  # ε_k: 110.25, 55.1, 27.6, 13.8 (not 1e-3)
    assert float(result.epsilon) == pytest.approx(110.25 * 0.5 ** 3)
    assert float(result.marginal_error) < 1.0
    again = vot.sinkhorn(cost, float(result.epsilon), num_iters=4000, tol=1e-12)
    assert np.isfinite(result.plan.numpy()).all() and abs(float(result.cost) - float(again.cost)) < 0.5
    assert float(vot.sinkhorn(cost, 1e-3, num_iters=4).epsilon) == pytest.approx(1e-3)


@pytest.mark.parametrize("objective", ["dual", "cost"])
def test_losses_with_eps_scaling_and_tol_on_a_hand_checked_problem(objective):
    """x = {0, 1} and its translate y = x + s (squared cost): the 2 x 2 plans are in closed form.

    Every plan of the three problems is [[π, ½ − π], [½ − π, π]] with π = 1 / (2 (1 + e^{-1/ε}))
    (the cross terms C_12 + C_21 - C_11 - C_22 = 2 in all three), so <P, C> = s² + 1 - 2π for
    (x, y) and 1 - 2π for (x, x) and (y, y), and OT_ε(x, x) = -ε log((1 + e^{-1/ε}) / 2) (the
    symmetric potentials f = g). Hence S_ε(x, y) = s² for either objective, and the biased
    OT_ε(x, y) = s² + OT_ε(x, x) (objective "dual") or s² + 1 - 2π ("cost"). The losses with
    ε-scaling and the early stop reach these values, as the fixed iterations do."""
    s, eps = 0.3, 0.5
    x = np.array([[0.0], [1.0]])
    y = x + s
    pi = 1.0 / (2.0 * (1.0 + np.exp(-1.0 / eps)))
    biased = s**2 + (-eps * np.log((1.0 + np.exp(-1.0 / eps)) / 2.0) if objective == "dual" else 1.0 - 2.0 * pi)
    for options in ({}, {"tol": 1e-12}, {"eps_scaling": 0.5}, {"eps_scaling": 0.5, "tol": 1e-12}):
        loss = vot.sinkhorn_loss(x, y, eps, num_iters=200, objective=objective, **options)
        assert float(loss) == pytest.approx(s**2, rel=1e-10), options
        plain = vot.sinkhorn_loss(x, y, eps, num_iters=200, objective=objective, debiased=False, **options)
        assert float(plain) == pytest.approx(biased, rel=1e-10), options


def test_reported_marginal_error_is_the_plans():
    """``marginal_error`` of ``sinkhorn`` and the loss's logged error are the L1 errors of the returned plans."""
    cost, a, b = _problem(3)
    res = vot.sinkhorn(tf.constant(cost), 0.01, a, b, num_iters=7)
    plan = res.plan.numpy()
    expected = np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum()
    assert expected > 1e-4  # not converged: the error is not just rounding
    np.testing.assert_allclose(float(res.marginal_error), expected, rtol=1e-10)
    assert int(res.iterations) == 7

    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(10, 2)), rng.normal(size=(10, 2)) + 0.5
    loss, logs = vot.sinkhorn_loss_terms(x, y, 0.05, num_iters=9)
    assert set(logs) == set(vot.SINKHORN_DIAGNOSTICS)
    plans = vot.sinkhorn(tf.stack([vot.pairwise_cost(u, v) for u, v in ((x, y), (x, x), (y, y))]), 0.05,
                         num_iters=9).plan.numpy()
    errors = [np.abs(p.sum(axis=1) - 0.1).sum() + np.abs(p.sum(axis=0) - 0.1).sum() for p in plans]
    np.testing.assert_allclose(float(logs["sinkhorn_marginal_error"]), max(errors), rtol=1e-5)
    assert float(logs["sinkhorn_iterations"]) == 9.0
    assert logs["sinkhorn_marginal_error"].dtype == tf.float32


@pytest.mark.parametrize("eps_scaling", [None, 0.5])
def test_tol_stops_early(eps_scaling):
    """With a tolerance the loop stops well before its cap, with a plan at least that accurate; without one
    (``tol=0`` or None) it runs the cap."""
    cost, a, b = _problem(4)
    solve = tf.function(lambda c, tol: vot.sinkhorn(c, 0.1, a, b, num_iters=1000, tol=tol, eps_scaling=eps_scaling))
    stopped = solve(tf.constant(cost), 1e-6)
    assert 1 < int(stopped.iterations) < 200
    assert float(stopped.marginal_error) < 1e-6
    for tol in (0, None):
        assert int(solve(tf.constant(cost), tol).iterations) == 1000
    rng = np.random.default_rng(11)
    _, logs = vot.sinkhorn_loss_terms(rng.normal(size=(12, 2)), rng.normal(size=(12, 2)), 1.0, num_iters=1000,
                                      tol=1e-6, eps_scaling=eps_scaling)
    assert float(logs["sinkhorn_iterations"]) < 1000 and float(logs["sinkhorn_marginal_error"]) < 1e-6


@pytest.mark.parametrize("p, m", [(1, 9), (2, 9), (2, 7)])
def test_the_sinkhorn_witness_is_the_first_variation_of_the_divergence(p, m):
    """∇_{x_i} S_ε(α, β) = ∇ψ(x_i) / n: the gradient of the debiased loss (envelope theorem, converged potentials)
    equals the witness's gradient at each point, for both ground costs; and ψ's soft c-transform on y's points is the
    potential f of the solver's own problem. Batches of one size (m = 7) take the stacked solve, others three."""
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(7, 3)), tf.float64)
    y = tf.constant(rng.normal(size=(m, 3)) + 0.5, tf.float64)
    eps = 1.0  # converged in 2000 iterations for every case (at 0.3 the (7, 7) cross problem is not)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = vot.sinkhorn_loss(x, y, eps, p=p, num_iters=2000, tol=1e-12)
    expected = tape.gradient(loss, x).numpy()
    witness = vot.sinkhorn_witness(x, y, eps, p=p, num_iters=2000, tol=1e-12)
    z = tf.identity(x)
    with tf.GradientTape() as tape:
        tape.watch(z)
        psi = witness(z)
    np.testing.assert_allclose(tape.gradient(psi, z).numpy() / 7, expected, rtol=1e-4, atol=1e-7)
    cross = vot.sinkhorn(vot.pairwise_cost(x, y, p), eps, num_iters=2000, tol=1e-12)
    own = vot.sinkhorn(vot.pairwise_cost(x, x, p), eps, num_iters=2000, tol=1e-12)
    np.testing.assert_allclose(psi.numpy(), (cross.f - own.f).numpy(), rtol=1e-5, atol=1e-6)


def test_the_loss_returns_the_witness_of_the_potentials_it_solved(monkeypatch):
    """``sinkhorn_loss_terms(..., witness=True)`` gives the loss, its diagnostics and ψ at no further solve; only the
    debiased dual divergence has this witness."""
    solve = vot.sinkhorn
    rng = np.random.default_rng(4)
    x = tf.constant(rng.normal(size=(6, 2)), tf.float32)
    y = tf.constant(rng.normal(size=(6, 2)), tf.float32)
    loss, logs = vot.sinkhorn_loss_terms(x, y, 0.5, num_iters=500, tol=1e-7)
    loss_w, logs_w, witness = vot.sinkhorn_loss_terms(x, y, 0.5, num_iters=500, tol=1e-7, witness=True)
    assert float(loss_w) == float(loss) and set(logs_w) == set(logs)
    np.testing.assert_allclose(witness(x), vot.sinkhorn_witness(x, y, 0.5, num_iters=500, tol=1e-7)(x), atol=1e-6)

    solves = []
    monkeypatch.setattr(vot, "sinkhorn", lambda *args, **kwargs: solves.append(1) or solve(*args, **kwargs))
    vot.sinkhorn_loss_terms(x, y, 0.5, witness=True)[2](x)
    assert len(solves) == 1  # the three problems stacked in one solve, and no more for ψ
    for settings in ({"objective": "cost"}, {"debiased": False}):
        with pytest.raises(ValueError, match="witness is that of the debiased divergence"):
            vot.sinkhorn_loss_terms(x, y, 0.5, witness=True, **settings)
