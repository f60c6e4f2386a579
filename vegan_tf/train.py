"""The training binary: one config file, one workdir, resumable.

    python -m vegan_tf.train --config=configs/wae_mmd_digits.py --workdir=runs/wae_mmd_digits \\
        [--config.model.lam=5 --config.train.num_steps=3000 ...]

The workdir receives

    config.json            the resolved config
    checkpoints/           tf.train.Checkpoint of the model, every optimizer and the step, every epoch
    logs/                  TensorBoard scalars (every epoch) and sample grids
    samples.png            model samples (a scatter picture for 2-D data)
    reconstructions.png    test images above their reconstructions (models with an encoder)
    samplers/              the latent sampler (config.sampler) fitted after training, with its checkpoints
    metrics.json           ``vegan_tf.evaluate.evaluate_model`` plus training time (and the sampler's fit)
    export/<step>/         the SavedModel (``vegan_tf.export``)
    train.lock             while the run writes: its PID, host and start time (one writer per workdir)

A run started again with the same workdir resumes from its latest checkpoint at
the same step and the same position in the data, so an interrupted run ends
where the uninterrupted one would have (also with another train.steps_per_epoch).
Every check (config values, data, lock, model, checkpoint) runs before the
workdir is written: a run that fails one changes nothing, and the workdir's
config.json is replaced by another config only with --overwrite_config (the
settings of the run, train.* and data.data_dir, may change on a resume). A
failing run (non-finite loss, a corrupt checkpoint) stops with an error that
names the problem and keeps every checkpoint and export written before. An
export of the final step left by an earlier run is kept if it loads; one that
does not (an interrupted copy) is reported before training, then moved aside to
export/<step>.damaged-<unix time> and exported afresh.
SIGTERM during training checkpoints the step reached and exits with status 42
(PREEMPTED_EXIT_CODE); the same command resumes there.

After training, the chief fits the latent sampler of config.sampler (a Gaussian
mixture, a transport map or a flow on the codes of the training images; nothing
for the prior) and samples, evaluates and exports with it. The fit is checkpointed
under samplers/ and resumes where it was stopped. The sampler keys are settings of
the run: the same command on a finished workdir with another --config.sampler.*
fits that sampler to the trained model, without training, and exports it as a new
version (an export of the same step and sampler is kept).

With train.strategy=multi_worker every worker runs the same command with its own
TF_CONFIG; the chief (worker 0) writes the workdir, the others write throwaway
checkpoints to <workdir>/.worker-<i>/. Every worker resumes from the chief's
<workdir>/checkpoints (the workdir must be on storage all of them read), and a
SIGTERM to any worker checkpoints every worker at one step.

``train_and_evaluate(config, workdir)`` is the library function behind the binary.
"""

from __future__ import annotations

import json
import os
import signal
import time

import keras
import numpy as np
import tensorflow as tf

from vegan_tf import callbacks as callbacks_lib
from vegan_tf import config as config_lib
from vegan_tf import _moved, data, distribute, evaluate, export, samplers, visualize, workdir as workdir_lib
from vegan_tf.workdir import CheckpointError  # noqa: F401 - part of the binary's documented errors


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


#: The binary's exit status after a SIGTERM it saved on: the default of TensorFlow's
#: ``PreemptionCheckpointHandler`` outside Google Cloud, which cluster schedulers can be told to restart on.
PREEMPTED_EXIT_CODE = 42


class Preempted(Exception):
    """Training received SIGTERM and stopped after checkpointing the step it had reached (``step``).

    Running the same command again resumes at that step; the binary exits with ``PREEMPTED_EXIT_CODE``.
    """

    def __init__(self, message, step):
        super().__init__(message)
        self.step = step


def train_and_evaluate(config, workdir, callbacks=(), overwrite_config=False):
    """Trains ``config``'s model in ``workdir`` (resuming if it holds a checkpoint), evaluates, exports.

    Every check runs before the workdir is written, so a run that fails one leaves the workdir as
    it was: the config's values (``workdir.check_config``), the data (both splits there, non-empty,
    of one shape: ``workdir.check_data``), the lock (``workdir.locked``: one training process per
    workdir), the workdir's ``config.json`` (another config than the workdir's is refused unless
    ``overwrite_config``; the settings of the run, ``train.*`` and ``data.data_dir``, may change),
    the model and its checkpoint (``workdir.restore``), a checkpoint past ``train.num_steps``, and an
    export of step ``train.num_steps`` left by an earlier run (one that does not load,
    ``export.check_export``, is reported here, then moved aside and exported afresh by :func:`finish`).
    ``callbacks`` are extra Keras callbacks for ``fit``. Returns the metrics dict also written to
    ``workdir/metrics.json`` (an empty dict on a non-chief worker).

    Raises:
      workdir.ConfigError (a ValueError), DatasetNotFoundError, workdir.ConfigMismatchError,
        workdir.WorkdirLockedError, CheckpointError: a check failed; nothing was written.
      NonFiniteLossError: the loss diverged; the last good checkpoint and any export are kept.
      Preempted: SIGTERM arrived during training; the step reached is checkpointed.
    """
    t = config.train
    config_lib.resolve(config)  # 0.2's flat divergence settings under their divergence (warns)
    workdir_lib.check_config(config)
    keras.utils.set_random_seed(config.seed)
    if t.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = distribute.make_strategy(t.strategy, t.num_cpu_devices, t.tpu)  # before any op: multi_worker needs it
    chief = distribute.is_chief(strategy)
    info = workdir_lib.check_data(config)
    own_dir = workdir  # every worker writes checkpoints (MultiWorkerMirroredStrategy needs it); the chief's are kept
    if not chief:
        own_dir = os.path.join(workdir, f".worker-{strategy.cluster_resolver.task_id}")
    with workdir_lib.locked(own_dir):
        workdir_lib.check_config_change(workdir, config, overwrite=overwrite_config)
        model = workdir_lib.build_model(config, strategy)
        ckpt_dir = os.path.join(workdir, "checkpoints")  # every worker resumes from the chief's checkpoint
        checkpoint = workdir_lib.make_checkpoint(model)
        step = workdir_lib.restore(checkpoint, ckpt_dir)
        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        if multi_worker:
            _check_workers_agree(strategy, step, ckpt_dir)
        if step > t.num_steps:
            raise ValueError(f"The workdir's checkpoint is at step {step}, past train.num_steps={t.num_steps}. "
                             f"Train on with --config.train.num_steps={step} or more, or use a new --workdir.")
        damaged = _damaged_export(os.path.join(workdir, "export", str(t.num_steps))) if chief and t.export else None
        if damaged:
            print(f"{damaged} It is moved aside and exported afresh after training.")
        if chief and model.sampler.needs_fit:  # a sampler checkpoint of this config that does not restore
            fresh = model.sampler.fresh()
            workdir_lib.restore_sampler(workdir_lib.sampler_checkpoint(fresh, _fit_optimizer(fresh)),
                                        workdir_lib.sampler_dir(workdir, config, t.num_steps))
        # Every check passed: from here on the workdir is written.
        if chief:
            workdir_lib.write_config(workdir, config)
            if step and workdir_lib.latest_checkpoint(ckpt_dir) is None:  # resumed without a readable state file
                workdir_lib.write_checkpoint_state(ckpt_dir, step)
        manager = workdir_lib.checkpoint_manager(checkpoint, os.path.join(own_dir, "checkpoints"),
                                                 max_to_keep=t.keep_checkpoints)
        if step:
            print(f"Resuming from {os.path.join(ckpt_dir, f'ckpt-{step}')} at step {step}.")
        train_time = _train(model, config, manager, step, info, workdir if chief else None, callbacks, strategy)
        if not chief:
            return {}
        fit = fit_sampler(model, config, workdir)
        return finish(model, config, workdir, train_time, steps_trained=int(model.step.numpy()) - step, fit=fit)


def _fit_optimizer(sampler):
    return sampler.make_optimizer() if hasattr(sampler, "make_optimizer") else None


#: How often (in updates) a network sampler's fit is checkpointed.
SAMPLER_CHECKPOINT_EVERY = 100


def fit_sampler(model, config, workdir):
    """Fits ``config.sampler`` to the codes of the training images and makes it the model's; returns the fit's info.

    The codes are those of the first ``sampler.fit_examples`` training images in file order
    (``model.collect_codes`` with ``sampler.codes``, seeded by ``config.seed``), so a fit is
    deterministic. Its state is checkpointed in ``workdir_lib.sampler_dir`` (every
    ``SAMPLER_CHECKPOINT_EVERY`` updates for a network sampler, and when it ends): a run stopped
    during the fit resumes it, and a sampler fitted before is restored, not fitted again.
    Nothing for the prior.
    """
    if not model.sampler.needs_fit:
        return {}
    s, step = config.sampler, int(model.step.numpy())
    directory = workdir_lib.sampler_dir(workdir, config, step)
    fitting = model.sampler.fresh()
    optimizer = _fit_optimizer(fitting)
    checkpoint = workdir_lib.sampler_checkpoint(fitting, optimizer)
    manager = workdir_lib.checkpoint_manager(checkpoint, directory, max_to_keep=2)
    info_path = os.path.join(directory, "fit.json")
    if workdir_lib.restore_sampler(checkpoint, directory) and fitting.fitted:
        print(f"The {s.kind!r} latent sampler was fitted before: restored it from {manager.latest_checkpoint}.")
        model.sampler.set_weights(fitting.get_weights())
        with open(info_path) as f:
            return json.load(f)
    os.makedirs(directory, exist_ok=True)
    workdir_lib.write_text(os.path.join(directory, "sampler.json"), json.dumps(workdir_lib.sampler_spec(config, step),
                                                                              indent=2))
    start = time.time()
    codes = workdir_lib.sampler_codes(model, config)
    resumed = int(fitting.fit_step.numpy())
    print(f"Fitting the {s.kind!r} latent sampler to {len(codes)} codes ({s.codes})"
          + (f", from update {resumed} of {fitting.fit_steps}" if resumed else "") + "...")
    options = {} if optimizer is None else dict(optimizer=optimizer, callback_every=SAMPLER_CHECKPOINT_EVERY,
                                                callback=lambda k: manager.save(checkpoint_number=k))
    info = samplers.fit_into(model.sampler, codes, config.seed, fitting=fitting, **options)
    info = {"kind": s.kind, "codes": s.codes, "num_codes": int(len(codes)), "fit_time_s": round(time.time() - start, 2),
            **{k: v for k, v in info.items() if k != "held_out_log_likelihood"},
            **({"held_out_log_likelihood": {str(k): v for k, v in info["held_out_log_likelihood"].items()}}
               if "held_out_log_likelihood" in info else {})}
    workdir_lib.write_text(info_path, json.dumps(info, indent=2))  # before the checkpoint that marks the fit done
    manager.save(checkpoint_number=fitting.fit_steps)
    print(f"Fitted the {s.kind!r} latent sampler in {info['fit_time_s']} s: "
          + ", ".join(f"{k} {v}" for k, v in info.items() if k in ("components", "log_likelihood", "fit_loss")) + ".")
    return info


def _same_export(base, step, sampler, fit):
    """The export version under ``base`` of model step ``step`` and ``sampler`` (its settings) fitted to ``fit``
    (``workdir.sampler_fit``) that loads, or None."""
    for version in sorted((int(d) for d in (os.listdir(base) if os.path.isdir(base) else []) if d.isdigit()),
                          reverse=True):
        path = os.path.join(base, str(version))
        if export.made_by(path, step, sampler, fit) and _damaged_export(path) is None:
            return path
    return None


def _damaged_export(path):
    """The ``export.ExportError`` of the export version ``path`` if it is there and does not load, else None."""
    if not os.path.exists(path):
        return None
    try:
        export.check_export(path)
    except export.ExportError as error:
        return error
    return None


def _check_workers_agree(strategy, step, ckpt_dir):
    """Raises ``CheckpointError`` unless every worker restored the same step (a collective: every worker calls it)."""
    steps = [int(s) for s in distribute.worker_values(strategy, step)]
    if len(set(steps)) > 1:
        raise CheckpointError(
            f"The workers restored different steps from {ckpt_dir} ({', '.join(map(str, steps))} by replica): "
            f"every worker must read the chief's workdir. Put --workdir on storage that every worker mounts "
            f"at the same path (a shared filesystem, or a gs:// path).")


def fit_plan(step, num_steps, steps_per_epoch):
    """The ``(steps_per_epoch, initial_epoch, epochs)`` of the ``fit`` calls that train from ``step`` to ``num_steps``.

    Epochs end at multiples of ``steps_per_epoch``. A run resumed with another ``steps_per_epoch``
    than it was interrupted with first completes its epoch in a short one, and so ends at ``num_steps``.
    """
    head = min(-step % steps_per_epoch, num_steps - step)
    plan = [(head, step // steps_per_epoch, step // steps_per_epoch + 1)] if head else []
    if step + head < num_steps:
        plan.append((steps_per_epoch, (step + head) // steps_per_epoch, num_steps // steps_per_epoch))
    return plan


def _train(model, config, manager, step, info, logdir, callbacks, strategy):
    """Trains from ``step`` to ``train.num_steps`` (TensorBoard logs under ``logdir`` unless None); returns the time."""
    t = config.train

    source = data.source(config.data)

    def train_data(seed, skip=0, per_worker=True):  # per_worker: a folder read per worker under multi_worker
        return data.training_data(source, config.data.batch_size, seed=seed, skip=skip,
                                  strategy=strategy if per_worker else None)

    if step == 0 and config.model.get("pretrain_encoder", False):
        # Its own pipeline: iterating the training one first would change the order `fit` sees.
        model.pretrain_encoder(train_data(config.seed + 1, per_worker=False), steps=config.model.get("pretrain_steps", 200))

    reference = None
    if len(info.shape) == 1:
        reference = data.load_array(source, "test", limit=2000)
    guard = callbacks_lib.NonFiniteGuard()
    checkpoint = callbacks_lib.EpochCheckpoint(manager, guard)
    preemption = callbacks_lib.Preemption(checkpoint, (signal.SIGTERM,), strategy)
    jobs = [guard, *callbacks, checkpoint, preemption]
    if logdir is not None:
        writer = tf.summary.create_file_writer(os.path.join(logdir, "logs"))
        jobs += [callbacks_lib.EpochScalars(writer), callbacks_lib.SampleGrid(writer, t.sample_every_epochs, reference)]
    start = time.time()
    with preemption.handling():
        for steps_per_epoch, initial_epoch, epochs in fit_plan(step, t.num_steps, t.steps_per_epoch):
            at = int(model.step.numpy())  # the same data position as the uninterrupted run
            model.fit(train_data(config.seed, skip=at), epochs=epochs,
                      initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch, callbacks=jobs, verbose=t.verbose,
                      shuffle=False)  # the pipeline shuffles
            if preemption.poll() or guard.failure or model.stop_training:  # poll first: a collective on every worker
                break
    if guard.failure:
        raise NonFiniteLossError(
            f"Training stopped: {guard.failure}. The last good checkpoint ({manager.latest_checkpoint}) and any "
            f"export were kept. Lower the learning rate (config.optimizers.*.learning_rate) or the penalty "
            f"weight, or check the data for NaNs, then run again with the same --workdir to resume.")
    if preemption.stopped or preemption.received:
        saved = preemption.step if preemption.step is not None else checkpoint.save()
        raise Preempted(f"Training received {preemption.received} and stopped at step {saved}, which "
                        f"{manager.latest_checkpoint} holds: no step is lost. Run the same command again to "
                        f"resume.", saved)
    return time.time() - start


def finish(model, config, workdir, train_time, steps_trained, fit=None):
    """Writes the pictures, the metrics and the export of a trained model; returns the metrics.

    The export is ``export/<step>``. An export of the same step and latent sampler that is there
    already is kept if it loads (``export.check_export``); ``export/<step>`` that does not load
    is moved aside (``export.move_aside``) and exported afresh; one of another sampler is kept, and
    this sampler's export gets the next version (TF Serving serves the highest).
    """
    out = {"step": int(model.step.numpy()), "train_time_s": round(train_time, 2)}
    if steps_trained:
        out["steps_per_s"] = round(steps_trained / max(train_time, 1e-9), 2)
    if fit:
        out["sampler"] = fit
    out.update(evaluate.evaluate_model(model, data.source(config.data), None, config.train.eval_samples,
                                       seed=config.seed))
    if "feature_net" not in out and len(model.data_shape) == 3:
        print(evaluate.no_feature_net_note(config.data.name))
    paths = {"samples": os.path.join(workdir, "samples.png")}
    samples = model.sample(64, config.seed).numpy()
    test = data.load_array(data.source(config.data), "test", limit=2000 if samples.ndim == 2 else 32)
    visualize.save_png(visualize.picture(samples, test if samples.ndim == 2 else None), paths["samples"])
    if model.encoder is not None and samples.ndim > 2:
        paths["reconstructions"] = os.path.join(workdir, "reconstructions.png")
        pairs = np.concatenate([test, model.reconstruct(test).numpy()])
        visualize.save_png(visualize.image_grid(pairs, columns=len(test) // 2), paths["reconstructions"])
    if config.train.export:
        base = os.path.join(workdir, "export")
        target = os.path.join(base, str(out["step"]))
        damaged = _damaged_export(target)
        if damaged:
            print(f"{damaged} Moved it aside to {export.move_aside(target)}; exporting afresh.")
        fitted_to = workdir_lib.sampler_fit(config)
        kept = _same_export(base, out["step"], export.sampler_settings(model.sampler), fitted_to)
        if kept:
            print(f"Export {kept} of this step and latent sampler exists already and loads; kept it.")
            target = kept
        else:
            version = out["step"]
            if os.path.exists(target):
                version = max(int(d) for d in os.listdir(base) if d.isdigit()) + 1
                print(f"Export {target} holds another latent sampler; exporting the {model.sampler.kind!r} one as "
                      f"version {version}.")
            target = export.export(model, base, version=version, sampler_fit=fitted_to,
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


__getattr__ = _moved.moved(__name__, {"sampler_codes": "vegan_tf.workdir:sampler_codes",
                                      "run": "vegan_tf.cli:run_train"})

if __name__ == "__main__":  # python -m vegan_tf.train: this file runs as __main__, apart from vegan_tf.train
    from vegan_tf import cli

    cli.run_train()
