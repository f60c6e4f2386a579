"""WAE-MMD on CelebA 64x64 with the WAE paper's setting (Tolstikhin et al. 2018, Sec. 4 and Appendix E).

140x140 centre crop resized to 64x64; d_z = 64, prior N(0, 2 I) (sigma_z^2 = 2), squared Euclidean
cost, lambda = 100, IMQ kernel, Adam(1e-3, beta_1 = 0.5), batch 100, 55 epochs with the
learning rate halved after 30 epochs, divided by 5 after 50; DCGAN encoder 128 -> 1024 and
decoder 1024 -> 128 with final stride 2. Data: TFDS "celeb_a" (prepare it with `tfds build celeb_a`).
"""

from vegan_tf.config import adam, base_config, wae_celeba_setting


def get_config():
    c = wae_celeba_setting(base_config("wae_mmd"))
    c.model.update(lam=100.0, pretrain_encoder=True)
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    return c
