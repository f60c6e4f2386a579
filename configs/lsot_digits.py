"""LSOT on the embedded scikit-learn digits (8x8): MLP auto-encoder and potential, a few minutes on 2 CPU cores.

A plain auto-encoder (d_z = 8, squared Euclidean cost) and the Brenier map from N(0, I) onto its
codes, fitted jointly (see ``vegan_tf.models.LSOT``); Adam(1e-3, beta_1 = 0.5) for both players.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 100
    c.model.name = "lsot"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.transport_hidden = (256, 256)
    c.model.cost = "l2sq"
    c.model.cost_scale = 1.0
    c.model.transport_fit = "median"
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.transport_optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
