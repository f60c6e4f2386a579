#!/usr/bin/env python
"""pythae's models trained at the quality benchmark's budget; writes their samples for vegan_tf to score.

Run by ``benchmarks/quality.py`` with a Python that has torch and pythae (never vegan_tf's
environment), once per model:

    python benchmarks/pythae_reference.py --data=/path/to/mnist.npz --model=WAE_MMD --out=DIR

It trains pythae's model with pythae's default MLP (784-512-d_z / d_z-512-784), d_z = 16,
batch 100, ``--epochs`` epochs at a constant learning rate, through pythae's own
``TrainingPipeline`` (pythae's default model settings otherwise), then draws ``--samples``
samples with its ``NormalSampler`` (the prior) and with its ``GaussianMixtureSampler`` fitted
to the codes of the training images (``--components``, pythae's default 10; its fit is timed),
and writes ``DIR/samples.npy`` and ``DIR/samples_gmm.npy`` (float32 NHWC in [0, 1]),
``DIR/reconstructions.npy`` (of the first ``--samples`` test images) and
``DIR/train_reconstructions.npy`` (of as many training images), and ``DIR/timing.json`` (wall
time of the pipeline, steps per second, the mixture's fit time).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a .npz with x_train (uint8 [N, 28, 28])")
    parser.add_argument("--model", required=True, choices=["WAE_MMD", "VAE", "Adversarial_AE"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--latent-dim", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="pythae's default")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--components", type=int, default=10, help="GaussianMixtureSampler's n_components")
    parser.add_argument("--time-only", action="store_true",
                        help="train and write timing.json only (benchmarks/pipeline_speed.py)")
    args = parser.parse_args()

    import torch
    from pythae import models, pipelines, samplers, trainers

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with np.load(args.data) as npz:
        x = npz["x_train"].astype(np.float32)[:, None] / 255.0  # NCHW, as pythae's MLPs take it
        test = npz["x_test"][:args.samples].astype(np.float32)[:, None] / 255.0
    shape = tuple(x.shape[1:])
    config_class = {"VAE": "VAEConfig"}.get(args.model, f"{args.model}_Config")  # pythae's names are uneven
    config = getattr(models, config_class)(input_dim=shape, latent_dim=args.latent_dim)
    model = getattr(models, args.model)(config)
    common = dict(output_dir=tempfile.mkdtemp(prefix="pythae_"), num_epochs=args.epochs,
                  per_device_train_batch_size=args.batch, seed=args.seed, no_cuda=True)
    if args.model == "Adversarial_AE":
        training = trainers.AdversarialTrainerConfig(autoencoder_learning_rate=args.learning_rate,
                                                     discriminator_learning_rate=args.learning_rate, **common)
    else:
        training = trainers.BaseTrainerConfig(learning_rate=args.learning_rate, **common)
    epoch_ends = []

    class EpochTimes(trainers.training_callbacks.TrainingCallback):
        def on_epoch_end(self, training_config, **kwargs):
            epoch_ends.append(time.time())

    start = time.time()
    pipelines.TrainingPipeline(model=model, training_config=training)(train_data=x, callbacks=[EpochTimes()])
    wall = time.time() - start
    steps = args.epochs * (len(x) // args.batch + (len(x) % args.batch > 0))
    later = (steps - steps // args.epochs) / (epoch_ends[-1] - epoch_ends[0]) if len(epoch_ends) > 1 else None
    timing = {"train_time_s": round(wall, 2), "steps": steps, "steps_per_s": round(steps / wall, 2),
              "later_steps_per_s": later, "learning_rate": args.learning_rate, "torch": torch.__version__}
    os.makedirs(args.out, exist_ok=True)
    if args.time_only:
        with open(os.path.join(args.out, "timing.json"), "w") as f:
            json.dump(timing, f, indent=2)
        return

    model.eval()

    def save(name, images):
        np.save(os.path.join(args.out, name), images.clamp(0, 1).permute(0, 2, 3, 1).numpy())

    with torch.no_grad():
        save("samples.npy", samplers.NormalSampler(model).sample(num_samples=args.samples, batch_size=500))
    start = time.time()
    gmm = samplers.GaussianMixtureSampler(model, samplers.GaussianMixtureSamplerConfig(n_components=args.components))
    gmm.fit(x)  # pythae's documented use: the sampler encodes the training data itself
    fit_time = time.time() - start
    with torch.no_grad():
        save("samples_gmm.npy", gmm.sample(num_samples=args.samples, batch_size=500))
        for name, images in (("reconstructions.npy", test), ("train_reconstructions.npy", x[:args.samples])):
            save(name, model.reconstruct(torch.from_numpy(images)))
    with open(os.path.join(args.out, "timing.json"), "w") as f:
        json.dump({**timing, "gmm_fit_time_s": round(fit_time, 2), "components": args.components}, f, indent=2)


if __name__ == "__main__":
    main()
