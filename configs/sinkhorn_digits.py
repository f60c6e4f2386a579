"""Sinkhorn generator on the embedded scikit-learn digits (8x8): MLP generator, a few minutes on 2 CPU cores.

Debiased Sinkhorn divergence with the squared Euclidean cost on the 64 pixels; epsilon = 0.5
against squared distances between digits of about 5 to 15; 50 Sinkhorn iterations; batch 100;
Adam(1e-3, beta_1 = 0.5).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 100
    c.model.name = "sinkhorn"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.epsilon = 0.5
    c.model.p = 2
    c.model.num_iters = 50
    c.model.debiased = True
    c.model.objective = "dual"
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
