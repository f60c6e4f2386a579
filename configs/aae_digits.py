"""AAE on the embedded scikit-learn digits (8x8): MLP networks, a few minutes on 2 CPU cores.

Makhzani et al. (2016), Sec. 2: per batch a reconstruction phase (encoder + decoder), then a
regularisation phase (discriminator, then encoder as generator), each with its own optimiser.
The authors used SGD with momentum; every player here has an Adam (beta_1 = 0.5), with our
learning rates. Deterministic encoder, squared Euclidean reconstruction, weight 1 on the generator phase.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config()
    c.data.name = "digits"
    c.data.batch_size = 100
    c.model.name = "aae"
    c.model.latent_dim = 8
    c.model.arch = "mlp"
    c.model.hidden = (256, 256)
    c.model.critic_hidden = (256, 256)
    c.model.encoder_kind = "deterministic"
    c.model.cost = "l2sq"
    c.model.lam = 1.0
    c.model.prior_trick = False
    c.optimizers.optimizer = adam(1e-3, beta_1=0.5)
    c.optimizers.adversary_optimizer = adam(5e-4, beta_1=0.5)
    c.optimizers.generator_optimizer = adam(5e-4, beta_1=0.5)
    c.train.num_steps = 3000
    c.train.steps_per_epoch = 150
    return c
