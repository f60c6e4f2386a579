"""Latent samplers (vegan_tf.samplers) and the model's sampler API (set_sampler, fit_sampler, collect_codes).

The mixture's EM against scikit-learn's, each fitted loss recomputed by hand in numpy from the
same stateless draws with the optimal pairing found by brute force (and the pairing against
POT), stateless sampling, round trips through ``.keras`` files, exports and checkpoints, the
fit under two replicas, a fit interrupted and resumed, and the refusals.
"""

import itertools

import keras
import numpy as np
import ot as pot
import pytest
import tensorflow as tf
from sklearn.mixture import GaussianMixture

from vegan_tf import export, ot, samplers
from zoo import digits_batches, tiny_model

#: Small settings of each fitted kind (a fit of well under a second).
SMALL = {
    "gmm": {"components": 3},
    "transport": {"hidden": (16,), "steps": 30, "batch_size": 32},
    "flow_matching": {"hidden": (16,), "steps": 30, "batch_size": 32, "integration_steps": 4},
}
FITTED = tuple(SMALL)
NETWORKS = ("transport", "flow_matching")


def blobs(n=400, seed=0):
    """Three well separated 3-D blobs with correlated (full) covariances, far from the origin."""
    rng = np.random.default_rng(seed)
    centres = np.array([[6.0, 0.0, 0.0], [-6.0, 0.0, 0.0], [0.0, 6.0, 0.0]])
    mixing = np.array([[[0.6, 0.0, 0.0], [0.4, 0.3, 0.0], [0.1, 0.0, 0.4]],
                       [[0.3, 0.0, 0.0], [-0.2, 0.5, 0.0], [0.0, 0.2, 0.3]],
                       [[0.5, 0.0, 0.0], [0.0, 0.4, 0.0], [-0.3, 0.1, 0.5]]])
    labels = rng.integers(3, size=n)
    return centres[labels] + np.einsum("nij,nj->ni", mixing[labels], rng.normal(size=(n, 3))), centres


def ring(n=800, seed=0):
    """Eight anisotropic Gaussians on a circle of radius 4."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(8) / 8
    centres = 4 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centres[rng.integers(8, size=n)] + rng.normal(size=(n, 2)) * [0.3, 0.15]


def toy_codes(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(size=(n // 2, 2)) * 0.3 + [2.0, 0.0],
                           rng.normal(size=(n - n // 2, 2)) * 0.3 - [2.0, 0.0]])


# ------------------------------------------------------------------ Gaussian mixture
@pytest.mark.parametrize("toy", ["blobs", "ring"])
def test_mixture_likelihood_matches_scikit_learn(toy):
    x = blobs()[0] if toy == "blobs" else ring()
    k = 3 if toy == "blobs" else 8
    reference = GaussianMixture(k, covariance_type="full", n_init=3, random_state=0).fit(x).score(x)
    log_w, means, chol, log_likelihood = samplers.fit_mixture(x, k, seed=0)
    assert log_likelihood >= reference - 1e-3
    np.testing.assert_allclose(samplers.mixture_log_likelihood(x, log_w, means, chol).mean(), log_likelihood,
                               rtol=1e-12)
    sampler = samplers.get("gmm", latent_dim=x.shape[1], components=k)
    info = sampler.fit(x, seed=0)
    assert info["components"] == k and info["log_likelihood"] == pytest.approx(log_likelihood, rel=1e-12)
    tf_mean = float(tf.reduce_mean(sampler.log_prob(x)))  # float32 parameters and arithmetic
    assert tf_mean == pytest.approx(log_likelihood, abs=2e-4)
    assert tf_mean >= reference - 2e-3


@pytest.fixture(scope="module")
def chosen_mixture():
    """A mixture with ``components=0`` (choose among 1, 2, 3, 5, 8) fitted to three isotropic 3-D blobs."""
    rng = np.random.default_rng(0)
    centres = np.array([[6.0, 0.0, 0.0], [-6.0, 0.0, 0.0], [0.0, 6.0, 0.0]])
    x = centres[rng.integers(3, size=300)] + 0.5 * rng.normal(size=(300, 3))
    sampler = samplers.get("gmm", latent_dim=3, components=0, max_components=8)
    return sampler, sampler.fit(x, seed=0), centres


def test_mixture_chooses_the_true_count_on_held_out_codes(chosen_mixture):
    _, info, _ = chosen_mixture
    scores = info["held_out_log_likelihood"]
    assert sorted(scores) == [1, 2, 3, 5, 8]  # the candidates up to max_components
    assert info["components"] == 3 and max(scores, key=scores.get) == 3
    assert scores[3] > scores[2] + 0.5


def test_mixture_samples_only_from_fitted_components(chosen_mixture):
    sampler, _, centres = chosen_mixture
    weights = np.exp(sampler.log_weights.numpy())
    assert weights.shape == (8,)
    np.testing.assert_array_equal(weights[3:], 0.0)  # the unused slots (mean 0, covariance I)
    assert weights[:3].sum() == pytest.approx(1.0, abs=1e-5)
    z = sampler.sample(2000, seed=5).numpy()
    nearest = np.min(np.linalg.norm(z[:, None, :] - centres[None], axis=-1), axis=1)
    assert nearest.max() < 4.0  # every draw belongs to a blob: none from an empty slot at the origin, 6 away


# ------------------------------------------------------------------ fitted losses by hand
def optimal_pairing(x, y):
    """The permutation σ minimising Σ ||x_i − y_σ(i)||², by brute force."""
    return min(itertools.permutations(range(len(x))),
               key=lambda p: sum(np.sum((x[i] - y[j]) ** 2) for i, j in enumerate(p)))


def dense_weights(layers):
    return [[w.numpy().astype(np.float64) for w in layer.weights]
            for layer in layers if isinstance(layer, keras.layers.Dense)]


SEED = tf.constant([7, 3], tf.int64)


@pytest.mark.parametrize("transport_fit", ["median", "mean"])
def test_transport_fit_loss_by_hand(transport_fit):
    scale = 1.5
    sampler = samplers.get("transport", latent_dim=2, prior_scale=scale, hidden=(4,), transport_fit=transport_fit)
    z = scale * tf.random.stateless_normal([3, 2], SEED).numpy().astype(np.float64)
    codes = (z[[1, 2, 0]] + [0.1, -0.05]).astype(np.float32)  # a pairing other than the identity
    pairing = optimal_pairing(z, codes.astype(np.float64))
    assert pairing != (0, 1, 2)
    (k1, b1), (k2, _) = dense_weights(sampler.potential.torso.layers) + dense_weights([sampler.potential.head])
    # φ(z) = relu(z K1 + b1) K2 + b2, so T(z) = ∇φ(z) = K1 (K2 ⊙ 1[z K1 + b1 > 0]).
    transported = ((z @ k1 + b1) > 0) * k2[:, 0] @ k1.T
    residual = transported - codes[list(pairing)]
    squared = np.sum(residual ** 2, axis=1)
    expected = np.mean(np.sqrt(squared + 1e-12)) if transport_fit == "median" else np.mean(squared)
    assert float(sampler.fit_loss(tf.constant(codes), SEED)) == pytest.approx(expected, rel=1e-5)


def test_flow_matching_fit_loss_by_hand():
    scale, sigma = 1.5, 0.3
    sampler = samplers.get("flow_matching", latent_dim=2, prior_scale=scale, hidden=(4,), sigma=sigma)
    x0 = scale * tf.random.stateless_normal([3, 2], SEED).numpy().astype(np.float64)
    t = tf.random.stateless_uniform([3, 1], SEED + [0, 1 << 40]).numpy().astype(np.float64)
    noise = tf.random.stateless_normal([3, 2], SEED + [0, 2 << 40]).numpy().astype(np.float64)
    codes = (x0[[2, 0, 1]] - [0.2, 0.1]).astype(np.float32)
    pairing = optimal_pairing(x0, codes.astype(np.float64))
    assert pairing != (0, 1, 2)
    y = codes[list(pairing)].astype(np.float64)
    xt = (1 - t) * x0 + t * y + sigma * noise
    (k1, b1), (k2, b2) = dense_weights(sampler.velocity.layers)
    h = np.concatenate([xt, t], axis=1) @ k1 + b1
    velocity = (h / (1 + np.exp(-h))) @ k2 + b2  # SiLU hidden layer, linear output
    expected = np.mean(np.sum((velocity - (y - x0)) ** 2, axis=1))
    assert float(sampler.fit_loss(tf.constant(codes), SEED)) == pytest.approx(expected, rel=1e-5)


def test_minibatch_pairing_is_pots_exact_plan():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 3))
    perm = ot.assignment(tf.constant(x, tf.float32), tf.constant(y, tf.float32)).numpy()
    uniform = np.full(16, 1 / 16)
    plan = pot.emd(uniform, uniform, pot.dist(x, y))  # squared Euclidean cost
    np.testing.assert_allclose(16 * plan, np.eye(16)[perm], atol=1e-9)


# ------------------------------------------------------------------ stateless sampling
@pytest.fixture(scope="module")
def toy_samplers():
    """Every kind fitted to 2-D codes of two clusters."""
    out = {"prior": samplers.get("prior", latent_dim=2, prior_scale=1.5)}
    for kind in FITTED:
        out[kind] = samplers.get(kind, latent_dim=2, **SMALL[kind])
        out[kind].fit(toy_codes(), seed=1)
    return out


@pytest.mark.parametrize("kind", ["prior", *FITTED])
def test_same_seed_same_codes_other_seed_other_codes(toy_samplers, kind):
    sampler = toy_samplers[kind]
    a = sampler.sample(64, seed=3).numpy()
    assert a.shape == (64, 2) and np.all(np.isfinite(a))
    np.testing.assert_array_equal(sampler.sample(64, seed=3).numpy(), a)
    assert np.abs(sampler.sample(64, seed=4).numpy() - a).max() > 1e-3


@pytest.mark.parametrize("kind", ["prior", *FITTED])
def test_sample_in_a_graph_equals_eager(toy_samplers, kind):
    sampler = toy_samplers[kind]
    graph = tf.function(lambda n, seed: sampler.sample(n, seed))
    np.testing.assert_allclose(graph(tf.constant(32), tf.constant(9)).numpy(), sampler.sample(32, 9).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_the_prior_sampler_draws_the_models_prior():
    model = tiny_model("wae_mmd")
    assert model.sampler.kind == "prior" and model.sampler.fitted
    np.testing.assert_array_equal(model.sample_codes(8, 5).numpy(), model.prior_sample(8, 5).numpy())


@pytest.mark.parametrize("kind", FITTED)
def test_unfitted_sampler_refuses_eagerly_naming_fit_sampler(kind):
    sampler = samplers.get(kind, latent_dim=2, **SMALL[kind])
    assert not sampler.fitted
    with pytest.raises(RuntimeError, match="fit_sampler"):
        sampler.sample(4, seed=0)


@pytest.mark.parametrize("kind", FITTED)
def test_unfitted_sampler_fails_inside_a_graph(kind):
    sampler = samplers.get(kind, latent_dim=2, **SMALL[kind])
    with pytest.raises(tf.errors.InvalidArgumentError, match="not fitted"):
        tf.function(lambda: sampler.sample(4, seed=0))()


# ------------------------------------------------------------------ round trips
@pytest.fixture(scope="module", params=FITTED)
def fitted_model(request):
    """A tiny WAE-MMD with a sampler of each kind fitted to its codes of the digits."""
    model = tiny_model("wae_mmd")
    model.fit_sampler(digits_batches(), request.param, **SMALL[request.param])
    assert model.sampler.kind == request.param and model.sampler.fitted
    return model


def test_keras_file_keeps_the_fitted_sampler(fitted_model, tmp_path):
    fitted_model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(loaded.sampler) is type(fitted_model.sampler) and loaded.sampler.fitted
    assert loaded.sampler.settings() == fitted_model.sampler.settings()
    np.testing.assert_array_equal(loaded.sample_codes(16, 2).numpy(), fitted_model.sample_codes(16, 2).numpy())
    np.testing.assert_array_equal(loaded.sample(16, 2).numpy(), fitted_model.sample(16, 2).numpy())


def test_export_signatures_draw_from_the_fitted_sampler(fitted_model, tmp_path):
    path = export.export(fitted_model, str(tmp_path / "export"))
    assert export.read_metadata(path)["sampler"]["kind"] == fitted_model.sampler.kind
    loaded = tf.saved_model.load(path)
    draw = {"num_samples": tf.constant(16), "seed": tf.constant(2)}
    np.testing.assert_allclose(loaded.signatures["sample_codes"](**draw)["z"].numpy(),
                               fitted_model.sample_codes(16, 2).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loaded.signatures["sample"](**draw)["x"].numpy(),
                               fitted_model.sample(16, 2).numpy(), rtol=1e-6, atol=1e-6)


def test_export_refuses_an_unfitted_sampler(tmp_path):
    model = tiny_model("wae_mmd")
    model.set_sampler("gmm", components=2)
    with pytest.raises(ValueError, match="not fitted"):
        export.export(model, str(tmp_path / "export"))
    assert not (tmp_path / "export" / "1").exists()


def test_training_checkpoint_leaves_the_sampler_out(fitted_model, tmp_path):
    sampler = fitted_model.sampler
    path = tf.train.Checkpoint(model=fitted_model).write(str(tmp_path / "ckpt"))
    assert not any("sampler" in name for name, _ in tf.train.list_variables(path))
    fitted = sampler.get_weights()
    try:
        sampler.set_weights(sampler.fresh().get_weights())  # the sampler back to unfitted
        tf.train.Checkpoint(model=fitted_model).read(path).assert_existing_objects_matched()
        assert not sampler.fitted and int(sampler.fit_step.numpy()) == 0  # restoring training left it alone
    finally:
        sampler.set_weights(fitted)


def test_sampler_checkpoint_round_trips(fitted_model, tmp_path):
    path = tf.train.Checkpoint(sampler=fitted_model.sampler).write(str(tmp_path / "sampler"))
    restored = fitted_model.sampler.fresh()
    assert not restored.fitted
    tf.train.Checkpoint(sampler=restored).read(path).assert_consumed()
    assert restored.fitted
    for a, b in zip(restored.get_weights(), fitted_model.sampler.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(restored.sample(16, 2).numpy(), fitted_model.sampler.sample(16, 2).numpy())


# ------------------------------------------------------------------ two replicas
@pytest.mark.parametrize("kind", FITTED)
def test_fit_under_two_replicas_gives_the_one_device_sampler(kind, two_replicas):
    one = tiny_model("wae_mmd")
    two = tiny_model("wae_mmd", two_replicas)
    two.set_weights(one.get_weights())  # the same auto-encoder
    one.set_sampler(kind, **SMALL[kind])
    with two_replicas.scope():
        two.set_sampler(kind, **SMALL[kind])  # its variables mirrored, as a model built under the strategy has them
    # fit_sampler fits a fresh copy, whose network's initial weights come from Keras' global seed.
    keras.utils.set_random_seed(11)
    one.fit_sampler(digits_batches())
    keras.utils.set_random_seed(11)
    two.fit_sampler(digits_batches())
    expected = one.sample_codes(16, 2).numpy()
    np.testing.assert_allclose(two.sample_codes(16, 2).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(two.sample(16, 2).numpy(), one.sample(16, 2).numpy(), rtol=1e-5, atol=1e-6)
    per_replica = two_replicas.experimental_local_results(two_replicas.run(lambda: two.sample_codes(16, 2)))
    for codes in per_replica:  # every replica draws from the fitted state
        np.testing.assert_allclose(codes.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", NETWORKS)
def test_fit_sampler_inside_the_strategy_scope(kind, two_replicas):
    two = tiny_model("wae_mmd", two_replicas)
    with two_replicas.scope():
        two.fit_sampler(digits_batches(), kind, **SMALL[kind])
    assert two.sampler.fitted


# ------------------------------------------------------------------ interrupted fit
class Interrupted(Exception):
    pass


@pytest.mark.parametrize("kind", NETWORKS)
def test_interrupted_fit_resumed_from_a_checkpoint_ends_where_the_straight_fit_does(kind, tmp_path):
    codes = toy_codes()
    settings = {"hidden": (16,), "steps": 40, "batch_size": 16}
    straight = samplers.get(kind, latent_dim=2, **settings)
    interrupted = straight.fresh()
    interrupted.set_weights(straight.get_weights())  # the same initial network
    straight.fit(codes, seed=3)

    optimizer = interrupted.make_optimizer()
    checkpoint = tf.train.Checkpoint(sampler=interrupted, optimizer=optimizer)

    def kill_after_20(step):
        if step == 20:
            checkpoint.write(str(tmp_path / "fit"))
            raise Interrupted

    with pytest.raises(Interrupted):
        interrupted.fit(codes, seed=3, optimizer=optimizer, callback=kill_after_20, callback_every=10)
    assert int(interrupted.fit_step.numpy()) == 20 and not interrupted.fitted
    with pytest.raises(RuntimeError, match="not fitted"):
        interrupted.sample(4)

    resumed = straight.fresh()
    resumed_optimizer = resumed.make_optimizer()
    tf.train.Checkpoint(sampler=resumed, optimizer=resumed_optimizer).read(str(tmp_path / "fit")).assert_consumed()
    assert int(resumed.fit_step.numpy()) == 20
    resumed.fit(codes, seed=3, optimizer=resumed_optimizer)
    assert resumed.fitted
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(resumed.sample(32, 1).numpy(), straight.sample(32, 1).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", NETWORKS)
def test_fit_sampler_with_the_same_seed_gives_the_same_sampler(kind):
    model = tiny_model("wae_mmd")
    model.fit_sampler(digits_batches(), kind, seed=4, **SMALL[kind])
    first = model.sample_codes(16, 2).numpy()
    model.fit_sampler(digits_batches(), kind, seed=4, **SMALL[kind])
    np.testing.assert_allclose(model.sample_codes(16, 2).numpy(), first, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("kind, settings, key", [
    ("transport", {"steps": 0}, "steps"),
    ("transport", {"hidden": (0,)}, "hidden"),
    ("transport", {"transport_fit": "x"}, "transport_fit"),
    ("transport", {"batch_size": 1}, "batch_size"),
    ("flow_matching", {"learning_rate": 0.0}, "learning_rate"),
    ("flow_matching", {"integration_steps": 0}, "integration_steps"),
    ("flow_matching", {"sigma": -0.1}, "sigma"),
    ("gmm", {"components": -1}, "components"),
    ("gmm", {"components": 2.5}, "components"),
    ("gmm", {"max_components": 0}, "max_components"),
])
def test_bad_values_are_refused_naming_the_key(kind, settings, key):
    with pytest.raises(ValueError, match=rf"sampler's {key} must be"):
        samplers.sampler_class(kind).validate(**settings)
    with pytest.raises(ValueError, match=rf"sampler's {key} must be"):
        samplers.get(kind, latent_dim=2, **settings)


def test_hidden_as_a_bare_int_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="hidden"):
        samplers.get("transport", latent_dim=2, hidden=16)


@pytest.mark.parametrize("kind, key", [("gmm", "componets"), ("transport", "hiden"), ("flow_matching", "stepz")])
def test_unknown_settings_are_refused_naming_the_key(kind, key):
    with pytest.raises(ValueError, match=key):
        samplers.sampler_class(kind).validate(**{key: 3})
    with pytest.raises(ValueError, match=key):
        samplers.get(kind, latent_dim=2, **{key: 3})
    with pytest.raises(ValueError, match=key):
        tiny_model("wae_mmd").set_sampler(kind, **{key: 3})


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="sampler.kind"):
        samplers.get("vamp", latent_dim=2)


def test_settings_without_a_kind_are_refused():
    with pytest.raises(TypeError, match="need a sampler kind"):
        tiny_model("wae_mmd").fit_sampler(digits_batches(), components=3)


def test_a_model_without_encoder_refuses_a_fitted_sampler():
    model = tiny_model("wgan_gp")
    with pytest.raises(ValueError, match="no encoder"):
        model.set_sampler("gmm")
    with pytest.raises(ValueError, match="no encoder"):
        model.fit_sampler(digits_batches(), "transport", **SMALL["transport"])
    assert model.set_sampler("prior").kind == "prior"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_codes_with_nan_or_infinity_are_refused(bad):
    codes = toy_codes()
    codes[5, 1] = bad
    for kind in FITTED:
        sampler = samplers.get(kind, latent_dim=2, **SMALL[kind])
        with pytest.raises(ValueError, match="NaN or infinite"):
            sampler.fit(codes)
        assert not sampler.fitted


def test_codes_of_the_wrong_shape_or_too_few_are_refused():
    sampler = samplers.get("gmm", latent_dim=2, components=1)
    with pytest.raises(ValueError, match=r"shape \[N, 2\]"):
        sampler.fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="at least 2 codes"):
        sampler.fit(np.zeros((1, 2)))


# ------------------------------------------------------------------ which codes
def images(dataset):
    return tf.concat(list(dataset), axis=0)


def test_mean_codes_are_the_encoders_and_draws_differ_for_a_vae():
    model = tiny_model("vae")
    encoded = model.encode(images(digits_batches())).numpy()
    np.testing.assert_allclose(model.collect_codes(digits_batches(), codes="mean"), encoded, rtol=1e-5, atol=1e-6)
    draws = model.collect_codes(digits_batches(), codes="draw", seed=1)
    assert draws.shape == encoded.shape and np.abs(draws - encoded).max() > 1e-2
    np.testing.assert_array_equal(model.collect_codes(digits_batches(), codes="draw", seed=1), draws)
    assert np.abs(model.collect_codes(digits_batches(), codes="draw", seed=2) - draws).max() > 1e-2


def test_draws_of_a_deterministic_encoder_are_its_codes():
    model = tiny_model("wae_mmd")
    assert model.encoder.kind == "deterministic"
    encoded = model.encode(images(digits_batches())).numpy()
    np.testing.assert_allclose(model.collect_codes(digits_batches(), codes="draw"), encoded, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.collect_codes(digits_batches(), codes="mean"), encoded, rtol=1e-5, atol=1e-6)


def test_collect_codes_stops_at_the_limit_and_refuses_unknown_codes():
    model = tiny_model("wae_mmd")
    assert model.collect_codes(digits_batches(), limit=20).shape == (20, model.latent_dim)
    with pytest.raises(ValueError, match="sampler.codes"):
        model.collect_codes(digits_batches(), codes="mode")


def test_a_cosine_schedule_decays_the_fit_to_zero_and_resumes_with_the_optimizer():
    sampler = samplers.get("transport", latent_dim=2, hidden=(8,), steps=10, batch_size=8, schedule="cosine")
    optimizer = sampler.make_optimizer()
    assert float(optimizer.learning_rate) == pytest.approx(1e-3)
    sampler.fit(np.random.default_rng(0).normal(size=(32, 2)), seed=1, optimizer=optimizer)
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="schedule must be one of"):
        samplers.get("flow_matching", latent_dim=2, schedule="linear")
