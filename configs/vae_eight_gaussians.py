"""VAE on the eight-Gaussians ring (2-D).

MLP encoder and decoder (three ReLU layers of 256), d_z = 2, batch 256, Gaussian encoder, and a
Gaussian likelihood with fixed sigma = 0.1 (a Bernoulli likelihood is for grey levels in [0, 1];
the ring's coordinates are in [-1.5, 1.5]). sigma sets the weight of the reconstruction against
the KL, 1 / (2 sigma^2) = 50: the modes are 0.014 wide and 1.08 apart. beta = 1, Adam(1e-3).
"""

from vegan_tf.config import base_config, eight_gaussians_setting


def get_config():
    c = eight_gaussians_setting(base_config("vae"))
    c.model.update(cost="gaussian", decoder_scale=0.1)
    return c
