"""WGAN-GP on the embedded scikit-learn digits (8x8): MLP generator and critic, a few minutes on 2 CPU cores.

Algorithm 1 of Gulrajani et al. (2017) with its defaults: lambda = 10, n_critic = 5,
Adam(1e-4, beta_1 = 0, beta_2 = 0.9) for both players. Every critic iteration reuses the batch
with fresh noise (``critic_batches="same"``, see ``vegan_tf.models.WGAN``).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("wgan_gp")  # Algorithm 1's lambda, n_critic are the defaults
    c.data.batch_size = 64
    c.optimizers.update(optimizer=adam(1e-4, beta_1=0.0, beta_2=0.9),
                        critic_optimizer=adam(1e-4, beta_1=0.0, beta_2=0.9))
    return c
