"""LSOT on the embedded scikit-learn digits (8x8): MLP auto-encoder and potential, a few minutes on 2 CPU cores.

A plain auto-encoder (d_z = 8, squared Euclidean cost) and the Brenier map from N(0, I) onto its
codes, fitted jointly (see ``vegan_tf.models.LSOT``); Adam(1e-3, beta_1 = 0.5) for both players.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("lsot")
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), transport_optimizer=adam(1e-3, beta_1=0.5))
    return c
