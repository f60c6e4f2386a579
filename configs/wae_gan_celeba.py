"""WAE-GAN on CelebA 64x64 (Tolstikhin et al. 2018, Algorithm 1, Sec. 4).

The networks, prior N(0, 2 I), d_z = 64, batch and schedule of configs/wae_mmd_celeba.py; lambda = 10
(Sec. 4: "all reported experiments use this value"). The published code's CelebA setting gives the
rest: a latent discriminator of 4 x 1024 ReLU units, the p-trick on (gan_p_trick = True), Adam with
beta_1 = 0.5 at 1e-4 for encoder/decoder and 5e-5 for the adversary (lr / lr_adv).
Data: TFDS "celeb_a" (prepare it with `tfds build celeb_a`).
"""

from vegan_tf.config import adam, base_config, wae_celeba_setting


def get_config():
    c = wae_celeba_setting(base_config("wae_gan"))
    c.model.update(critic_hidden=(1024, 1024, 1024, 1024), lam=10.0, pretrain_encoder=True)
    c.model.gan.prior_trick = True
    c.optimizers.update(optimizer=adam(1e-4, beta_1=0.5), adversary_optimizer=adam(5e-5, beta_1=0.5))
    return c
