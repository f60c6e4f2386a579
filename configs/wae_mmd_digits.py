"""WAE-MMD on the embedded scikit-learn digits (8x8): the quickstart, about a minute on 2 CPU cores."""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("wae_mmd")
    c.model.pretrain_encoder = True
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
