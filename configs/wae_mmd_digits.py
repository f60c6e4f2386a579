"""WAE-MMD on the embedded scikit-learn digits (8x8): the quickstart, about a minute on 2 CPU cores."""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 100
    c.model.name = "wae_mmd"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.cost = "l2sq"
    c.model.cost_scale = 1.0
    c.model.lam = 10.0
    c.model.kernel = "imq"
    c.model.mmd_estimator = "global"
    c.model.pretrain_encoder = True
    c.model.pretrain_steps = 200
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
