"""AAE on CelebA 64x64. Makhzani et al. (2016) report no CelebA run. This is the WAE-GAN CelebA
setting (configs/wae_gan_celeba.py: the WAE paper's networks, d_z = 64, prior N(0, 2 I)) trained
in the AAE's phases, so the two can be compared directly. The discriminator's loss has no lambda,
so lam = 10 weights only the generator phase. Data: TFDS "celeb_a".
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "celeb_a"
    c.data.batch_size = 100
    c.model.name = "aae"
    c.model.latent_dim = 64
    c.model.prior_scale = 2.0 ** 0.5
    c.model.arch = "conv"
    c.model.filters = (128, 256, 512, 1024)
    c.model.decoder_filters = (1024, 512, 256, 128)
    c.model.final_stride = 2
    c.model.kernel_size = 5
    c.model.batch_norm = True
    c.model.critic_hidden = (1024, 1024, 1024, 1024)
    c.model.encoder_kind = "deterministic"
    c.model.cost = "l2sq"
    c.model.lam = 10.0
    c.model.prior_trick = True
    c.optimizers.optimizer = adam(1e-4, beta_1=0.5)
    c.optimizers.adversary_optimizer = adam(5e-5, beta_1=0.5)
    c.optimizers.generator_optimizer = adam(1e-4, beta_1=0.5)
    c.schedule.name = "piecewise"
    c.schedule.boundaries = (30 / 55, 50 / 55)
    c.schedule.factors = (0.5, 0.1)
    c.train.num_steps = 89100
    c.train.steps_per_epoch = 1620
    return c
