"""WGAN-GP on the eight-Gaussians ring (2-D): the toy experiment of Gulrajani et al. (``gan_toy.py``).

MLPs of three ReLU layers (512 wide in the paper, 256 here), d_z = 2, batch 256, n_critic = 5,
lambda = 0.1 and Adam(beta_1 = 0.5, beta_2 = 0.9) as in ``gan_toy.py`` ("smaller lambda seems to
help for toy tasks"; Algorithm 1's lambda = 10 is for images), with a learning rate of 1e-3 instead
of 1e-4 so that a few thousand steps suffice. With lambda = 10 the same networks wander along the
ring for thousands of steps (median distance of a sample to its mode still 0.3 after 3,000 steps,
against 0.04 to 0.08 from step 500 on with lambda = 0.1, seeds 0 to 2). A cosine decay of the
learning rate to 0 puts the samples inside the modes: 94 % within 3 std after 2,000 steps of
``benchmarks/toy_table.py``, against 26 % at a constant rate.
"""

from vegan_tf.config import adam, base_config, eight_gaussians_setting


def get_config():
    c = eight_gaussians_setting(base_config("wgan_gp"))
    c.model.lam = 0.1
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5, beta_2=0.9),
                        critic_optimizer=adam(1e-3, beta_1=0.5, beta_2=0.9))
    c.schedule.name = "cosine"
    return c
