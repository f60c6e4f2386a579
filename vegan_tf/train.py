"""The training binary: one config file, one workdir, resumable.

    python -m vegan_tf.train --config=configs/wae_mmd_digits.py --workdir=runs/wae_mmd_digits \\
        [--config.model.lam=5 --config.train.num_steps=3000 ...]

The workdir receives

    config.json            the resolved config
    checkpoints/           tf.train.Checkpoint of the model, every optimizer and the step, every epoch
    logs/                  TensorBoard scalars (every epoch) and sample grids
    samples.png            model samples (a scatter picture for 2-D data)
    reconstructions.png    test images above their reconstructions (models with an encoder)
    metrics.json           ``vegan_tf.evaluate.evaluate_model`` plus training time
    export/<step>/         the SavedModel (``vegan_tf.export``)

A run started again with the same workdir resumes from its latest checkpoint at
the same step and the same position in the data, so an interrupted run ends
where the uninterrupted one would have. A failing run (non-finite loss, a
corrupt checkpoint) stops with an error that names the problem and keeps every
checkpoint and export written before.

``train_and_evaluate(config, workdir)`` is the library function behind the binary.
"""

from __future__ import annotations

import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from vegan_tf import callbacks as callbacks_lib
from vegan_tf import data, distribute, evaluate, export, visualize, workdir as workdir_lib
from vegan_tf.workdir import CheckpointError  # noqa: F401 - part of the binary's documented errors


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


def train_and_evaluate(config, workdir, callbacks=()):
    """Trains ``config``'s model in ``workdir`` (resuming if it holds a checkpoint), evaluates, exports.

    Returns the metrics dict also written to ``workdir/metrics.json``.
    """
    t = config.train
    if t.num_steps % t.steps_per_epoch:
        raise ValueError(f"train.num_steps ({t.num_steps}) must be a multiple of train.steps_per_epoch "
                         f"({t.steps_per_epoch}): checkpoints are written at epoch ends.")
    keras.utils.set_random_seed(config.seed)
    if t.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = distribute.make_strategy(t.strategy, t.num_cpu_devices, t.tpu)
    chief = distribute.is_chief(strategy)
    os.makedirs(workdir, exist_ok=True)
    if chief:
        workdir_lib.write_config(workdir, config)

    info = data.dataset_info(config.data.name)
    model = workdir_lib.build_model(config, strategy)
    ckpt_dir = os.path.join(workdir, "checkpoints")
    if not chief:  # every worker writes; only the chief's copy is kept
        ckpt_dir = os.path.join(workdir, f".worker-{strategy.cluster_resolver.task_id}", "checkpoints")
    manager = workdir_lib.checkpoint_manager(model, ckpt_dir, max_to_keep=t.keep_checkpoints)
    step = workdir_lib.restore(manager)
    if step:
        print(f"Resuming from {manager.latest_checkpoint} at step {step}.")

    def train_data(seed):
        return data.get_dataset(config.data.name, "train", batch_size=config.data.batch_size, shuffle=True,
                                seed=seed, repeat=True, data_dir=config.data.data_dir or None)

    if step == 0 and config.model.get("pretrain_encoder", False):
        # Its own pipeline: iterating the training one first would change the order `fit` sees.
        model.pretrain_encoder(train_data(config.seed + 1), steps=config.model.get("pretrain_steps", 200))
    dataset = train_data(config.seed).skip(step)  # the same data position as the uninterrupted run

    reference = None
    if len(info.shape) == 1:
        reference = data.load_array(config.data.name, "test", limit=2000)
    guard = callbacks_lib.NonFiniteGuard()
    jobs = [guard, callbacks_lib.EpochCheckpoint(manager, guard)]
    if chief:
        writer = tf.summary.create_file_writer(os.path.join(workdir, "logs"))
        jobs += [callbacks_lib.EpochScalars(writer), callbacks_lib.SampleGrid(writer, t.sample_every_epochs, reference)]
    start = time.time()
    if step < t.num_steps:
        model.fit(dataset, epochs=t.num_steps // t.steps_per_epoch, initial_epoch=step // t.steps_per_epoch,
                  steps_per_epoch=t.steps_per_epoch, callbacks=[*jobs, *callbacks], verbose=t.verbose,
                  shuffle=False)  # the pipeline shuffles
    train_time = time.time() - start
    if guard.failure:
        raise NonFiniteLossError(
            f"Training stopped: {guard.failure}. The last good checkpoint ({manager.latest_checkpoint}) and any "
            f"export were kept. Lower the learning rate (config.optimizers.*.learning_rate) or the penalty "
            f"weight, or check the data for NaNs, then run again with the same --workdir to resume.")
    if not chief:
        return {}
    return finish(model, config, workdir, train_time, steps_trained=int(model.step.numpy()) - step)


def finish(model, config, workdir, train_time, steps_trained):
    """Writes the pictures, the metrics and the export of a trained model; returns the metrics."""
    out = {"step": int(model.step.numpy()), "train_time_s": round(train_time, 2)}
    if steps_trained:
        out["steps_per_s"] = round(steps_trained / max(train_time, 1e-9), 2)
    out.update(evaluate.evaluate_model(model, config.data.name, config.data.data_dir, config.train.eval_samples,
                                       seed=config.seed))
    paths = {"samples": os.path.join(workdir, "samples.png")}
    samples = model.sample(64, config.seed).numpy()
    test = data.load_array(config.data.name, "test", limit=2000 if samples.ndim == 2 else 32,
                           data_dir=config.data.data_dir or None)
    visualize.save_png(visualize.picture(samples, test if samples.ndim == 2 else None), paths["samples"])
    if model.encoder is not None and samples.ndim > 2:
        paths["reconstructions"] = os.path.join(workdir, "reconstructions.png")
        pairs = np.concatenate([test, model.reconstruct(test).numpy()])
        visualize.save_png(visualize.image_grid(pairs, columns=len(test) // 2), paths["reconstructions"])
    if config.train.export:
        target = os.path.join(workdir, "export", str(out["step"]))
        if os.path.exists(target):
            print(f"Export {target} exists already; kept it.")
        else:
            export.export(model, os.path.join(workdir, "export"), version=out["step"],
                          max_samples=config.train.get("max_samples", export.DEFAULT_MAX_SAMPLES))
        paths["export"] = target
    out["files"] = paths
    with open(os.path.join(workdir, "metrics.json"), "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps({k: v for k, v in out.items() if k != "files"}, indent=2))
    print("Wrote:\n" + "\n".join(f"  {name:16s}{path}" for name, path in
                                 {**paths, "metrics": os.path.join(workdir, "metrics.json"),
                                  "checkpoints": os.path.join(workdir, "checkpoints"),
                                  "tensorboard": os.path.join(workdir, "logs")}.items()))
    return out


# --------------------------------------------------------------------- CLI
def run():
    """Entry point of ``python -m vegan_tf.train`` and the ``vegan-train`` script (``vegan_tf.cli``)."""
    from vegan_tf import cli

    cli.run_train()


if __name__ == "__main__":
    run()
