"""VAE on CelebA 64x64 as the WAE paper's baseline (Tolstikhin et al. 2018, Sec. 4).

The networks, d_z = 64, batch and schedule of configs/wae_mmd_celeba.py with a Gaussian encoder,
a standard normal prior N(0, I) (Sec. 4: "standard Gaussian priors" for the VAEs) and a Gaussian
decoder N(G(z), sigma_G^2 I). The paper does not give sigma_G; 0.1 is our choice. Under it,
-log p(x|z) is 50 ||x - G(z)||^2 plus a constant, a reconstruction weight of the same order as
the WAE's. Data: TFDS "celeb_a".
"""

from vegan_tf.config import adam, base_config, wae_celeba_setting


def get_config():
    c = wae_celeba_setting(base_config("vae"), prior_scale=1.0)
    c.model.update(cost="gaussian", decoder_scale=0.1)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
