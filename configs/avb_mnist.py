"""AVB on MNIST (Mescheder et al. 2017, Algorithm 1, eq. 3.3 and 3.4), sized like the WAE runs.

So that AVB compares with VAE and WAE on equal networks, the encoder and decoder are the DCGAN-style
networks of configs/wae_mmd_mnist.py. The encoder is implicit, with 8 noise inputs joined to its
features, d_z = 8, prior N(0, I), Bernoulli decoder. T(x, z) is a stride-2 convolutional torso on x
joined with z in a 1024-unit layer. There is no adaptive contrast. Adam(1e-4, beta_1 = 0.9) for both
players (our choice: the slower rate keeps T close to its optimum), KL weight 2 (``lam``), batch
100, 100 epochs, the WAE schedule. Data: TFDS "mnist"; for a local copy use
--config.data.name=/path/to/mnist.npz.

beta_1 and the KL weight were chosen on benchmarks/quality.py's protocol (MLP 784-512-16, batch
100, 6,000 steps, constant rate; Fréchet distance of prior samples in the MNIST classifier's
features, lower is better). From Adam(1e-4, beta_1 = 0.5) and weight 1, FD 81.6: both players
at 5e-4 give 84.8, T alone at 5e-4 87.6, weight 2 81.6; beta_1 = 0.9 gives 75.4 (182.1 with both
players at 2e-4), and with weight 2 74.1.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("avb"))
    c.model.update(critic_filters=(64, 128, 256), critic_hidden=(1024,))
    c.model.lam = 2.0
    c.optimizers.update(optimizer=adam(1e-4, beta_1=0.9), adversary_optimizer=adam(1e-4, beta_1=0.9))
    return c
