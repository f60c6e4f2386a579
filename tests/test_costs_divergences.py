"""Costs, MMD and the sliced Wasserstein divergence against plain numpy, POT and hand-computed values."""

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


# ------------------------------------------------------------------ sliced Wasserstein (SWAE)
def test_sliced_wasserstein_by_hand():
    """Three points in 2-D, two directions: sort each projection, average |difference|^p over points and directions."""
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], np.float32)
    y = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, -1.0]], np.float32)
    r = 1 / np.sqrt(2.0)
    theta = np.array([[1.0, r], [0.0, r]], np.float32)  # columns (1, 0) and (1, 1)/√2
    # (1, 0): x → 0, 1, 0 sorted 0, 0, 1; y → 1, 2, 0 sorted 0, 1, 2; gaps 0, −1, −1.
    # (1, 1)/√2: x → 0, r, 2r; y → 2r, 2r, −r sorted −r, 2r, 2r; gaps r, −r, 0.
    expected = (0 + 1 + 1 + 0.5 + 0.5 + 0) / 6
    assert float(divergences.sliced_wasserstein(x, y, theta)) == pytest.approx(expected, rel=1e-6)
    assert float(divergences.sliced_wasserstein(x, y, theta, p=1)) == pytest.approx((2 + 2 * r) / 6, rel=1e-6)
    assert float(divergences.sliced_wasserstein(x, x[::-1], theta)) == 0.0  # the order of the samples is no matter
    with pytest.raises(ValueError, match="as many samples"):
        divergences.sliced_wasserstein(x, y[:2], theta)


def test_random_directions_are_unit_stateless_and_spread():
    theta = divergences.random_directions(2000, 3, tf.constant([4, 5], tf.int64)).numpy()
    assert theta.shape == (3, 2000)
    np.testing.assert_allclose(np.linalg.norm(theta, axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(theta, divergences.random_directions(2000, 3, tf.constant([4, 5], tf.int64)))
    assert not np.allclose(theta, divergences.random_directions(2000, 3, tf.constant([4, 6], tf.int64)))
    # Uniform on S²: mean 0 and E θθᵀ = I/3 (sampling error about 0.01 with 2,000 directions).
    np.testing.assert_allclose(theta.mean(axis=1), 0.0, atol=0.05)
    np.testing.assert_allclose(theta @ theta.T / 2000, np.eye(3) / 3, atol=0.03)


@pytest.mark.parametrize("p", [2, 1])
def test_sliced_wasserstein_matches_pot(p):
    """POT's ``ot.sliced_wasserstein_distance`` on the same directions returns SW_p, the p-th root of ours."""
    import ot as pot

    x, y = RNG.normal(size=(40, 5)), RNG.normal(0.5, 2.0, size=(40, 5))
    theta = divergences.random_directions(30, 5, tf.constant([1, 2], tf.int64)).numpy().astype(np.float64)
    expected = pot.sliced_wasserstein_distance(x, y, n_projections=30, p=p, projections=theta) ** p
    assert float(divergences.sliced_wasserstein(x, y, theta, p=p)) == pytest.approx(expected, rel=1e-5)


def test_pot_swae_penalty_matches_pot_and_is_the_steps():
    """The SWAE latent term: SW_2^2(codes, prior draws) on the step's directions against POT; a deterministic
    function of the step (same model state, same value), with new directions and draws at the next step."""
    import ot as pot

    from vegan_tf import models, networks
    from vegan_tf.models import Batch
    from vegan_tf.models.base import PRIOR_SALT

    enc = networks.Encoder((3,), 2, hidden=(8,))
    dec = networks.Decoder((3,), 2, hidden=(8,), output_activation="linear")
    model = models.POT(dec, enc, divergence="sliced_wasserstein", lam=2.0, num_projections=7, seed=1)
    assert model.tracked == ("loss", "reconstruction", "sw")
    x = tf.constant(RNG.normal(size=(6, 3)), tf.float32)
    loss, logs = model.loss_terms(Batch(x, training=False))
    z = model.encode(x).numpy().astype(np.float64)
    pz = model.global_normal(6, 2, PRIOR_SALT).numpy().astype(np.float64)
    theta = divergences.random_directions(7, 2, model.stream_seed(divergences.SLICE_SALT)).numpy().astype(np.float64)
    expected = pot.sliced_wasserstein_distance(z, pz, projections=theta, p=2) ** 2
    assert float(logs["sw"]) == pytest.approx(expected, rel=1e-5)
    assert float(loss) == pytest.approx(float(logs["reconstruction"]) + 2.0 * expected, rel=1e-5)
    assert float(model.loss_terms(Batch(x, training=False))[1]["sw"]) == float(logs["sw"])
    model.step.assign_add(1)
    assert float(model.loss_terms(Batch(x, training=False))[1]["sw"]) != pytest.approx(float(logs["sw"]), rel=1e-3)


def test_sliced_wasserstein_settings_and_gradient():
    from vegan_tf import models

    config = models.default_config("pot")
    assert (config["sliced_wasserstein"]["num_projections"], config["sliced_wasserstein"]["sw_p"]) == (50, 2.0)
    assert divergences.get("sliced_wasserstein", num_projections=3).get_config() == {"num_projections": 3, "sw_p": 2.0}
    for bad in ({"num_projections": 0}, {"sw_p": 0.5}):
        with pytest.raises(ValueError):
            divergences.get("sliced_wasserstein", **bad)
    x = tf.Variable(RNG.normal(size=(5, 3)), dtype=tf.float32)
    theta = divergences.random_directions(4, 3, tf.constant([0, 1], tf.int64))
    with tf.GradientTape() as tape:
        value = divergences.sliced_wasserstein(x, tf.identity(x), theta)
    assert float(value) == 0.0
    np.testing.assert_array_equal(tape.gradient(value, x), 0.0)  # finite (zero) at identical samples


@pytest.mark.parametrize("name", sorted(divergences.DIVERGENCES))
def test_every_divergence_trains_a_pot_step_on_digits(name):
    """POT with each latent divergence (and an encoder of a kind it takes) takes steps on digits with finite logs."""
    import keras

    from vegan_tf import data, models

    kind = divergences.DIVERGENCES[name].encoder_kinds[0]
    model = models.build({"name": "pot", "divergence": name, "encoder_kind": kind, "hidden": (16,), "latent_dim": 4,
                          "critic_hidden": (16,), "noise_dim": 4 if kind == "implicit" else 0}, (8, 8, 1))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = data.load_array("digits", "train", limit=32)
    before = [np.array(w) for w in model.encoder.trainable_weights]
    history = model.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), epochs=1, verbose=0).history
    assert model.divergence.logged in history
    for key in model.tracked:
        assert np.all(np.isfinite(history[key])), key
    assert any(not np.allclose(b, np.array(a)) for b, a in zip(before, model.encoder.trainable_weights))
