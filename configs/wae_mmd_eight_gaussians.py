"""WAE-MMD on the eight-Gaussians ring (2-D).

MLP encoder and decoder (three ReLU layers of 256), d_z = 2, batch 256, squared Euclidean cost,
lambda = 10, the WAE code's multi-scale IMQ kernel, Adam(1e-3, beta_1 = 0.5), no encoder
pre-training (the codes start near the prior's scale already).
"""

from vegan_tf.config import adam, base_config, eight_gaussians_setting


def get_config():
    c = eight_gaussians_setting(base_config("wae_mmd"))
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
