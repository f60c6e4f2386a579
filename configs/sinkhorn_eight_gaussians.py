"""Sinkhorn generator on the eight-Gaussians ring (2-D).

MLP generator (three ReLU layers of 256), d_z = 2, batch 256, debiased Sinkhorn divergence with
the squared Euclidean cost, epsilon = 0.05 (the modes are 1.08 apart at the closest, so squared
distances between modes are >= 1.2 and epsilon is small against them), 50 Sinkhorn iterations,
Adam(1e-3, beta_1 = 0.5).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "eight_gaussians"
    c.data.batch_size = 256
    c.model.name = "sinkhorn"
    c.model.latent_dim = 2
    c.model.arch = "mlp"
    c.model.hidden = (256, 256, 256)
    c.model.epsilon = 0.05
    c.model.p = 2
    c.model.num_iters = 50
    c.model.debiased = True
    c.model.objective = "dual"
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 500
    c.train.eval_samples = 2000
    return c
