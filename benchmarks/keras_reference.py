"""Every recipe's training step written by hand in plain Keras 3: the ``keras`` variant of ``step_time.py``.

What a user who knows Keras would write without vegan_tf: the networks as ``keras.Sequential``
stacks of Dense / Conv2D / Conv2DTranspose / BatchNormalization layers, one ``keras.optimizers.Adam``
per player, and one ``tf.function`` step with ``tf.GradientTape`` that writes the recipe's loss out
plainly (stateful ``tf.random`` noise, no replica logic, no loss trackers). The networks are
rebuilt from the plain-Python spec of vegan_tf's model (``step_time.reference_spec``), layer for
layer, so the trainable parameter count must equal vegan_tf's (``step_time.py`` checks it).

``build(spec)`` returns ``(step, variables)``: ``step(x) -> loss`` runs one training step.
Only the settings of the repository's MNIST configs are implemented (``harness.check_reference_spec``).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import scipy.optimize
import tensorflow as tf
from keras import layers

import harness


# ====================================================================== networks
def _mlp(widths, activation, batch_norm, first_bias_stddev=0.0):
    out = [layers.Flatten()]
    for i, w in enumerate(widths):
        spread = i == 0 and first_bias_stddev > 0 and not batch_norm
        init = keras.initializers.RandomNormal(stddev=first_bias_stddev) if spread else "zeros"
        out.append(layers.Dense(w, use_bias=not batch_norm, bias_initializer=init))
        if batch_norm:
            out.append(layers.BatchNormalization())
        out.append(layers.Activation(activation))
    return out


def _conv_down(filters, k, activation, batch_norm):
    out = []
    for f in filters:
        out.append(layers.Conv2D(f, k, strides=2, padding="same", use_bias=not batch_norm))
        if batch_norm:
            out.append(layers.BatchNormalization())
        out.append(layers.Activation(activation))
    return out + [layers.Flatten()]


class Net:
    """A torso, an optional second input joined after it (``extra``), a head: f(x[, extra])."""

    def __init__(self, torso, head, joint=None, squeeze=False):
        self.torso, self.head = keras.Sequential(torso), keras.Sequential(head)
        self.joint, self.squeeze = keras.Sequential(joint) if joint else None, squeeze

    def __call__(self, x, extra=None, training=True):
        h = self.torso(x, training=training)
        if self.joint is not None:
            h = self.joint(tf.concat([h, extra], axis=-1), training=training)
        out = self.head(h, training=training)
        return tf.squeeze(out, -1) if self.squeeze else out

    @property
    def trainable_variables(self):
        return [v for part in (self.torso, self.joint, self.head) if part is not None for v in part.trainable_variables]


def encoder(s):
    """vegan_tf's ``Encoder``: MLP or stride-2 convs; an implicit encoder joins its noise in one more layer."""
    torso = (_mlp(s["hidden"], "relu", s["batch_norm"]) if s["arch"] == "mlp"
             else _conv_down(s["filters"], s["kernel_size"], "relu", s["batch_norm"]))
    joint = _mlp((s["hidden"] or (256,))[-1:], "relu", False)[1:] if s["encoder_kind"] == "implicit" else None
    width = s["latent_dim"] * (2 if s["encoder_kind"] == "gaussian" else 1)
    return Net(torso, [layers.Dense(width)], joint)


def decoder(s):
    """vegan_tf's ``Decoder`` (logits): MLP, or dense to h0 x w0 and stride-2 transposed convs to the channels."""
    h, w, c = s["data_shape"]
    if s["arch"] == "mlp":
        return Net(_mlp(s["hidden"], "relu", s["batch_norm"]),
                   [layers.Dense(h * w * c), layers.Reshape((h, w, c))])
    f, k, bn = s["decoder_filters"], s["kernel_size"], s["batch_norm"]
    factor = 2 ** (len(f) - 1) * s["final_stride"]
    torso = [layers.Dense((h // factor) * (w // factor) * f[0]), layers.Reshape((h // factor, w // factor, f[0])),
             layers.Activation("relu")]
    for width in f[1:]:
        torso.append(layers.Conv2DTranspose(width, k, strides=2, padding="same", use_bias=not bn))
        torso += [layers.BatchNormalization()] if bn else []
        torso.append(layers.Activation("relu"))
    return Net(torso, [layers.Conv2DTranspose(c, k, strides=s["final_stride"], padding="same")])


def critic(c):
    """vegan_tf's ``Critic`` (no batch norm): MLP (ReLU) or stride-2 convs (LeakyReLU 0.2), optional joined input."""
    torso = (_mlp(c["hidden"], "relu", False, c["first_bias_stddev"]) if c["arch"] == "mlp"
             else _conv_down(c["filters"], c["kernel_size"], "leaky_relu", False))
    joint = _mlp((c["hidden"] or (256,))[-1:], "relu", False)[1:] if c["extra_dim"] else None
    return Net(torso, [layers.Dense(1)], joint, squeeze=True)


def build_networks(s):
    """The recipe's networks by vegan_tf's attribute names, each built on zeros (weights created)."""
    nets = harness.reference_networks(s, decoder, encoder, critic)
    zeros = tf.zeros((2, *s["data_shape"]))
    if "encoder" in nets:
        noise = tf.zeros((2, s["noise_dim"])) if s["encoder_kind"] == "implicit" else None
        nets["encoder"](zeros, noise)
    nets["decoder"](tf.zeros((2, s["latent_dim"])))
    for role in ("discriminator", "critic", "potential"):
        if role in nets:
            c = s[role]
            nets[role](tf.zeros((2, *c["input_shape"])), tf.zeros((2, c["extra_dim"])) if c["extra_dim"] else None)
    if "potential" in nets:  # T = grad phi ignores phi's constant, as vegan_tf's LSOT (no gradient reaches it)
        nets["potential"].head.layers[-1].bias.trainable = False
    return nets


# ====================================================================== losses, written out
def sq_dist(a, b):
    return tf.maximum(tf.reduce_sum(a * a, 1)[:, None] + tf.reduce_sum(b * b, 1)[None, :] - 2.0 * tf.matmul(
        a, b, transpose_b=True), 0.0)


def mmd_imq(q, p, scales, base):
    """Unbiased multi-scale IMQ MMD² of two samples of one size."""
    n = tf.cast(tf.shape(q)[0], q.dtype)
    off = 1.0 - tf.eye(tf.shape(q)[0])
    dqq, dpp, dqp = sq_dist(q, q), sq_dist(p, p), sq_dist(q, p)
    total = 0.0
    for s in scales:
        c = base * s
        total += (tf.reduce_sum(c / (c + dqq) * off) + tf.reduce_sum(c / (c + dpp) * off)) / (n * (n - 1.0))
        total -= 2.0 * tf.reduce_sum(c / (c + dqp)) / (n * n)
    return total


def sinkhorn_divergence(x, y, eps, p, iters, tol=0.0):
    """Debiased Sinkhorn divergence (log domain, uniform weights), gradient by the envelope theorem.

    The three problems (x, y), (x, x), (y, y) run as one batch; the potentials are computed on
    the stopped costs, and the value's gradient is that of sum(P * C) with the plan P held fixed.
    With ``tol`` > 0 the iterations stop once the row marginals' L1 error (the worst of the three)
    is below it, as vegan_tf's solver does (``model.sinkhorn_tol``).
    """
    x, y = tf.reshape(x, [tf.shape(x)[0], -1]), tf.reshape(y, [tf.shape(y)[0], -1])
    centre = tf.stop_gradient(0.5 * (tf.reduce_mean(x, 0) + tf.reduce_mean(y, 0)))
    x, y = x - centre, y - centre
    costs = [sq_dist(a, b) for a, b in ((x, y), (x, x), (y, y))]
    cost = tf.stack(costs if p == 2 else [tf.sqrt(tf.maximum(c, 1e-20)) for c in costs])  # zero gradient at 0
    c0 = tf.stop_gradient(cost)
    n = tf.cast(tf.shape(x)[0], x.dtype)
    log_w = -tf.math.log(n)

    def body(f, g, err):
        f_new = -eps * tf.reduce_logsumexp(log_w + (g[:, None, :] - c0) / eps, axis=2)
        if tol:  # rows of the plan of (f, g) sum to exp(log_w + (f - f_new) / eps)
            err = tf.reduce_max(tf.reduce_sum(tf.exp(log_w) * tf.abs(1.0 - tf.exp((f - f_new) / eps)), axis=1))
        return f_new, -eps * tf.reduce_logsumexp(log_w + (f_new[:, :, None] - c0) / eps, axis=1), err

    zeros = tf.zeros(tf.shape(cost)[:2])
    f, g, _ = tf.while_loop(lambda f, g, err: err > tol if tol else tf.constant(True), body,
                            (zeros, zeros, tf.constant(float("inf"))), maximum_iterations=iters)
    plan = tf.exp(2.0 * log_w + (f[:, :, None] + g[:, None, :] - c0) / eps)
    value = tf.reduce_sum(f, 1) / n + tf.reduce_sum(g, 1) / n + tf.reduce_sum(plan * (cost - c0), [1, 2])
    return value[0] - 0.5 * value[1] - 0.5 * value[2]


def l2sq(x, y):
    return tf.reduce_mean(tf.reduce_sum(tf.square(tf.reshape(x - y, [tf.shape(x)[0], -1])), 1))


def bernoulli_nll(x, logits):
    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
    return tf.reduce_mean(tf.reduce_sum(tf.reshape(ce, [tf.shape(x)[0], -1]), 1))


def reconstruction(s, x, logits):
    return bernoulli_nll(x, logits) if s["cost"] == "bernoulli" else l2sq(x, tf.sigmoid(logits))


# ====================================================================== one step per recipe
def build(s):
    """``(step, trainable variables)`` of the recipe ``s["recipe"]``: ``step(x) -> loss`` trains one step."""
    harness.check_reference_spec(s)
    nets = build_networks(s)
    opts = {name: keras.optimizers.Adam(o["learning_rate"], beta_1=o["beta_1"], beta_2=o["beta_2"],
                                        epsilon=o["epsilon"]) for name, o in s["optimizers"].items()}
    step = STEPS[s["recipe"]](s, nets, opts)
    variables = [v for net in nets.values() for v in net.trainable_variables]
    return tf.function(step), variables


def reconstruction_update(s, enc, dec, opt, ae_vars, x):
    """One step of ``opt`` on the auto-encoder's reconstruction alone (AAE's and LSOT's first phase)."""
    with tf.GradientTape() as tape:
        rec = reconstruction(s, x, dec(enc(x)))
    descend(opt, ae_vars, tape, rec)
    return rec


def descend(opt, variables, tape, loss):
    opt.apply_gradients(zip(tape.gradient(loss, variables), variables))


def _prior(s, n):
    return s["prior_scale"] * tf.random.normal([n, s["latent_dim"]])


def wae(s, nets, opts):
    """WAE-MMD and the Sinkhorn auto-encoder: reconstruction + lam * D(codes, prior draws)."""
    enc, dec, (opt,) = nets["encoder"], nets["decoder"], opts.values()
    variables = dec.trainable_variables + enc.trainable_variables

    def step(x):
        with tf.GradientTape() as tape:
            z = enc(x)
            pz = _prior(s, tf.shape(x)[0])
            if s["divergence"] == "mmd":
                penalty = mmd_imq(z, pz, s["kernel_scales"], s["kernel_base"])
            else:
                penalty = sinkhorn_divergence(z, pz, s["epsilon"], s["p"], s["num_iters"], s["sinkhorn_tol"])
            loss = reconstruction(s, x, dec(z)) + s["lam"] * penalty
        descend(opt, variables, tape, loss)
        return loss

    return step


def vae(s, nets, opts):
    """Negative ELBO with a Bernoulli decoder and the closed-form KL, one reparameterised draw."""
    enc, dec, (opt,) = nets["encoder"], nets["decoder"], opts.values()
    variables = dec.trainable_variables + enc.trainable_variables
    var_p = s["prior_scale"] ** 2

    def step(x):
        with tf.GradientTape() as tape:
            mean, log_var = tf.split(enc(x), 2, axis=-1)
            z = mean + tf.exp(0.5 * log_var) * tf.random.normal(tf.shape(mean))
            kl = 0.5 * tf.reduce_sum(tf.exp(log_var) / var_p + tf.square(mean) / var_p - 1.0 - log_var
                                     + math.log(var_p), 1)
            loss = reconstruction(s, x, dec(z)) + s["lam"] * tf.reduce_mean(kl)
        descend(opt, variables, tape, loss)
        return loss

    return step


def wae_gan(s, nets, opts):
    """WAE-GAN, Algorithm 1: D on the current codes (weighted by lam), then encoder + decoder."""
    enc, dec, disc = nets["encoder"], nets["decoder"], nets["discriminator"]
    opt, adv_opt = opts["optimizer"], opts["adversary_optimizer"]
    ae_vars = enc.trainable_variables + dec.trainable_variables

    def step(x):
        z0 = tf.stop_gradient(enc(x))
        with tf.GradientTape() as tape:
            d_loss = s["lam"] * (tf.reduce_mean(tf.nn.softplus(-disc(_prior(s, tf.shape(x)[0]))))
                                 + tf.reduce_mean(tf.nn.softplus(disc(z0))))
        descend(adv_opt, disc.trainable_variables, tape, d_loss)
        with tf.GradientTape() as tape:
            z = enc(x)
            loss = reconstruction(s, x, dec(z)) + s["lam"] * tf.reduce_mean(tf.nn.softplus(-disc(z)))
        descend(opt, ae_vars, tape, loss)
        return loss

    return step


def aae(s, nets, opts):
    """AAE's three phases: reconstruction; discriminator; encoder against it (weighted by lam)."""
    enc, dec, disc = nets["encoder"], nets["decoder"], nets["discriminator"]
    ae_vars = enc.trainable_variables + dec.trainable_variables

    def step(x):
        rec = reconstruction_update(s, enc, dec, opts["optimizer"], ae_vars, x)
        z0 = tf.stop_gradient(enc(x))
        with tf.GradientTape() as tape:
            d_loss = (tf.reduce_mean(tf.nn.softplus(-disc(_prior(s, tf.shape(x)[0]))))
                      + tf.reduce_mean(tf.nn.softplus(disc(z0))))
        descend(opts["adversary_optimizer"], disc.trainable_variables, tape, d_loss)
        with tf.GradientTape() as tape:
            penalty = tf.reduce_mean(tf.nn.softplus(-disc(enc(x))))
            g_loss = s["lam"] * penalty
        descend(opts["generator_optimizer"], enc.trainable_variables, tape, g_loss)
        return rec + g_loss

    return step


def avb(s, nets, opts):
    """AVB: encoder + decoder on E[T(x, z) - log p(x|z)]; T by logistic regression on the pre-update codes."""
    enc, dec, t_net = nets["encoder"], nets["decoder"], nets["discriminator"]
    ae_vars = dec.trainable_variables + enc.trainable_variables  # POT's single-player order: decoder, encoder

    def step(x):
        noise = tf.random.normal([tf.shape(x)[0], s["noise_dim"]])
        z0 = tf.stop_gradient(enc(x, noise))
        with tf.GradientTape() as tape:
            z = enc(x, noise)
            loss = reconstruction(s, x, dec(z)) + s["lam"] * tf.reduce_mean(t_net(x, z))
        descend(opts["optimizer"], ae_vars, tape, loss)
        with tf.GradientTape() as tape:
            t_loss = s["lam"] * (tf.reduce_mean(tf.nn.softplus(-t_net(x, z0)))
                                 + tf.reduce_mean(tf.nn.softplus(t_net(x, _prior(s, tf.shape(x)[0])))))
        descend(opts["adversary_optimizer"], t_net.trainable_variables, tape, t_loss)
        return loss

    return step


def wgan_gp(s, nets, opts):
    """WGAN-GP, Algorithm 1: n_critic critic updates with the gradient penalty, then the generator."""
    gen, f = nets["decoder"], nets["critic"]

    def step(x):
        n = tf.shape(x)[0]
        for _ in range(s["n_critic"]):
            fake = tf.stop_gradient(tf.sigmoid(gen(_prior(s, n))))
            eps = tf.random.uniform([n, 1, 1, 1])
            with tf.GradientTape() as tape:
                x_hat = eps * x + (1.0 - eps) * fake
                with tf.GradientTape() as inner:
                    inner.watch(x_hat)
                    scores = f(x_hat)
                grad = tf.reshape(inner.gradient(scores, x_hat), [n, -1])
                gp = tf.reduce_mean(tf.square(tf.sqrt(tf.reduce_sum(tf.square(grad), 1) + 1e-12) - 1.0))
                c_loss = tf.reduce_mean(f(fake)) - tf.reduce_mean(f(x)) + s["lam"] * gp
            descend(opts["critic_optimizer"], f.trainable_variables, tape, c_loss)
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(f(tf.sigmoid(gen(_prior(s, n)))))
        descend(opts["optimizer"], gen.trainable_variables, tape, g_loss)
        return c_loss

    return step


def sinkhorn(s, nets, opts):
    """The Sinkhorn generator: the Sinkhorn divergence between a generated batch and the data batch."""
    gen, (opt,) = nets["decoder"], opts.values()

    def step(x):
        with tf.GradientTape() as tape:
            loss = sinkhorn_divergence(tf.sigmoid(gen(_prior(s, tf.shape(x)[0]))), x, s["epsilon"], s["p"],
                                       s["num_iters"], s["sinkhorn_tol"])
        descend(opt, gen.trainable_variables, tape, loss)
        return loss

    return step


def _matching(cost):
    return scipy.optimize.linear_sum_assignment(cost)[1].astype(np.int32)


def lsot(s, nets, opts):
    """LSOT: the auto-encoder on the reconstruction; then phi, T = grad phi fitted (L1) to exactly matched codes."""
    enc, dec, phi = nets["encoder"], nets["decoder"], nets["potential"]
    ae_vars = enc.trainable_variables + dec.trainable_variables

    def step(x):
        rec = reconstruction_update(s, enc, dec, opts["optimizer"], ae_vars, x)
        codes = tf.stop_gradient(enc(x, training=False))
        pz = _prior(s, tf.shape(x)[0])
        perm = tf.numpy_function(_matching, [sq_dist(tf.cast(pz, tf.float64), tf.cast(codes, tf.float64))],
                                 tf.int32, stateful=False)
        matched = tf.gather(codes, perm)
        with tf.GradientTape() as tape:
            with tf.GradientTape() as inner:
                inner.watch(pz)
                potential = phi(pz)
            residual = inner.gradient(potential, pz) - matched
            t_loss = tf.reduce_mean(tf.sqrt(tf.reduce_sum(tf.square(residual), 1) + 1e-12))
        descend(opts["transport_optimizer"], phi.trainable_variables, tape, t_loss)
        return rec + t_loss

    return step


STEPS = {"wae_mmd": wae, "pot_sinkhorn": wae, "vae": vae, "wae_gan": wae_gan, "aae": aae, "avb": avb,
         "wgan_gp": wgan_gp, "sinkhorn": sinkhorn, "lsot": lsot}
