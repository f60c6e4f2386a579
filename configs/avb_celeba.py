"""AVB on CelebA 64x64 (Mescheder et al. 2017, Algorithm 1), sized like the WAE CelebA runs.

The encoder/decoder networks, d_z = 64, batch and schedule of configs/wae_mmd_celeba.py. The encoder
is implicit (16 noise inputs), the prior is N(0, I), and the decoder is Gaussian with sigma = 0.1, as
configs/vae_celeba.py. T(x, z) is a stride-2 convolutional torso joined with z. There is no adaptive
contrast. Adam(1e-4, beta_1 = 0.5) for both players (our choice). Data: TFDS "celeb_a".
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "celeb_a"
    c.data.batch_size = 100
    c.model.name = "avb"
    c.model.latent_dim = 64
    c.model.prior_scale = 1.0
    c.model.arch = "conv"
    c.model.filters = (128, 256, 512, 1024)
    c.model.decoder_filters = (1024, 512, 256, 128)
    c.model.final_stride = 2
    c.model.kernel_size = 5
    c.model.batch_norm = True
    c.model.critic_filters = (64, 128, 256, 512)
    c.model.critic_hidden = (1024,)
    c.model.encoder_kind = "implicit"
    c.model.noise_dim = 16
    c.model.likelihood = "gaussian"
    c.model.decoder_scale = 0.1
    c.optimizers.optimizer = adam(1e-4, beta_1=0.5)
    c.optimizers.adversary_optimizer = adam(1e-4, beta_1=0.5)
    c.schedule.name = "piecewise"
    c.schedule.boundaries = (30 / 55, 50 / 55)
    c.schedule.factors = (0.5, 0.1)
    c.train.num_steps = 89100
    c.train.steps_per_epoch = 1620
    return c
