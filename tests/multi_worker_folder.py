"""One worker of a two-worker cluster (from ``TF_CONFIG``) that trains WAE-MMD on a folder of images.

    TF_CONFIG=... python tests/multi_worker_folder.py <directory> <folder>

Builds the tiny WAE-MMD of ``tests/zoo.py`` under the process's ``MultiWorkerMirroredStrategy``,
sets the weights ``<directory>/initial.npz`` holds and fits ``STEPS`` batches of ``GLOBAL_BATCH``
images from ``data.training_data`` (what the training binary reads: each worker its own files),
then writes its weights to ``<directory>/worker-<task id>.npz``.
"""

import os
import sys

import multi_worker_zoo  # noqa: F401  (first: a worker's start-up, quiet TensorFlow and tests/zoo.py importable)
import numpy as np
import tensorflow as tf

from vegan_tf import data, distribute

GLOBAL_BATCH = 8
STEPS = 3
SEED = 5


def main(directory, folder):
    strategy = distribute.make_strategy("multi_worker")  # before any other op
    from zoo import tiny_model

    model = tiny_model("wae_mmd", strategy)
    with np.load(os.path.join(directory, "initial.npz")) as initial:
        model.set_weights([initial[f"w{i}"] for i in range(len(initial.files))])
    tf.random.set_seed(SEED)  # the shuffle's order depends on the global seed too (the binary sets config.seed)
    stream = data.training_data(data.Source(folder), GLOBAL_BATCH, seed=SEED, strategy=strategy)
    model.fit(stream, epochs=1, steps_per_epoch=STEPS, verbose=0)
    task_id = strategy.cluster_resolver.task_id
    np.savez(os.path.join(directory, f"worker-{task_id}.npz"), step=int(model.step.numpy()),
             **{f"w{i}": w for i, w in enumerate(model.get_weights())})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
