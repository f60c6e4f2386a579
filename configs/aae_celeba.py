"""AAE on CelebA 64x64. Makhzani et al. (2016) report no CelebA run. This is the WAE-GAN CelebA
setting (configs/wae_gan_celeba.py: the WAE paper's networks, d_z = 64, prior N(0, 2 I)) trained
in the AAE's phases, so the two can be compared directly. The discriminator's loss has no lambda,
so lam = 10 weights only the generator phase. Data: TFDS "celeb_a".
"""

from vegan_tf.config import adam, base_config, wae_celeba_setting


def get_config():
    c = wae_celeba_setting(base_config("aae"))
    c.model.update(critic_hidden=(1024, 1024, 1024, 1024), lam=10.0)
    c.model.gan.prior_trick = True
    c.optimizers.update(optimizer=adam(1e-4, beta_1=0.5), adversary_optimizer=adam(5e-5, beta_1=0.5),
                        generator_optimizer=adam(1e-4, beta_1=0.5))
    return c
