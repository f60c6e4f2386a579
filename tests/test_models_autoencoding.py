"""WAE-GAN, AAE, VAE and AVB: every loss term against numpy, and AAE ≡ POT-GAN.

Networks are tiny MLPs on 3x3 images; the numpy references take the networks'
outputs (codes, decoder logits, discriminator logits) and recompute each loss
from its formula.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vegan_tf import divergences, models, networks
from vegan_tf.models.base import ENCODER_SALT, PRIOR_SALT, Batch, Update

SHAPE, D_Z, N = (3, 3, 1), 2, 5


def batch():
    return tf.random.stateless_uniform((N, *SHAPE), seed=[4, 2])


def nets(kind="deterministic", noise_dim=0):
    enc = networks.Encoder(SHAPE, D_Z, hidden=(8,), kind=kind, noise_dim=noise_dim)
    dec = networks.Decoder(SHAPE, D_Z, hidden=(8,))
    return dec, enc


def latent_critic():
    return networks.Critic((D_Z,), hidden=(8,))


def softplus(t):
    return np.logaddexp(0.0, t)


def log_normal(z, scale):
    return -0.5 * np.sum(z**2, axis=1) / scale**2 - 0.5 * z.shape[1] * np.log(2 * np.pi * scale**2)


def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def flat(t):
    return np.reshape(np.asarray(t), (N, -1))


# ------------------------------------------------------------ pure functions
def test_gan_losses_match_numpy():
    real = np.array([2.0, -1.0, 0.5, 30.0], np.float32)
    fake = np.array([-3.0, 0.1, 4.0, -30.0], np.float32)
    d_loss = -np.mean(np.log(sigmoid(real.astype(np.float64)))) - np.mean(np.log(1 - sigmoid(fake.astype(np.float64))))
    g_loss = -np.mean(np.log(sigmoid(fake.astype(np.float64))))
    assert float(divergences.gan_discriminator_loss(real, fake)) == pytest.approx(d_loss, rel=1e-5)
    assert float(divergences.gan_generator_loss(fake)) == pytest.approx(g_loss, rel=1e-5)
    # Logits far beyond float32 sigmoid's range stay finite, with the right slope.
    with tf.GradientTape() as tape:
        t = tf.constant([-200.0])
        tape.watch(t)
        loss = divergences.gan_generator_loss(t)
    assert float(loss) == pytest.approx(200.0) and float(tape.gradient(loss, t)[0]) == pytest.approx(-1.0)


def test_prior_trick_adds_the_prior_log_density():
    z = np.array([[0.3, -1.2], [2.0, 0.5]], np.float32)
    np.testing.assert_allclose(divergences.gaussian_log_density(z, 1.5), log_normal(z, 1.5), rtol=1e-6)
    logits = np.array([0.7, -0.2], np.float32)
    np.testing.assert_allclose(divergences.prior_logit_trick(logits, z, 1.5), logits + log_normal(z, 1.5), rtol=1e-6)


# -------------------------------------------------------------------- WAE-GAN
def wae_gan(**kwargs):
    dec, enc = nets()
    model = models.WAEGAN(dec, enc, latent_critic(), seed=1, **kwargs)
    model.compile(optimizer="adam", adversary_optimizer="adam")
    return model


@pytest.mark.parametrize("prior_trick", [False, True])
def test_wae_gan_terms_match_numpy(prior_trick):
    model = wae_gan(lam=3.0, prior_trick=prior_trick, prior_scale=1.5)
    x = batch()
    z = model.encoder(x)[0].numpy()
    x_hat = tf.sigmoid(model.decoder(z)).numpy()
    pz = model.local_normal(N, D_Z, PRIOR_SALT, 1.5).numpy()

    def logit(v):
        out = model.discriminator(v).numpy()
        return out + log_normal(v, 1.5) if prior_trick else out

    reconstruction = np.mean(np.sum((flat(x) - flat(x_hat)) ** 2, axis=1))
    penalty = np.mean(softplus(-logit(z)))
    adversary = np.mean(softplus(-logit(pz))) + np.mean(softplus(logit(z)))
    loss, logs = model.loss_terms(Batch(x))
    d_loss, d_logs = model.adversary_terms(Batch(x))
    assert float(logs["reconstruction"]) == pytest.approx(reconstruction, rel=1e-5)
    assert float(logs["penalty"]) == pytest.approx(penalty, rel=1e-5)
    assert float(loss) == pytest.approx(reconstruction + 3.0 * penalty, rel=1e-5)
    assert float(d_logs["adversary"]) == pytest.approx(adversary, rel=1e-5)
    assert float(d_loss) == pytest.approx(3.0 * adversary, rel=1e-5)  # Algorithm 1: λ on D's objective too


def test_wae_gan_players_update_their_own_networks():
    model = wae_gan()
    x = batch()
    disc = [w.numpy() for w in model.discriminator.weights]
    autoencoder = [w.numpy() for w in model.encoder.weights + model.decoder.weights]
    model.apply_update(Update("adversary_optimizer", model.adversary_terms), Batch(x))
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(autoencoder, model.encoder.weights + model.decoder.weights))
    assert not all(np.array_equal(a, w.numpy()) for a, w in zip(disc, model.discriminator.weights))


# ------------------------------------------------------------- AAE ≡ POT-GAN
def gradients(model, player, *loss_fns):
    """Sum of the gradients of several ``loss_terms``-like functions w.r.t. ``player``'s variables."""
    variables = model.player_variables(player)
    with tf.GradientTape(persistent=True) as tape:
        losses = [fn()[0] for fn in loss_fns]
    per_loss = [tape.gradient(loss, variables, unconnected_gradients="zero") for loss in losses]
    total = [sum(g) for g in zip(*per_loss)]
    return float(sum(losses)), total


@pytest.mark.parametrize("sigma", [None, 0.5])
def test_aae_objective_is_the_pot_gan_objective(sigma):
    """Bousquet et al. 2017 (Sec. 4) / Tolstikhin et al. 2018 (Sec. 3): AAE with the squared
    Euclidean cost is POT-GAN. With a Gaussian decoder N(G(z), σ² I) and the likelihood
    as reconstruction, AAE(λ) = POT(c = ||·||², λ' = 2σ² λ) / (2σ²) + (d/2) log 2πσ²."""
    dec, enc = nets()
    disc = latent_critic()
    lam = 0.7
    if sigma is None:
        aae = models.AAE(dec, enc, disc, cost="l2sq", lam=lam, seed=1)
        scale, lam_pot, constant = 1.0, lam, 0.0
    else:
        aae = models.AAE(dec, enc, disc, cost="gaussian", decoder_scale=sigma, lam=lam, seed=1)
        scale, lam_pot = 2 * sigma**2, 2 * sigma**2 * lam
        constant = 0.5 * np.prod(SHAPE) * np.log(2 * np.pi * sigma**2)
    pot = models.WAEGAN(dec, enc, disc, cost="l2sq", lam=lam_pot, seed=1)  # the same networks and weights
    x = batch()
    # Encoder + decoder: phase 1 (reconstruction) + phase 2b (generator) = the POT objective.
    aae_value, aae_grads = gradients(aae, "optimizer", lambda: aae.reconstruction_terms(Batch(x)),
                                     lambda: aae.generator_terms(Batch(x)))
    pot_value, pot_grads = gradients(pot, "optimizer", lambda: pot.loss_terms(Batch(x)))
    assert scale * (aae_value - constant) == pytest.approx(pot_value, rel=1e-5)
    for a, p in zip(aae_grads, pot_grads):
        np.testing.assert_allclose(scale * a.numpy(), p.numpy(), rtol=1e-4, atol=1e-6)
    # The generator phase moves only the encoder, with the gradient of the penalty alone.
    assert [id(v) for v in aae.player_variables("generator_optimizer")] == [id(v) for v in enc.trainable_variables]
    # Discriminator: the same problem (WAE-GAN weights it by λ', which leaves the optimum in place).
    aae_d, aae_d_grads = gradients(aae, "adversary_optimizer", lambda: aae.adversary_terms(Batch(x)))
    pot_d, pot_d_grads = gradients(pot, "adversary_optimizer", lambda: pot.adversary_terms(Batch(x)))
    assert lam_pot * aae_d == pytest.approx(pot_d, rel=1e-6)
    for a, p in zip(aae_d_grads, pot_d_grads):
        np.testing.assert_allclose(lam_pot * a.numpy(), p.numpy(), rtol=1e-5, atol=1e-7)


def test_aae_step_runs_three_phases():
    dec, enc = nets("gaussian")
    model = models.AAE(dec, enc, latent_critic(), seed=1)
    model.compile(optimizer="adam", adversary_optimizer="adam", generator_optimizer="adam")
    logs = model.train_step(batch())
    assert set(logs) == set(model.tracked)
    iterations = {p: int(o.iterations.numpy()) for p, o in model.player_optimizers().items()}
    assert iterations == {"optimizer": 1, "adversary_optimizer": 1, "generator_optimizer": 1}
    assert float(logs["loss"]) == pytest.approx(float(logs["reconstruction"]) + float(logs["penalty"]), rel=1e-6)


@pytest.mark.parametrize("kind", ["deterministic", "gaussian", "implicit"])
def test_aae_shares_one_encoder_forward_and_takes_the_phased_step(kind):
    """Two steps of the AAE (one encoder forward for the discriminator's and the encoder's phases) leave every
    weight and optimizer slot where the generic loop leaves them (three phases, each coding afresh)."""
    from vegan_tf.models.base import GenerativeModel

    def aae():
        keras.utils.set_random_seed(3)
        model = models.AAE(*nets(kind, noise_dim=2 if kind == "implicit" else 0), latent_critic(), lam=2.0, seed=1)
        model.compile(optimizer="adam", adversary_optimizer="adam", generator_optimizer="adam")
        return model

    shared, phased = aae(), aae()
    calls = {"shared": 0, "phased": 0}
    for model, name in ((shared, "shared"), (phased, "phased")):
        forward = model.encoder.call

        def counted(*args, _forward=forward, _name=name, **kwargs):
            calls[_name] += 1
            return _forward(*args, **kwargs)

        model.encoder.call = counted
    for step in range(2):
        x = tf.random.stateless_uniform((N, *SHAPE), seed=[4, step])
        a = shared.train_step(x)
        b = phased.record(GenerativeModel.run_updates(phased, x, True))
        for key in a:
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-5, abs=1e-6), key
    assert calls == {"shared": 2 * 2, "phased": 3 * 2}
    for u, v in zip(shared.weights + [w for o in shared.player_optimizers().values() for w in o.variables],
                    phased.weights + [w for o in phased.player_optimizers().values() for w in o.variables]):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------ VAE
@pytest.mark.parametrize("likelihood, training", [("bernoulli", True), ("gaussian", True), ("bernoulli", False)])
def test_vae_elbo_and_kl_match_numpy(likelihood, training):
    """The ELBO with z drawn from q(z|x), in training and in evaluation (``evaluate`` runs the losses with
    ``training=False``: z is drawn there too, so the reported ``elbo`` is the bound, not its value at z = μ)."""
    dec, enc = nets("gaussian")
    model = models.VAE(dec, enc, cost=likelihood, decoder_scale=0.3, lam=2.5, prior_scale=1.5, seed=1)
    x = batch()
    mean, log_var = (t.numpy() for t in enc(x))
    eps = model.local_normal(N, D_Z, ENCODER_SALT).numpy()
    z = mean + np.exp(0.5 * log_var) * eps
    logits = flat(dec(z))
    xs = flat(x)
    if likelihood == "bernoulli":
        p = sigmoid(logits.astype(np.float64))
        log_px = np.sum(xs * np.log(p) + (1 - xs) * np.log(1 - p), axis=1)
    else:
        log_px = np.sum(-0.5 * ((xs - sigmoid(logits)) / 0.3) ** 2 - np.log(0.3 * np.sqrt(2 * np.pi)), axis=1)
    var, var_p = np.exp(log_var), 1.5**2
    kl = 0.5 * np.sum(var / var_p + mean**2 / var_p - 1.0 - log_var + np.log(var_p), axis=1)
    loss, logs = model.loss_terms(Batch(x, training=training))
    assert float(logs["reconstruction"]) == pytest.approx(-np.mean(log_px), rel=1e-5)
    assert float(logs["kl"]) == pytest.approx(np.mean(kl), rel=1e-5)
    assert float(logs["elbo"]) == pytest.approx(np.mean(log_px - kl), rel=1e-5)
    assert float(loss) == pytest.approx(np.mean(-log_px + 2.5 * kl), rel=1e-5)
    np.testing.assert_allclose(divergences.gaussian_kl(mean, log_var, 1.5), kl, rtol=1e-5)


def test_vae_needs_a_gaussian_encoder():
    dec, enc = nets("deterministic")
    with pytest.raises(ValueError, match="needs an encoder of kind gaussian"):
        models.VAE(dec, enc)


def test_vae_training_raises_the_elbo():
    from zoo import digits_batches

    enc = networks.Encoder((8, 8, 1), 4, hidden=(64,), kind="gaussian")
    dec = networks.Decoder((8, 8, 1), 4, hidden=(64,))
    model = models.VAE(dec, enc, seed=2)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    ds = digits_batches(batch_size=50, num_batches=10)
    first = model.evaluate(ds, verbose=0, return_dict=True)["elbo"]
    model.fit(ds, epochs=5, verbose=0)
    assert model.evaluate(ds, verbose=0, return_dict=True)["elbo"] > first + 5.0


# ------------------------------------------------------------------------ AVB
def avb():
    dec, enc = nets("implicit", noise_dim=3)
    model = models.AVB(dec, enc, networks.Critic(SHAPE, hidden=(8,), extra_dim=D_Z), seed=1)
    model.compile(optimizer="adam", adversary_optimizer="adam")
    return model


def test_avb_adversary_and_elbo_match_numpy():
    """Eq. 3.3: T maximises E_q log σ(T(x, z)) + E_p log(1 − σ(T(x, z'))); eq. 3.4: the
    encoder and decoder maximise E_q [−T(x, z) + log p(x | z)]."""
    model = avb()
    x = batch()
    noise = model.local_normal(N, 3, ENCODER_SALT)
    z = model.encoder(x, noise=noise)[0]
    pz = model.local_normal(N, D_Z, PRIOR_SALT)
    t_q = model.discriminator(x, extra=z).numpy().astype(np.float64)
    t_p = model.discriminator(x, extra=pz).numpy().astype(np.float64)
    adversary = -(np.mean(np.log(sigmoid(t_q))) + np.mean(np.log(1 - sigmoid(t_p))))
    _, d_logs = model.adversary_terms(Batch(x, shared={"codes": z}))
    assert float(d_logs["adversary"]) == pytest.approx(adversary, rel=1e-5)

    p = sigmoid(flat(model.decoder(z)).astype(np.float64))
    xs = flat(x)
    log_px = np.sum(xs * np.log(p) + (1 - xs) * np.log(1 - p), axis=1)
    loss, logs = model.loss_terms(Batch(x))
    assert float(logs["kl"]) == pytest.approx(np.mean(t_q), rel=1e-5)
    assert float(loss) == pytest.approx(np.mean(t_q - log_px), rel=1e-5)
    assert float(logs["elbo"]) == pytest.approx(np.mean(log_px - t_q), rel=1e-5)


def test_avb_adaptive_contrast_matches_numpy():
    """Sec. 3.3: T tells standardised codes z̄ = (z − μ(x)) / σ(x) from ε ~ N(0, I), and the encoder's
    KL estimate is E_q [T(x, z̄) + log r(z|x) − log p(z)] with r = N(μ(x), σ²(x)), the moments over
    ``contrast_draws`` codes of each x, z the first of them."""
    k, prior_scale = 4, 1.5
    dec, enc = nets("implicit", noise_dim=3)
    model = models.AVB(dec, enc, networks.Critic(SHAPE, hidden=(8,), extra_dim=D_Z), adaptive_contrast=True,
                       contrast_draws=k, prior_scale=prior_scale, seed=1)
    x = batch()
    noise = np.reshape(model.local_normal(k * N, 3, ENCODER_SALT).numpy(), (k, N, 3))
    zs = np.stack([enc(x, noise=noise[j])[0].numpy() for j in range(k)]).astype(np.float64)
    mean, var = zs.mean(axis=0), zs.var(axis=0) + 1e-4
    z = zs[0]
    z_bar = (z - mean) / np.sqrt(var)
    log_r = -0.5 * np.sum(z_bar**2 + np.log(2 * np.pi * var), axis=1)
    t_q = model.discriminator(x, extra=z_bar.astype(np.float32)).numpy().astype(np.float64)
    kl = np.mean(t_q + log_r - log_normal(z, prior_scale))
    p = sigmoid(flat(model.decoder(z.astype(np.float32))).astype(np.float64))
    xs = flat(x)
    log_px = np.sum(xs * np.log(p) + (1 - xs) * np.log(1 - p), axis=1)
    loss, logs = model.loss_terms(Batch(x))
    assert float(logs["kl"]) == pytest.approx(kl, rel=1e-4, abs=1e-4)
    assert float(loss) == pytest.approx(np.mean(-log_px) + kl, rel=1e-4)
    assert float(logs["elbo"]) == pytest.approx(np.mean(log_px) - kl, rel=1e-4)

    eps = model.local_normal(N, D_Z, PRIOR_SALT).numpy()  # the prior's draws of the step, standardised
    t_r = model.discriminator(x, extra=eps).numpy().astype(np.float64)
    adversary = -(np.mean(np.log(sigmoid(t_q))) + np.mean(np.log(1 - sigmoid(t_r))))
    _, d_logs = model.adversary_terms(Batch(x))  # its codes drawn afresh: the same noise, so the same z̄
    assert float(d_logs["adversary"]) == pytest.approx(adversary, rel=1e-4)


def test_avb_adaptive_contrast_needs_two_draws():
    dec, enc = nets("implicit", noise_dim=3)
    with pytest.raises(ValueError, match="contrast_draws must be at least 2"):
        models.AVB(dec, enc, adaptive_contrast=True, contrast_draws=1)


def test_avb_takes_both_gradients_at_the_same_point():
    """Algorithm 1: T's update uses the codes of the encoder before this step's update."""
    model = avb()
    model.compile(optimizer=keras.optimizers.SGD(0.5), adversary_optimizer=keras.optimizers.SGD(0.5))
    x = batch()
    t_vars = model.discriminator.trainable_variables
    t_before = [w.numpy() for w in t_vars]

    def adversary_gradient(z):
        with tf.GradientTape() as tape:
            loss = model.adversary_terms(Batch(x, shared={"codes": z}))[0]
        return tape.gradient(loss, t_vars)

    at_start = adversary_gradient(model.code(x, training=True))
    model.train_step(x)
    model.step.assign(0)  # the same noise as in the step
    for w, w0, g in zip(t_vars, t_before, at_start):
        np.testing.assert_allclose(w.numpy(), w0 - 0.5 * g.numpy(), rtol=1e-5, atol=1e-6)
    for w, w0 in zip(t_vars, t_before):  # restore T: the gradient at the updated encoder differs
        w.assign(w0)
    after = adversary_gradient(model.code(x, training=True))
    assert any(not np.allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-6) for a, b in zip(at_start, after))


def test_avb_needs_an_implicit_encoder():
    dec, enc = nets("gaussian")
    with pytest.raises(ValueError, match="needs an encoder of kind implicit"):
        models.AVB(dec, enc)


def test_the_evaluators_latent_mmd_compares_drawn_codes_with_the_prior():
    """``latent_mmd`` is MMD(Q_Z, P_Z) with one draw of Q(Z|x) per test image, not the mean codes of a Gaussian
    encoder (whose spread it would leave out)."""
    from vegan_tf import data, evaluate

    enc = networks.Encoder((8, 8, 1), 4, hidden=(16,), kind="gaussian")
    model = models.VAE(networks.Decoder((8, 8, 1), 4, hidden=(16,)), enc, seed=2)
    real = data.load_array("digits", "test", limit=120)
    metrics = evaluate.evaluate_model(model, "digits", num_samples=120, seed=4, feature_net=None)
    prior = model.prior_sample(120, 4).numpy()
    base = divergences.wae_imq_base(4, model.prior_scale)
    drawn = model.collect_codes(tf.data.Dataset.from_tensor_slices(real).batch(500), "draw", seed=4)
    assert metrics["latent_mmd"] == pytest.approx(float(divergences.mmd(drawn, prior, "imq", base=base)), rel=1e-5)
    at_means = float(divergences.mmd(model.encode(real).numpy(), prior, "imq", base=base))
    assert abs(metrics["latent_mmd"] - at_means) > 1e-3


def test_updates_reference_their_methods_and_0_2_strings_still_work_with_a_warning():
    class Named(models.WAEMMD):
        updates = (Update("optimizer", "loss_terms"),)

    class Misnamed(models.WAEMMD):
        updates = (Update("optimizer", "los_terms"),)

    def tiny(cls):
        return cls(networks.Decoder((3,), 2, hidden=(8,)), networks.Encoder((3,), 2, hidden=(8,)))

    plain = tiny(models.WAEMMD)
    assert plain.updates[0].loss == plain.loss_terms
    plain.compile(optimizer=keras.optimizers.Adam(1e-3))
    named = tiny(Named)
    with pytest.warns(DeprecationWarning, match=r"pass the method \(self.loss_terms\)"):
        named.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = tf.constant(np.random.default_rng(0).uniform(size=(4, 3)), tf.float32)
    assert "loss" in named.train_step(x)
    with pytest.raises(ValueError, match="Misnamed has no method 'los_terms'"):
        tiny(Misnamed).compile(optimizer=keras.optimizers.Adam(1e-3))
