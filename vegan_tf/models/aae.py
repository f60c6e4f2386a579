"""AAE: the adversarial auto-encoder, the POT-GAN objective descended in its authors' phases."""

from __future__ import annotations

import keras

import tensorflow as tf

from vegan_tf import distribute
from vegan_tf.models.base import Batch, Update
from vegan_tf.models.pot import POT


@keras.saving.register_keras_serializable("vegan_tf")
class AAE(POT):
    """Adversarial auto-encoder (Makhzani et al., "Adversarial Autoencoders", 2016, arXiv:1511.05644).

    The parts of ``POT`` with ``divergence="gan"``, trained in the phases of Makhzani et al.,
    Sec. 2, with three optimizers; every phase computes the codes of the encoder as it is then:

    1. reconstruction: encoder and decoder descend E c(X, G(Z̃)), Z̃ ~ Q(Z|X)   (``optimizer``);
    2. regularisation, discriminator: D(z) = σ(ℓ(z)) ascends
       E_{P_Z} log D(z) + E_{Q_Z} log(1 − D(z̃))                              (``adversary_optimizer``);
    3. regularisation, generator: the encoder descends −λ E log D(Z̃)          (``generator_optimizer``).

    The encoder may be deterministic, Gaussian or implicit (Sec. 2's three posteriors); all
    phases of one step use the same encoder noise, and the two regularisation phases share one
    forward of the encoder (``run_updates``).

    **AAE is POT-GAN** (Bousquet et al. 2017, Sec. 4; Tolstikhin et al. 2018, Sec. 3): the
    auto-encoder's losses of the phases sum to the objective E c(X, G(Z̃)) − λ E log D(Z̃) that
    ``WAEGAN`` descends simultaneously, and the discriminators solve the same problem. With a
    Gaussian decoder N(G(z), σ² I) as the cost (``cost="gaussian"``, σ = ``decoder_scale``),
    −log p(x|z) = ‖x − G(z)‖² / (2σ²) + const, so AAE(λ) is 1/(2σ²) times POT with
    c = ‖·‖² and λ_POT = 2σ² λ, plus a constant; ``tests/test_models_autoencoding.py`` checks
    the identity on one batch, values and gradients.

    Readings: Makhzani et al. train with SGD and momentum at per-phase learning rates; here
    each phase has its own optimizer. The paper puts no weight on the regularisation phase:
    ``lam`` (default 1) weights the generator phase and is the λ of the identity above; the
    discriminator's loss is not weighted.
    """

    players = {"optimizer": ("encoder", "decoder"), "adversary_optimizer": ("discriminator",),
               "generator_optimizer": ("encoder",)}
    lam_on_adversary = False

    @property
    def updates(self):
        """Makhzani et al.'s phases: reconstruction, then the discriminator, then the encoder as generator."""
        return (Update("optimizer", self.reconstruction_terms), Update("adversary_optimizer", self.adversary_terms),
                Update("generator_optimizer", self.generator_terms))

    #: The config keys this class adds or overrides, with their defaults: the declared schema
    #: (``models.default_config``); a test checks that the constructor takes the same defaults.
    SETTINGS = {"divergence": "gan", "lam": 1.0}

    def __init__(self, decoder, encoder, discriminator=None, divergence="gan", lam=1.0, **kwargs):
        if divergence != "gan":
            raise ValueError(f"The AAE's phases train a latent discriminator: divergence must be 'gan', "
                             f"got {divergence!r}.")
        super().__init__(decoder, encoder, discriminator=discriminator, divergence=divergence, lam=lam, **kwargs)

    def prepare(self, x, training):
        return {}  # every phase codes with the encoder as the previous phase left it

    def run_updates(self, x, training):
        """The three phases, with one encoder forward for both regularisation phases.

        The discriminator's phase does not change the encoder, so the codes of the encoder as the
        reconstruction phase left it serve both: the discriminator's update sees them without
        gradient, then the encoder's adversarial loss is taken on the same forward, with the updated
        discriminator, under a tape opened before the discriminator's update (and paused during it).
        The values and gradients are those of the phases run one after the other, each coding
        afresh (the generic loop, ``GenerativeModel.run_updates``; a test compares the two), at two
        encoder forwards a step instead of three. An encoder with batch norm moves its moving
        statistics once for the two phases instead of twice.
        """
        if not training:
            return super().run_updates(x, training)
        reconstruction, adversary, generator = self.updates
        logs = dict(self.apply_update(reconstruction, Batch(x, training)))
        variables = self.player_variables(generator.player)
        with tf.GradientTape() as tape:
            codes = self.posterior(x, training, self.divergence.posterior_draws)
            with tape.stop_recording():
                shared = {"codes": tf.stop_gradient(self.divergence.adversary_codes(codes))}
                logs.update(self.apply_update(adversary, Batch(x, training, shared)))
            loss, generator_logs = self.method(generator.loss)(Batch(x, training, {"encoder_codes": codes}))
            scaled = distribute.scaled(loss)
        self.player_optimizers()[generator.player].apply(tape.gradient(scaled, variables), variables)
        return self.summarize({**logs, **generator_logs})

    def generator_terms(self, batch):
        """Phase 2b: the encoder's adversarial term λ · (−E log D(Z̃)) (on ``batch.shared["encoder_codes"]`` if given)."""
        codes = batch.shared.get("encoder_codes")
        if codes is None:
            codes = self.posterior(batch.x, batch.training, self.divergence.posterior_draws)
        penalty = self.divergence.penalty(self, batch.x, codes, batch.training)
        return self.lam * penalty, {"penalty": penalty}

    def summarize(self, logs):
        return {**logs, "loss": logs["reconstruction"] + self.lam * logs["penalty"]}
