"""AVB on the embedded scikit-learn digits (8x8): MLP networks, a few minutes on 2 CPU cores.

Mescheder et al. (2017), Algorithm 1: implicit encoder z = E(x, eps) with 8 noise inputs, the
adversary T(x, z) an MLP on x joined with z, Bernoulli decoder, no adaptive contrast. Both players
use Adam(1e-3, beta_1 = 0.5) (our choice for this small set).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("avb")
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), adversary_optimizer=adam(1e-3, beta_1=0.5))
    return c
