"""AVB on MNIST (Mescheder et al. 2017, Algorithm 1, eq. 3.3 and 3.4), sized like the WAE runs.

So that AVB compares with VAE and WAE on equal networks, the encoder and decoder are the DCGAN-style
networks of configs/wae_mmd_mnist.py. The encoder is implicit, with 8 noise inputs joined to its
features, d_z = 8, prior N(0, I), Bernoulli decoder. T(x, z) is a stride-2 convolutional torso on x
joined with z in a 1024-unit layer. There is no adaptive contrast. Adam(1e-4, beta_1 = 0.5) for both
players (our choice: the slower rate keeps T close to its optimum), batch 100, 100 epochs, the WAE
schedule. Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("avb"))
    c.model.update(critic_filters=(64, 128, 256), critic_hidden=(1024,))
    c.optimizers.update(optimizer=adam(1e-4, beta_1=0.5), adversary_optimizer=adam(1e-4, beta_1=0.5))
    return c
