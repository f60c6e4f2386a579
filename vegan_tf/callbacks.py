"""The training binary's callbacks, one job each: refuse non-finite losses, checkpoint, log scalars and samples."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from vegan_tf import visualize


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or infinite and says where (``failure``)."""

    def __init__(self):
        super().__init__()
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.all(np.isfinite(loss)):
            self.failure = f"the loss became {float(np.ravel(loss)[0])} at step {int(self.model.step.numpy())}"
            self.model.stop_training = True


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves a ``tf.train.CheckpointManager`` checkpoint numbered by the step at every epoch end.

    Never after ``guard`` has seen a non-finite loss: a diverged model is not checkpointed.
    """

    def __init__(self, manager, guard):
        super().__init__()
        self.manager, self.guard = manager, guard

    def on_epoch_end(self, epoch, logs=None):
        if not self.guard.failure:
            self.manager.save(checkpoint_number=int(self.model.step.numpy()))


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
    """Writes a picture of 64 model samples to TensorBoard every ``every`` epochs (over ``reference`` points for 2-D data)."""

    def __init__(self, writer, every, reference=None):
        super().__init__()
        self.writer, self.every, self.reference = writer, every, reference

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        picture = visualize.picture(self.model.sample(64, 0).numpy(), self.reference)
        with self.writer.as_default(step=int(self.model.step.numpy())):
            tf.summary.image("samples", picture[None].astype(np.float32) / 255.0)
        self.writer.flush()
