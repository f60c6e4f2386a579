"""WGAN-GP on the embedded scikit-learn digits (8x8): MLP generator and critic, a few minutes on 2 CPU cores.

Algorithm 1 of Gulrajani et al. (2017) with its defaults: lambda = 10, n_critic = 5,
Adam(1e-4, beta_1 = 0, beta_2 = 0.9) for both players. Every critic iteration reuses the batch
with fresh noise (``critic_batches="same"``, see ``vegan_tf.models.WGAN``).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 64
    c.model.name = "wgan_gp"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.critic_hidden = (256, 256)
    c.model.penalty = "gp"
    c.model.lam = 10.0
    c.model.n_critic = 5
    c.model.critic_batches = "same"
    c.optimizers.optimizer = adam(1e-4, beta_1=0.0, beta_2=0.9)
    c.optimizers.critic_optimizer = adam(1e-4, beta_1=0.0, beta_2=0.9)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
