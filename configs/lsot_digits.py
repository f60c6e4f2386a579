"""LSOT on the embedded scikit-learn digits (8x8): MLP auto-encoder and potential, a few minutes on 2 CPU cores.

A plain auto-encoder (d_z = 8, squared Euclidean cost, Adam(1e-3, beta_1 = 0.5)), then the Brenier map
from N(0, I) onto its codes: the ``transport`` latent sampler, fitted after training (see
``vegan_tf.models.LSOT``).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("lsot", transport_map="sampler")
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.sampler.kind = "transport"
    return c
