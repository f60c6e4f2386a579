"""AVB on CelebA 64x64 (Mescheder et al. 2017, Algorithm 1), sized like the WAE CelebA runs.

The encoder/decoder networks, d_z = 64, batch and schedule of configs/wae_mmd_celeba.py. The encoder
is implicit (16 noise inputs), the prior is N(0, I), and the decoder is Gaussian with sigma = 0.1, as
configs/vae_celeba.py. T(x, z) is a stride-2 convolutional torso joined with z. There is no adaptive
contrast. Adam(1e-4, beta_1 = 0.5) for both players (our choice). Data: TFDS "celeb_a".
"""

from vegan_tf.config import adam, base_config, wae_celeba_setting


def get_config():
    c = wae_celeba_setting(base_config("avb"), prior_scale=1.0)
    c.model.update(critic_filters=(64, 128, 256, 512), critic_hidden=(1024,), noise_dim=16, cost="gaussian",
                   decoder_scale=0.1)
    c.optimizers.update(optimizer=adam(1e-4, beta_1=0.5), adversary_optimizer=adam(1e-4, beta_1=0.5))
    return c
