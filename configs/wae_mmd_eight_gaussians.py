"""WAE-MMD on the eight-Gaussians ring (2-D).

MLP encoder and decoder (three ReLU layers of 256), d_z = 2, batch 256, squared Euclidean cost,
lambda = 10, the WAE code's multi-scale IMQ kernel, Adam(1e-3, beta_1 = 0.5), no encoder
pre-training (the codes start near the prior's scale already).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "eight_gaussians"
    c.data.batch_size = 256
    c.model.name = "wae_mmd"
    c.model.latent_dim = 2
    c.model.arch = "mlp"
    c.model.hidden = (256, 256, 256)
    c.model.cost = "l2sq"
    c.model.cost_scale = 1.0
    c.model.lam = 10.0
    c.model.kernel = "imq"
    c.model.mmd_estimator = "global"
    c.model.pretrain_encoder = False
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 500
    c.train.eval_samples = 2000
    return c
