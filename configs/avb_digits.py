"""AVB on the embedded scikit-learn digits (8x8): MLP networks, a few minutes on 2 CPU cores.

Mescheder et al. (2017), Algorithm 1: implicit encoder z = E(x, eps) with 8 noise inputs, the
adversary T(x, z) an MLP on x joined with z, Bernoulli decoder, no adaptive contrast. Both players
use Adam(1e-3, beta_1 = 0.5) (our choice for this small set).
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 100
    c.model.name = "avb"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.critic_hidden = (256, 256)
    c.model.encoder_kind = "implicit"
    c.model.noise_dim = 8
    c.model.likelihood = "bernoulli"
    c.model.decoder_scale = 1.0
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.adversary_optimizer = adam(1e-3, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
