"""VAE on CelebA 64x64 as the WAE paper's baseline (Tolstikhin et al. 2018, Sec. 4).

The networks, d_z = 64, batch and schedule of configs/wae_mmd_celeba.py with a Gaussian encoder,
a standard normal prior N(0, I) (Sec. 4: "standard Gaussian priors" for the VAEs) and a Gaussian
decoder N(G(z), sigma_G^2 I). The paper does not give sigma_G; 0.1 is our choice. Under it,
-log p(x|z) is 50 ||x - G(z)||^2 plus a constant, a reconstruction weight of the same order as
the WAE's. Data: TFDS "celeb_a".
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "celeb_a"
    c.data.batch_size = 100
    c.model.name = "vae"
    c.model.latent_dim = 64
    c.model.prior_scale = 1.0
    c.model.arch = "conv"
    c.model.filters = (128, 256, 512, 1024)
    c.model.decoder_filters = (1024, 512, 256, 128)
    c.model.final_stride = 2
    c.model.kernel_size = 5
    c.model.batch_norm = True
    c.model.encoder_kind = "gaussian"
    c.model.likelihood = "gaussian"
    c.model.decoder_scale = 0.1
    c.model.beta = 1.0
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.schedule.name = "piecewise"
    c.schedule.boundaries = (30 / 55, 50 / 55)
    c.schedule.factors = (0.5, 0.1)
    c.train.num_steps = 89100
    c.train.steps_per_epoch = 1620
    return c
