#!/usr/bin/env python
"""Are VAE samples blurrier than WAE samples? Sharpness on MNIST at one training budget.

The VEGAN cookbook (Bousquet et al. 2017, Sec. 4) explains VAE blur by the per-example KL term,
which pulls every posterior Q(Z|x) onto the whole prior, so that the codes of different
digits overlap and the decoder averages them. POT's penalty acts on the aggregate Q_Z only. The WAE
paper (Tolstikhin et al. 2018, Sec. 4, Fig. 2 and 3) shows sharper WAE samples than VAE ones.
This script measures that claim with the variance of the Laplacian (``vegan_tf.metrics.sharpness``)
of model samples and of test reconstructions, each relative to the same number of real test digits.

    python benchmarks/sharpness.py --root=runs/mnist
    python benchmarks/sharpness.py --root=DIR --models=vae,wae_mmd --steps=3000 --data=/path/to/mnist.npz

``<root>/<model>`` is a ``vegan_tf.train`` workdir. If it holds no finished run (``metrics.json``),
the model is first trained there by ``train.train_and_evaluate`` from ``configs/<model>_mnist.py``
at the shared budget below. That is the same as

    python -m vegan_tf.train --config=configs/<model>_mnist.py --workdir=<root>/<model> \\
        --config.data.name=<data> --config.model.filters="(16,32,64)" \\
        --config.model.decoder_filters="(64,32,16)" --config.train.num_steps=<steps> \\
        --config.train.steps_per_epoch=300 --config.schedule.name=constant  [+ EXTRA[model]]

Every model gets the same reduced-width DCGAN networks, batch 100, the same number of steps
and a constant learning rate. The budget is small (3000 steps = 5 epochs on 2 CPU cores), so
the numbers compare the models at equal cost, not at convergence.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import harness

#: The budget every model is trained at (dotted config keys).
BUDGET = {"model.filters": (16, 32, 64), "model.decoder_filters": (64, 32, 16), "train.steps_per_epoch": 300,
          "schedule.name": "constant"}
#: Per-model changes so that every model has the same networks and learning rate as the others.
EXTRA = {
    # The AAE's MNIST config is the paper's MLP; use the shared conv networks instead.
    "aae": {"model.arch": "conv", "model.batch_norm": True},
    # AVB's MNIST config trains at 1e-4; at this budget it uses the others' 1e-3, and a narrower T.
    "avb": {"model.critic_filters": (16, 32, 64), "model.critic_hidden": (256,),
            "optimizers.optimizer.learning_rate": 1e-3, "optimizers.adversary_optimizer.learning_rate": 1e-3},
}


def mnist_config(model, data_name, steps):
    """``configs/<model>_mnist.py`` at the shared budget."""
    return harness.load_config(os.path.join("configs", f"{model}_mnist.py"),
                               {**BUDGET, **EXTRA.get(model, {}), "train.num_steps": steps, "data.name": data_name})


def batched(fn, x, size=500):
    return np.concatenate([fn(x[i:i + size]).numpy() for i in range(0, len(x), size)])


def measure(path, num_samples, seed):
    """Sharpness of samples and test reconstructions of the model in the workdir ``path``."""
    from vegan_tf import data, metrics, workdir

    model, config = workdir.load(path)
    real = data.load_array(config.data.name, "test", limit=num_samples)
    samples = np.concatenate([model.sample(min(500, num_samples - i), seed + i).numpy()
                              for i in range(0, num_samples, 500)])
    reconstructions = batched(model.reconstruct, real)
    return {"step": int(model.step.numpy()), "samples": metrics.sharpness(samples),
            "reconstructions": metrics.sharpness(reconstructions), "real": metrics.sharpness(real)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, help="Directory of the workdirs, one per model.")
    parser.add_argument("--models", default="vae,wae_mmd,wae_gan,aae,avb")
    parser.add_argument("--data", default="mnist", help="MNIST: 'mnist' (TFDS) or a local .npz path.")
    parser.add_argument("--steps", type=int, default=3000, help="Training steps of models trained here.")
    parser.add_argument("--num_samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from vegan_tf import train  # after the flags: TensorFlow starts slowly

    rows = {}
    for model in args.models.split(","):
        path = os.path.join(args.root, model)
        if not os.path.exists(os.path.join(path, "metrics.json")):
            print(f"Training {model} in {path} ...", flush=True)
            train.train_and_evaluate(mnist_config(model, args.data, args.steps), path)
        rows[model] = measure(path, args.num_samples, args.seed)

    real = next(iter(rows.values()))["real"]
    print(f"\nSharpness (variance of the Laplacian) on MNIST, {args.num_samples} images each; "
          f"real test digits: {real:.4f}\n")
    header = ("model", "steps", "samples", "samples / real", "reconstructions", "reconstructions / real")
    harness.markdown_table(header, [[model, r["step"], f"{r['samples']:.4f}", f"{r['samples'] / real:.3f}",
                                     f"{r['reconstructions']:.4f}", f"{r['reconstructions'] / real:.3f}"]
                                    for model, r in rows.items()], right=header[1:])


if __name__ == "__main__":
    main()
