"""AVB on the eight-Gaussians ring (2-D).

MLP networks (three ReLU layers of 256; T(x, z) the same on x joined with z), d_z = 2, batch 256,
implicit encoder with 2 noise inputs, Gaussian likelihood with fixed sigma = 0.1 as
``vae_eight_gaussians`` (the ring's coordinates are not grey levels), no adaptive contrast,
Adam(1e-3, beta_1 = 0.5) for both players.
"""

from vegan_tf.config import adam, base_config, eight_gaussians_setting


def get_config():
    c = eight_gaussians_setting(base_config("avb"))
    c.model.update(noise_dim=2, cost="gaussian", decoder_scale=0.1)
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), adversary_optimizer=adam(1e-3, beta_1=0.5))
    return c
