"""One worker of a MultiWorkerMirroredStrategy cluster (from ``TF_CONFIG``) that trains every row of the zoo.

    TF_CONFIG=... python tests/multi_worker_zoo.py <directory> <name> [<name> ...]

For each ``name`` (a ``configs/<name>_digits.py`` row): builds the tiny model of ``tests/zoo.py``
under the one strategy of the process, sets the weights ``<directory>/<name>.initial.npz`` holds,
fits ``STEPS`` batches of ``GLOBAL_BATCH`` digits and writes the weights and the step reached to
``<directory>/<name>.worker-<task id>.npz``. ``tests/test_multi_worker.py`` runs two of these and
takes the same steps on one device.
"""

import os
import pathlib
import sys
import time
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# tests/zoo.py takes REPO from conftest, which would also split this worker's CPU in two.
sys.modules.setdefault("conftest", types.SimpleNamespace(REPO=HERE.parent))

import numpy as np  # noqa: E402

from vegan_tf import distribute  # noqa: E402

GLOBAL_BATCH = 32
STEPS = 2


def main(directory, names):
    start = time.time()
    strategy = distribute.make_strategy("multi_worker")  # before any other op
    from zoo import digits_batches, tiny_model

    task_id = strategy.cluster_resolver.task_id
    for name in names:
        model = tiny_model(name, strategy)
        with np.load(os.path.join(directory, f"{name}.initial.npz")) as initial:
            model.set_weights([initial[f"w{i}"] for i in range(len(initial.files))])
        model.fit(digits_batches(batch_size=GLOBAL_BATCH, num_batches=STEPS), epochs=1, verbose=0)
        weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
        np.savez(os.path.join(directory, f"{name}.worker-{task_id}.npz"), step=int(model.step.numpy()), **weights)
        print(f"{name}: step {int(model.step.numpy())} at {time.time() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
