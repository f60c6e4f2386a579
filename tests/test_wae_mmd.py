"""WAE-MMD: its objective against numpy, training on digits, encoder pre-training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from test_costs_divergences import numpy_mmd
from vegan_tf import data, divergences, models, networks
from vegan_tf.models.base import PRIOR_SALT, Batch, moment_matching_loss
from zoo import digits_batches


def small_wae(**kwargs):
    enc = networks.Encoder((8, 8, 1), 2, hidden=(16,))
    dec = networks.Decoder((8, 8, 1), 2, hidden=(16,))
    model = models.WAEMMD(dec, enc, seed=1, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def test_objective_matches_numpy_on_a_tiny_batch():
    model = small_wae(lam=3.0)
    x = data.load_array("digits", "train", limit=5)
    loss, logs = model.loss_terms(Batch(tf.constant(x), training=False))
    z = model.encode(x).numpy()
    x_hat = model.decode(z).numpy()
    reconstruction = np.mean(np.sum((x - x_hat).reshape(5, -1) ** 2, axis=1))
    pz = model.global_normal(5, 2, PRIOR_SALT).numpy()
    base = 2.0 * 2  # C = 2 d_z sigma_z^2

    def imq(a, b):
        return sum(base * s / (base * s + np.sum((a - b) ** 2)) for s in divergences.WAE_IMQ_SCALES)

    penalty = numpy_mmd(z, pz, imq)
    assert float(logs["reconstruction"]) == pytest.approx(reconstruction, rel=1e-5)
    assert float(logs["mmd"]) == pytest.approx(penalty, rel=1e-4, abs=1e-6)
    assert float(loss) == pytest.approx(reconstruction + 3.0 * penalty, rel=1e-5)


def test_prior_draws_change_every_step_and_match_the_seed():
    model = small_wae()
    a = model.global_normal(4, 2, PRIOR_SALT).numpy()
    model.step.assign(1)
    b = model.global_normal(4, 2, PRIOR_SALT).numpy()
    assert not np.allclose(a, b)
    model.step.assign(0)
    np.testing.assert_array_equal(a, model.global_normal(4, 2, PRIOR_SALT).numpy())


def test_training_lowers_the_loss_on_digits():
    keras.utils.set_random_seed(0)  # the initial loss varies with the init (ratio 0.41-0.59 over seeds 0-7)
    model = small_wae()
    ds = digits_batches(batch_size=50, num_batches=10)
    first = model.evaluate(ds, verbose=0, return_dict=True)["loss"]
    model.fit(ds, epochs=8, verbose=0)
    last = model.evaluate(ds, verbose=0, return_dict=True)["loss"]
    assert last < 0.6 * first


def test_moment_matching_loss_matches_numpy():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(6, 2)).astype(np.float32) + 1.0
    p = rng.normal(size=(6, 2)).astype(np.float32)
    expected = np.mean((q.mean(0) - p.mean(0)) ** 2) + np.mean((np.cov(q.T) - np.cov(p.T)) ** 2)
    assert float(moment_matching_loss(q, p)) == pytest.approx(expected, rel=1e-5)


def test_encoder_pretraining_matches_prior_moments():
    model = small_wae()
    ds = digits_batches(batch_size=100, num_batches=10).repeat()
    x = tf.constant(data.load_array("digits", "train", limit=500))
    before = float(moment_matching_loss(model.encode(x), model.prior_sample(500, 0)))
    model.pretrain_encoder(ds, steps=150, tolerance=0.0, verbose=False)
    after = float(moment_matching_loss(model.encode(x), model.prior_sample(500, 0)))
    assert after < 0.5 * before


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="mmd_estimator"):
        small_wae(mmd_estimator="batch")
    with pytest.raises(ValueError, match="Unknown MMD kernel"):
        small_wae(kernel="laplace").loss_terms(Batch(tf.zeros((2, 8, 8, 1)), training=False))
    model = small_wae()
    with pytest.raises(ValueError, match=r"must have shape \[batch, 8, 8, 1\], got \[2, 28, 28, 1\]"):
        model.encode(np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(TypeError, match="float32.*255"):
        model.encode(np.zeros((2, 8, 8, 1), np.uint8))
    with pytest.raises(ValueError, match=r"decode\(z\): z must have shape \[batch, 2\]"):
        model.decode(np.zeros((3, 5), np.float32))
    with pytest.raises(TypeError, match="optimizers are"):
        model.compile(optimizer="adam", critic_optimizer="adam")
