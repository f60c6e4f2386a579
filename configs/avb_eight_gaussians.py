"""AVB on the eight-Gaussians ring (2-D).

MLP networks (three ReLU layers of 256; T(x, z) the same on x joined with z), d_z = 2, batch 256,
implicit encoder with 2 noise inputs, Gaussian likelihood with fixed sigma = 0.1 as
``vae_eight_gaussians`` (the ring's coordinates are not grey levels), no adaptive contrast,
Adam(1e-3, beta_1 = 0.5) for both players.
"""

from vegan_tf.config import adam, base_config, eight_gaussians_setting


def get_config():
    c = eight_gaussians_setting(base_config())
    c.model.name = "avb"
    c.model.critic_hidden = (256, 256, 256)
    c.model.encoder_kind = "implicit"
    c.model.noise_dim = 2
    c.model.likelihood = "gaussian"
    c.model.decoder_scale = 0.1
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.adversary_optimizer = adam(1e-3, beta_1=0.5)
    return c
