"""Costs and MMD against plain numpy on tiny inputs, and hand-computed values."""

import numpy as np
import pytest
import tensorflow as tf

from vegan_tf import costs, divergences

RNG = np.random.default_rng(0)


def numpy_mmd(x, y, kernel):
    """Unbiased MMD² with explicit loops (Gretton et al. 2012, Lemma 6)."""
    n, m = len(x), len(y)
    kxx = sum(kernel(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kyy = sum(kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kxy = sum(kernel(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return kxx + kyy - 2 * kxy


def test_costs_match_numpy():
    x = RNG.uniform(size=(3, 2, 2, 1)).astype(np.float32)
    y = RNG.uniform(size=(3, 2, 2, 1)).astype(np.float32)
    d = (x - y).reshape(3, -1)
    np.testing.assert_allclose(costs.squared_l2(x, y), (d ** 2).sum(1), rtol=1e-6)
    np.testing.assert_allclose(costs.l2(x, y), np.sqrt(1e-8 + (d ** 2).sum(1)), rtol=1e-6)
    np.testing.assert_allclose(costs.l1(x, y), np.abs(d).sum(1), rtol=1e-6)
    xf, yf = x.reshape(3, -1), y.reshape(3, -1)
    bce = -(xf * np.log(yf) + (1 - xf) * np.log(1 - yf)).sum(1)
    np.testing.assert_allclose(costs.bernoulli(x, y), bce, rtol=1e-5)
    logits = np.log(y / (1 - y))
    np.testing.assert_allclose(costs.bernoulli(x, y, logits=logits), bce, rtol=1e-4)


def test_cost_by_hand_and_wae_scales():
    x = np.array([[0.0, 1.0]], np.float32)
    y = np.array([[1.0, 0.0]], np.float32)
    assert float(costs.squared_l2(x, y)[0]) == pytest.approx(2.0)
    assert float(costs.l1(x, y)[0]) == pytest.approx(2.0)
    assert float(costs.get("l2sq", "wae")(x, y)[0]) == pytest.approx(0.1)
    assert float(costs.get("l2", "wae")(x, y)[0]) == pytest.approx(0.2 * np.sqrt(2.0), rel=1e-6)
    assert float(costs.get("l1", "wae")(x, y)[0]) == pytest.approx(0.04)
    assert float(costs.get("l1", 3)(x, y)[0]) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="Unknown cost 'l3'"):
        costs.get("l3")
    with pytest.raises(ValueError, match="number or 'wae'"):
        costs.get("l2", "big")


def test_imq_mmd_matches_numpy_multiscale():
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    y = (RNG.normal(size=(4, 3)) + 0.5).astype(np.float32)
    base = divergences.wae_imq_base(3)
    assert base == 6.0

    def imq(a, b):
        return sum(base * s / (base * s + np.sum((a - b) ** 2)) for s in divergences.WAE_IMQ_SCALES)

    np.testing.assert_allclose(divergences.mmd(x, y), numpy_mmd(x, y, imq), rtol=1e-4, atol=1e-6)


def test_rbf_mmd_matches_numpy_with_fixed_width():
    x = RNG.normal(size=(4, 2)).astype(np.float32)
    y = RNG.normal(size=(6, 2)).astype(np.float32)

    def rbf(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * 1.5))

    np.testing.assert_allclose(divergences.mmd(x, y, "rbf", scales=(1.0,), base=1.5), numpy_mmd(x, y, rbf),
                               rtol=1e-4, atol=1e-6)


def test_mmd_by_hand_on_two_points_each():
    # x = {0, 2}, y = {1, 1} in 1-D, IMQ with C = 1:
    # k(0,2) = 1/5; k(1,1) = 1; cross terms k(0,1) = k(2,1) = 1/2.
    # MMD² = 1/5 + 1 - 2 * (4 * 1/2) / 4 = 0.2.
    x = np.array([[0.0], [2.0]], np.float32)
    y = np.array([[1.0], [1.0]], np.float32)
    assert float(divergences.mmd(x, y, "imq", scales=(1.0,), base=1.0)) == pytest.approx(0.2, rel=1e-6)


def test_mmd_is_near_zero_for_same_distribution_and_unbiased():
    values = [float(divergences.mmd(RNG.normal(size=(64, 4)), RNG.normal(size=(64, 4)))) for _ in range(50)]
    # Unbiased: the mean is 0 within 4 standard errors; single draws may be negative.
    assert abs(np.mean(values)) < 4 * np.std(values) / np.sqrt(len(values))
    assert min(values) < 0 < max(values)
    shifted = float(divergences.mmd(RNG.normal(size=(64, 4)), RNG.normal(size=(64, 4)) + 1.0))
    assert shifted > 0.2


def test_rbf_median_heuristic():
    x = np.array([[0.0], [1.0], [3.0]], np.float32)  # squared distances 1, 9, 4 -> median 4
    y = np.array([[0.0], [2.0], [2.0]], np.float32)  # squared distances 4, 4, 0 -> median 4
    sigma2 = 8.0

    def rbf(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * sigma2))

    np.testing.assert_allclose(divergences.mmd(x, y, "rbf", scales=(1.0,)), numpy_mmd(x, y, rbf), rtol=1e-5)


def test_gaussian_kl_by_hand():
    mean = np.array([[1.0, 0.0]], np.float32)
    log_var = np.array([[0.0, np.log(2.0)]], np.float32)
    # 0.5 * [(1 + 1 - 1 - 0) + (2 + 0 - 1 - log 2)]
    expected = 0.5 * (1.0 + 1.0 - np.log(2.0))
    assert float(divergences.gaussian_kl(mean, log_var)[0]) == pytest.approx(expected, rel=1e-6)


def test_mmd_gradient_is_finite_at_identical_points():
    x = tf.Variable(np.zeros((4, 2), np.float32))
    with tf.GradientTape() as tape:
        value = divergences.mmd(x, tf.zeros((4, 2)))
    grad = tape.gradient(value, x)
    assert np.all(np.isfinite(grad.numpy()))


def test_likelihood_costs_by_hand():
    """−log N(x; y, σ² I) = Σ (x − y)² / (2σ²) + (d/2) log 2πσ²; Bernoulli from logits = binary cross-entropy."""
    x = np.array([[0.0, 1.0, 0.5]], np.float32)
    y = np.array([[0.5, 0.5, 0.5]], np.float32)
    expected = 0.5 / (2 * 0.3**2) + 1.5 * np.log(2 * np.pi * 0.3**2)
    assert float(costs.get("gaussian", sigma=0.3)(x, y)[0]) == pytest.approx(expected, rel=1e-5)
    logits = np.zeros_like(y)  # p = 1/2 everywhere: −log p(x) = 3 log 2 for any grey levels
    assert float(costs.get("bernoulli")(x, y, logits)[0]) == pytest.approx(3 * np.log(2.0), rel=1e-6)


def test_pot_sinkhorn_penalty_matches_pot():
    """The Sinkhorn auto-encoder's latent term: S_ε(codes, prior draws) against POT's Sinkhorn."""
    import ot as pot

    from vegan_tf import models, networks
    from vegan_tf.models import Batch
    from vegan_tf.models.base import PRIOR_SALT

    enc = networks.Encoder((3,), 2, hidden=(8,))
    dec = networks.Decoder((3,), 2, hidden=(8,), output_activation="linear")
    model = models.POT(dec, enc, divergence="sinkhorn", lam=2.0, epsilon=0.5, num_iters=3000, seed=1)
    x = tf.constant(RNG.normal(size=(6, 3)), tf.float32)
    loss, logs = model.loss_terms(Batch(x, training=False))
    z = model.encode(x).numpy().astype(np.float64)
    pz = model.global_normal(6, 2, PRIOR_SALT).numpy().astype(np.float64)

    def ot_eps(u, v):  # the regularised value <P, C> + ε KL(P | a ⊗ b)
        a = np.full(len(u), 1 / len(u))
        plan = pot.sinkhorn(a, a, pot.dist(u, v), 0.5, method="sinkhorn_log", numItermax=100000, stopThr=1e-13)
        return np.sum(plan * pot.dist(u, v)) + 0.5 * np.sum(plan * np.log(plan / np.outer(a, a)))

    expected = ot_eps(z, pz) - 0.5 * ot_eps(z, z) - 0.5 * ot_eps(pz, pz)
    assert float(logs["sinkhorn"]) == pytest.approx(expected, rel=1e-3, abs=1e-5)
    assert float(loss) == pytest.approx(float(logs["reconstruction"]) + 2.0 * expected, rel=1e-3, abs=1e-5)
