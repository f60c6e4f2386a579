"""The training binary's callbacks, one job each: refuse non-finite losses, checkpoint, save on SIGTERM, log."""

from __future__ import annotations

import contextlib
import signal
import threading

import keras
import numpy as np
import tensorflow as tf

from vegan_tf import visualize


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first batch end whose loss is NaN or infinite and says where (``failure``).

    With ``steps_per_execution`` k > 1 it sees every k-th step; the logged loss is the mean since
    the epoch began, so a non-finite step is still caught, at the end of its execution.
    """

    def __init__(self):
        super().__init__()
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.all(np.isfinite(loss)):
            step, k = int(self.model.step.numpy()), int(getattr(self.model, "steps_per_execution", 1) or 1)
            where = f"at step {step}" if k == 1 else f"in steps {step - k + 1}–{step} (checked every {k} steps)"
            self.failure = f"the loss became {float(np.ravel(loss)[0])} {where}"
            self.model.stop_training = True


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves a ``tf.train.CheckpointManager`` checkpoint numbered by the step at every epoch end.

    Never after ``guard`` has seen a non-finite loss: a diverged model is not checkpointed. ``save()``
    saves at the current step (once per step) and returns it; ``Preemption`` calls it mid-epoch.
    """

    def __init__(self, manager, guard):
        super().__init__()
        self.manager, self.guard = manager, guard
        self.saved_step = None

    def save(self):
        """Checkpoints the current step unless it is saved already or the loss diverged; returns the step saved."""
        if self.guard.failure:
            return None
        step = int(self.model.step.numpy())
        if step != self.saved_step:
            self.manager.save(checkpoint_number=step)
            self.saved_step = step
        return step

    def on_epoch_end(self, epoch, logs=None):
        self.save()


class Preemption(keras.callbacks.Callback):
    """SIGTERM during ``fit`` → a checkpoint at the current step and a clean stop (``received``, ``step``).

    ``with preemption.handling(): model.fit(...)`` installs a handler for ``signals`` that only
    records the signal; at the next batch end this callback saves through ``checkpoint`` (an
    ``EpochCheckpoint``) and stops training, so no step taken is lost and the checkpoint is never
    written from inside a signal handler (which may run between any two bytecodes of a save). The
    previous handlers come back when the block ends. A signal that arrives after the last batch is
    still recorded; the caller saves then (``checkpoint.save()``).

    Under ``MultiWorkerMirroredStrategy`` (``strategy``) a signal reaches one worker, or every
    worker at a different moment, while every worker must stop at the same step: one stopping
    alone would leave the others waiting in a collective. There the workers' "received" flags are
    summed in one all-reduce (``poll``) at every step that is a multiple of ``poll_every``
    (default 10 there, 1 on one process), so all of them see the signal at the same batch end,
    checkpoint that step and stop, at most ``poll_every − 1`` steps after the signal. One poll
    costs about 2 ms on localhost, 9 % of a digits step when made every step
    (``benchmarks/faults.py --preemption-cost``).

    A handler of our own rather than ``tf.distribute.experimental.PreemptionCheckpointHandler``:
    that one numbers checkpoints by its own run counter and exits the process itself, while here the
    checkpoint is the workdir's ``ckpt-<step>`` and the binary decides how to exit. Handlers can only
    be installed from the main thread; elsewhere ``handling`` installs none.
    """

    def __init__(self, checkpoint, signals=(signal.SIGTERM,), strategy=None, poll_every=None):
        super().__init__()
        self.checkpoint, self.signals = checkpoint, tuple(signals)
        self.received = None  # the name of the signal this process received, e.g. "SIGTERM"
        self.stopped = False  # whether training stopped on a signal (of any worker)
        self.step = None  # the step checkpointed on it
        self._sum = None
        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        self.poll_every = int(poll_every or (10 if multi_worker else 1))
        if multi_worker:
            self._sum = tf.function(lambda flag: strategy.reduce(
                tf.distribute.ReduceOp.SUM, strategy.run(lambda f: tf.identity(f), args=(flag,)), axis=None))

    @contextlib.contextmanager
    def handling(self):
        """Installs the signal handler while the block runs."""
        if not self.signals or threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self._record) for s in self.signals}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _record(self, signum, frame):
        self.received = signal.Signals(signum).name

    def poll(self):
        """Whether a signal was received: by this process, or under a multi-worker strategy by any worker.

        Under a multi-worker strategy this is a collective: every worker calls it at the same point.
        """
        if self._sum is None:
            seen = self.received is not None
        else:
            seen = float(self._sum(tf.constant(0.0 if self.received is None else 1.0))) > 0
        if seen and not self.received:
            self.received = "a signal to another worker"
        self.stopped = self.stopped or seen
        return seen

    def on_train_batch_end(self, batch, logs=None):
        if self.poll_every > 1 and int(self.model.step.numpy()) % self.poll_every:
            return  # every worker skips the same steps
        if self.step is None and self.poll():
            self.step = self.checkpoint.save()
            self.model.stop_training = True


class EpochScalars(keras.callbacks.Callback):
    """Writes the epoch's logs as TensorBoard scalars at the model's step."""

    def __init__(self, writer):
        super().__init__()
        self.writer = writer

    def on_epoch_end(self, epoch, logs=None):
        with self.writer.as_default(step=int(self.model.step.numpy())):
            for name, value in (logs or {}).items():
                tf.summary.scalar(name, float(np.ravel(value)[0]))
        self.writer.flush()


class SampleGrid(keras.callbacks.Callback):
    """Writes a picture of 64 model samples to TensorBoard every ``every`` epochs (over ``reference`` points for 2-D data).

    ``model.preview``: decoded prior draws (LSOT: its map's) while the latent sampler waits to be fitted after training.
    """

    def __init__(self, writer, every, reference=None):
        super().__init__()
        self.writer, self.every, self.reference = writer, every, reference

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        picture = visualize.picture(self.model.preview(64, 0).numpy(), self.reference)  # its sampler is fitted later
        with self.writer.as_default(step=int(self.model.step.numpy())):
            tf.summary.image("samples", picture[None].astype(np.float32) / 255.0)
        self.writer.flush()
