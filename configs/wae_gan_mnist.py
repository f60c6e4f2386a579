"""WAE-GAN on MNIST with the WAE paper's setting (Tolstikhin et al. 2018, Algorithm 1, Sec. 4).

The DCGAN-style networks of configs/wae_mmd_mnist.py (4x4 stride-2 convolutions 128 -> 1024 with
batch norm), d_z = 8, prior N(0, I), squared Euclidean cost, lambda = 10 ("all reported experiments
use this value", Sec. 4). The latent discriminator is a ReLU MLP of 4 x 512 (the WAE code's
d_num_layers / d_num_filters). Adam with beta_1 = 0.5: 1e-3 for encoder/decoder, 5e-4 for the
adversary (the code's lr / lr_adv), both halved after 30 epochs and divided by 5 after 50. Batch 100,
100 epochs, encoder pre-training, no p-trick (the code's gan_p_trick is off for MNIST).
Data: TFDS "mnist"; for a local copy use --config.data.name=/path/to/mnist.npz.

Not the paper's: lambda = 0.03, with samples drawn from a flow-matching latent sampler fitted to
the codes (``sampler.kind``; the Gaussian mixture is the runner-up). Measured on benchmarks/quality.py's protocol (pythae's MLP
784-512-16, batch 100, 6,000 steps, constant learning rate; Fréchet distance (FD) in the MNIST
classifier's features, lower is better; one seed, 10-component mixture), as prior FD / mixture
FD / test reconstruction error per image (squared L2) / FD of reconstructions: lambda = 10 gives
54.7 / 95.0 / 27.0 / 91.6 (the encoder spends its steps on fooling D and does not reconstruct;
WAE-MMD reconstructs at 9.1), 1 gives 59.2 / 85.8 / 28.7 / 72.1, 0.3 gives 73.0 / 42.3 / 14.8 /
31.3, 0.1 gives 84.3 / 34.9 / 10.3 / 26.5 (0.3 with D at 1e-4: 76.2 / 56.4 / 16.3 / 40.8), 0.03 gives
93.0 / 24.1 / 8.05 / 20.8 and FD 19.3 from the flow-matching sampler (0.1: 29.4 over two seeds). Our
cost is the plain squared distance summed over pixels, so lambda weighs the penalty against a
cost of about 10 per image.
"""

from vegan_tf.config import adam, base_config, wae_mnist_setting


def get_config():
    c = wae_mnist_setting(base_config("wae_gan"))
    c.model.update(critic_hidden=(512, 512, 512, 512), lam=0.03, pretrain_encoder=True)
    c.optimizers.update(optimizer=adam(1e-3, beta_1=0.5), adversary_optimizer=adam(5e-4, beta_1=0.5))
    c.sampler.kind = "flow_matching"
    return c
