"""The POT model: cost × encoder kind × latent divergence × λ, and the named rows of the cookbook."""

from __future__ import annotations

import keras
import tensorflow as tf

from vegan_tf import costs, divergences, networks
from vegan_tf.models.base import GenerativeModel, Update

#: Every divergence's settings by name (unique across divergences): where 0.2's flat config keys belong.
DIVERGENCE_SETTINGS = {name: cls for cls in divergences.DIVERGENCES.values() for name in divergences.settings(cls)}
#: Constructor arguments of models written by vegan_tf 0.1, and their names now.
_RENAMED = {"likelihood": "cost", "beta": "lam"}


@keras.saving.register_keras_serializable("vegan_tf")
class POT(GenerativeModel):
    """Penalized optimal transport (Bousquet et al., "From optimal transport to generative
    modeling: the VEGAN cookbook", 2017, eq. 4; Tolstikhin et al., "Wasserstein Auto-Encoders",
    ICLR 2018, eq. 4), with each part chosen by an argument:

        min_{Q, G}  E_{P_X} E_{Q(Z|X)} c(X, G(Z))  +  λ · D(Q_Z, P_Z)

    * the cost c: ``cost`` (``l2sq``, ``l2``, ``l1``, or a negative log-likelihood ``bernoulli`` /
      ``gaussian`` with σ = ``decoder_scale``), ``vegan_tf.costs``;
    * the encoder Q(Z|X): the ``encoder`` network's ``kind`` (deterministic, Gaussian,
      implicit), ``vegan_tf.networks.Encoder``; codes are reparameterised draws;
    * the latent divergence D: ``divergence`` (``mmd``, ``gan``, ``kl``, ``adversarial_kl``,
      ``sinkhorn``, ``sliced_wasserstein``) with its settings as further keyword arguments
      (``kernel``, ``epsilon``, ``num_projections``, …),
      ``vegan_tf.divergences``; an adversarial D trains its ``discriminator`` network
      (D(z) for ``gan``, T(x, z) for ``adversarial_kl``) as the player ``adversary_optimizer``;
    * λ: ``lam``.

    The rows of the cookbook's table are settings of these parts (``PRESETS``; the classes
    ``WAEMMD``, ``WAEGAN``, ``VAE``, ``AVB`` only change the defaults): WAE-MMD is
    (c, deterministic, MMD, λ), WAE-GAN (c, deterministic, JS via D(z), λ), the VAE
    (−log p(x|z), Gaussian, per-sample KL, 1), AVB (−log p(x|z), implicit, KL estimated by
    T(x, z), 1); the Sinkhorn auto-encoder (Patrini et al. 2019) is (c, deterministic,
    Sinkhorn, λ), which ``configs/pot_sinkhorn_*.py`` compose, and SWAE (Kolouri et al. 2019)
    (c, deterministic, sliced Wasserstein, λ), which ``configs/pot_swae_*.py`` compose.

    One training step: with an adversarial D, the discriminator descends its loss (weighted by
    λ, as the WAE paper's Algorithm 1 writes it; this does not move its optimum) on the codes
    of the encoder before the step; encoder and decoder descend the objective above. The order
    is the divergence's (``adversary_first``): WAE-GAN's Algorithm 1 updates D first, AVB's
    Algorithm 1 takes both gradients at the same point. Logged: ``loss``, ``reconstruction``,
    the penalty (under the divergence's name: ``mmd``, ``penalty``, ``kl``, ``sinkhorn``, ``sw``),
    the divergence's ``diagnostics`` (Sinkhorn: the solver's marginal error and iterations),
    ``adversary`` (D's loss), and ``elbo`` = −(reconstruction + KL estimate) when the cost is a
    likelihood and D estimates the KL (whatever λ trains).

    Replicas: the reconstruction and the adversarial terms are means of per-example terms
    (their per-replica means, each divided by R, sum to the global batch's); MMD, Sinkhorn and
    sliced Wasserstein are batch statistics and computed on the gathered global batch.

    Args:
      decoder, encoder, prior_scale, seed: see ``GenerativeModel``.
      discriminator: the adversarial divergence's network (a ``networks.Critic`` on
        ``(latent_dim,)`` for ``gan``, on the data with ``extra_dim=latent_dim`` for
        ``adversarial_kl``), or ``None`` for a default MLP (4 × 512 for D(z), the WAE paper's;
        2 × 256 for T(x, z)).
      cost, cost_scale, decoder_scale: the cost (``vegan_tf.costs.get``).
      divergence: a ``vegan_tf.divergences`` name or ``LatentDivergence``.
      lam: λ.
      **settings: the divergence's settings, e.g. ``kernel="rbf"`` for ``mmd``.

    Example (the Sinkhorn auto-encoder):
    ```python
    from vegan_tf import models, networks
    enc = networks.Encoder((8, 8, 1), 8)
    dec = networks.Decoder((8, 8, 1), 8)
    model = models.POT(dec, enc, divergence="sinkhorn", lam=10.0, epsilon=0.1)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    model.fit(dataset, epochs=10)
    ```
    """

    network_roles = ("decoder", "encoder", "discriminator")
    #: Whether λ multiplies the discriminator's loss (WAE Algorithm 1: yes; AAE: no).
    lam_on_adversary = True

    SETTINGS = {"cost": "l2sq", "cost_scale": 1.0, "decoder_scale": 1.0, "divergence": "mmd", "lam": 10.0}

    def __init__(self, decoder, encoder, discriminator=None, cost="l2sq", cost_scale=1.0, decoder_scale=1.0,
                 divergence="mmd", lam=10.0, **kwargs):
        settings = {k: kwargs.pop(k) for k in list(kwargs) if k in DIVERGENCE_SETTINGS}
        super().__init__(decoder, encoder, **kwargs)
        self.divergence = divergences.get(divergence, **settings)
        kind = self.encoder.kind
        if kind not in self.divergence.encoder_kinds:
            raise ValueError(f"The {self.divergence.name!r} divergence needs an encoder of kind "
                             f"{' or '.join(self.divergence.encoder_kinds)}, got kind={kind!r} "
                             f"(networks.Encoder(kind=...); config key model.encoder_kind).")
        self.cost_fn = costs.get(cost, cost_scale, decoder_scale)
        self.configure(cost=cost, cost_scale=cost_scale, decoder_scale=float(decoder_scale), lam=float(lam),
                       discriminator=self._discriminator(discriminator))
        elbo = cost in costs.LIKELIHOODS and self.divergence.estimates_kl
        self.tracked = ("loss", "reconstruction", self.divergence.logged) + ("elbo",) * elbo + (
            ("adversary",) if self.divergence.discriminator else ()) + tuple(self.divergence.diagnostics)

    def _discriminator(self, network):
        """The adversarial divergence's network, checked (or made: the default MLP)."""
        role = self.divergence.discriminator
        if role is None:
            if network is not None:
                raise ValueError(f"The {self.divergence.name!r} divergence has no adversary; pass discriminator=None.")
            return None
        shape, extra = ((self.latent_dim,), 0) if role == "latent" else (self.data_shape, self.latent_dim)
        if network is None:
            hidden = (512, 512, 512, 512) if role == "latent" else (256, 256)
            return networks.Critic(shape, hidden=hidden, extra_dim=extra)
        network = keras.saving.deserialize_keras_object(network) if isinstance(network, dict) else network
        if tuple(network.input_shape_) != shape or network.extra_dim != extra:
            raise ValueError(f"The {self.divergence.name!r} divergence's discriminator must take inputs of shape "
                             f"{shape} with extra_dim={extra}; got {network.input_shape_}, extra_dim={network.extra_dim}.")
        return network

    def get_config(self):
        config = super().get_config()
        config.update(divergence=self.divergence.name, **{k: (list(v) if isinstance(v, tuple) else v)
                                                          for k, v in self.divergence.get_config().items()})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**{_RENAMED.get(k, k): v for k, v in config.items()})

    # ------------------------------------------------------------ players
    @staticmethod
    def players_for(divergence):
        """Encoder and decoder, and the discriminator of an adversarial divergence.

        (The order of a player's networks is the order of its optimizer's slots in checkpoints
        and ``.keras`` files, kept as the single- and two-player recipes of vegan_tf 0.1 wrote them.)
        """
        if not divergence.discriminator:
            return {"optimizer": ("decoder", "encoder")}
        return {"optimizer": ("encoder", "decoder"), "adversary_optimizer": ("discriminator",)}

    @property
    def players(self):
        return self.players_for(self.divergence)

    @property
    def updates(self):
        autoencoder = Update("optimizer", self.loss_terms)
        if not self.divergence.discriminator:
            return (autoencoder,)
        adversary = Update("adversary_optimizer", self.adversary_terms)
        return (adversary, autoencoder) if self.divergence.adversary_first else (autoencoder, adversary)

    def prepare(self, x, training):
        """The codes of the encoder before the step, which the discriminator's update uses."""
        if not self.divergence.discriminator:
            return {}
        return {"codes": tf.stop_gradient(self._adversary_codes(x, training))}

    def _adversary_codes(self, x, training):
        return self.divergence.adversary_codes(self.posterior(x, training, self.divergence.posterior_draws))

    # -------------------------------------------------------------- terms
    def loss_terms(self, batch):
        """The POT objective of encoder and decoder: E c(X, G(Z̃)) + λ · D(Q_Z, P_Z), Z̃ ~ Q(Z|X) also in evaluation."""
        codes = self.posterior(batch.x, batch.training, self.divergence.posterior_draws, draw=True)
        reconstruction = self.reconstruction(batch.x, codes.z, batch.training)
        penalty, diagnostics = self.divergence.penalty_terms(self, batch.x, codes, batch.training)
        loss = reconstruction + self.lam * penalty
        logs = {"loss": loss, "reconstruction": reconstruction, self.divergence.logged: penalty, **diagnostics}
        if "elbo" in self.tracked:
            logs["elbo"] = -(reconstruction + penalty)
        return loss, logs

    def adversary_terms(self, batch):
        """The discriminator's loss on the step's codes (fresh ones if ``prepare`` shared none)."""
        z = batch.shared.get("codes")
        if z is None:
            z = tf.stop_gradient(self._adversary_codes(batch.x, batch.training))
        adversary = self.divergence.adversary_loss(self, batch.x, z, batch.training)
        return (self.lam if self.lam_on_adversary else 1.0) * adversary, {"adversary": adversary}


@keras.saving.register_keras_serializable("vegan_tf")
class WAEMMD(POT):
    """WAE-MMD (POT-MMD): ``POT`` with ``divergence="mmd"`` and λ = 10.

    Tolstikhin et al., "Wasserstein Auto-Encoders", ICLR 2018, eq. 4 with D_Z = MMD_k and
    Algorithm 2: D_WAE = E c(X, G(Z)) + λ · MMD²_k(Q_Z, P_Z), MMD² by the unbiased U-statistic
    between the codes and as many prior draws. The defaults are the paper's MNIST setting:
    c = squared Euclidean, λ = 10, the IMQ kernel summed over the scales 0.1…10 of
    C = 2·d_z·σ_z². ``cost_scale="wae"`` gives the WAE code's cost constant (0.05 for ``l2sq``;
    the paper writes the plain cost, the default). Encoder pre-training (the code's
    ``e_pretrain``) is ``GenerativeModel.pretrain_encoder``.
    """

    SETTINGS = {"divergence": "mmd", "lam": 10.0}

    def __init__(self, decoder, encoder, divergence="mmd", lam=10.0, **kwargs):
        super().__init__(decoder, encoder, divergence=divergence, lam=lam, **kwargs)


@keras.saving.register_keras_serializable("vegan_tf")
class WAEGAN(POT):
    """WAE-GAN (POT-GAN): ``POT`` with ``divergence="gan"``, a latent discriminator D(z).

    Tolstikhin et al. 2018, eq. 4 with D_Z = D_JS, Algorithm 1 in its order: D = σ(ℓ) ascends
    λ · [E_{P_Z} log D(z) + E_{Q_Z} log(1 − D(z̃))], then encoder and decoder descend
    E c(X, G(Z̃)) − λ E log D(Z̃) (the non-saturating form, as Algorithm 1 writes it).
    Readings: the WAE code updates the auto-encoder first, the paper D first: we follow the
    paper. ``prior_trick=True`` is the code's ``gan_p_trick`` (ℓ(z) = net(z) + log p_z(z), the
    exact log-density where the code drops −(d/2 − ½) log 2π; on for CelebA, off for MNIST).
    λ = 1 is our default (``configs/wae_gan_digits.py`` says why); the paper uses 10.
    """

    SETTINGS = {"divergence": "gan", "lam": 1.0}

    def __init__(self, decoder, encoder, discriminator=None, divergence="gan", lam=1.0, **kwargs):
        super().__init__(decoder, encoder, discriminator=discriminator, divergence=divergence, lam=lam, **kwargs)


@keras.saving.register_keras_serializable("vegan_tf")
class VAE(POT):
    """The variational auto-encoder: ``POT`` with a likelihood cost, a Gaussian encoder and ``divergence="kl"``.

    Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014: the negative ELBO (eq. 3)
    with the SGVB estimator in its VAE form (eq. 10), the KL in closed form (Appendix B) and
    one reparameterised draw per example:

        loss = E_x [ −log p(x | z̃) + β · KL(q(z|x) ‖ p(z)) ],   z̃ = μ(x) + σ(x) ⊙ ε

    with p(x|z) Bernoulli (Appendix C.1, ``cost="bernoulli"``) or Gaussian with a fixed σ
    (C.2, ``cost="gaussian"``, σ = ``decoder_scale``; C.2's decoder also outputs a variance,
    ours has one output per pixel). β = ``lam`` = 1 is the VAE, β ≠ 1 Higgins et al.'s β-VAE;
    the logged ``elbo`` is the β = 1 bound. Grey levels in [0, 1] under a Bernoulli likelihood
    give −(binary cross-entropy), the usual reading on MNIST. In the cookbook's terms (Sec. 4)
    the KL is per example, not between Q_Z and P_Z: the source of the VAE's blur.
    """

    config_defaults = {"encoder_kind": "gaussian"}

    SETTINGS = {"cost": "bernoulli", "divergence": "kl", "lam": 1.0}

    def __init__(self, decoder, encoder, cost="bernoulli", divergence="kl", lam=1.0, **kwargs):
        super().__init__(decoder, encoder, cost=cost, divergence=divergence, lam=lam, **kwargs)


@keras.saving.register_keras_serializable("vegan_tf")
class AVB(POT):
    """Adversarial Variational Bayes: ``POT`` with a likelihood cost, an implicit encoder and
    ``divergence="adversarial_kl"``.

    Mescheder, Nowozin & Geiger, ICML 2017, Algorithm 1 with eq. 3.3 and 3.4: the encoder
    z = E(x, ε) has no density, so KL(q(z|x) ‖ p(z)) is estimated by an adversary T(x, z)
    (the ``discriminator``) trained to tell (x, z ~ q(z|x)) from (x, z ~ p(z)); its optimum is
    log q(z|x) − log p(z) (Prop. 1), and encoder and decoder minimise
    E_q [T(x, z) − log p(x | z)] with T held fixed (Prop. 2). Both players' gradients are
    taken at the same point, as in Algorithm 1: T trains on the codes of the encoder before
    the step. Logged: ``kl`` = E_q T(x, z), ``elbo``, ``adversary`` (eq. 3.3's loss).

    Readings: T's loss is written on logits (log σ(t) = −softplus(−t)), so a confident T keeps
    finite gradients; T's output is linear. The known failure is T saturating when q(z|x) is
    much narrower than p(z): the KL is then underestimated and the ELBO optimistic (watch
    ``adversary`` → 0 with ``kl`` flat). Adaptive contrast (Sec. 3.3), the paper's fix for
    that, is the setting ``adaptive_contrast=True`` (``divergences.AdversarialKL`` says how it
    is read): T then contrasts q(z|x) with a Gaussian of q's own moments.
    """

    config_defaults = {"encoder_kind": "implicit", "noise_dim": 8}

    SETTINGS = {"cost": "bernoulli", "divergence": "adversarial_kl", "lam": 1.0}

    def __init__(self, decoder, encoder, discriminator=None, cost="bernoulli", divergence="adversarial_kl", lam=1.0,
                 **kwargs):
        if "adversary" in kwargs:
            raise ValueError("This AVB was written by vegan_tf 0.1, which kept T(x, z) as `adversary`; it is now the "
                             "`discriminator` of the POT model and its weights do not load into the new layout. "
                             "Load the file with vegan_tf 0.1 and export a SavedModel (vegan_tf.export.export), "
                             "which any version serves, or retrain it from configs/avb_*.py.")
        super().__init__(decoder, encoder, discriminator=discriminator, cost=cost, divergence=divergence, lam=lam,
                         **kwargs)


#: The named rows of the cookbook: the model class of each preset (its defaults are the row's parts).
PRESETS = {"wae_mmd": WAEMMD, "wae_gan": WAEGAN, "vae": VAE, "avb": AVB, "pot": POT}
