"""AAE on the embedded scikit-learn digits (8x8): MLP networks, a few minutes on 2 CPU cores.

Makhzani et al. (2016), Sec. 2: per batch a reconstruction phase (encoder + decoder), then a
regularisation phase (discriminator, then encoder as generator), each with its own optimiser.
The authors used SGD with momentum; every player here has an Adam (beta_1 = 0.5), with our
learning rates. Deterministic encoder, squared Euclidean reconstruction, weight 1 on the generator phase.
"""

from vegan_tf.config import adam, base_config


def get_config():
    c = base_config("aae")
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), adversary_optimizer=adam(5e-4, beta_1=0.5),
                        generator_optimizer=adam(5e-4, beta_1=0.5))
    return c
