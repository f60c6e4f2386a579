"""The training binary under faults: failed validation, lost checkpoint state, changed epochs, SIGTERM, two writers.

The fast tests train the digits WAE-MMD with tiny networks for a few steps, in this process.
The ones marked ``slow`` run the binary in subprocesses (``benchmarks/faults.py`` runs them;
``pytest -m slow tests/test_faults.py`` too).
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from conftest import REPO
from vegan_tf import data, evaluate, export, train, workdir
from zoo import tiny_config, weights


def tiny(num_steps=8, steps_per_epoch=2):
    """The digits WAE-MMD at test size, without its slow parts (encoder pre-training, export)."""
    config = tiny_config("wae_mmd")
    config.model.pretrain_encoder = False
    config.model.hidden = (16,)
    config.train.num_steps, config.train.steps_per_epoch = num_steps, steps_per_epoch
    config.train.export = False
    config.train.eval_samples = 32
    config.train.steps_per_execution = 1  # callbacks that crash or signal at one step must see every step
    return config


def assert_same_weights(a, b):
    (wa, sa), (wb, sb) = weights(a), weights(b)
    assert sa == sb
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


class StepCounter(keras.callbacks.Callback):
    """Counts the training steps taken in this run and raises KeyboardInterrupt at ``stop_at`` (a crash)."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.steps, self.stop_at = 0, stop_at

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.stop_at is not None and int(self.model.step.numpy()) == self.stop_at:
            raise KeyboardInterrupt(f"crashed at step {self.stop_at}")


def snapshot(path):
    """Every file under ``path`` with its bytes."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = f.read()
    return out


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """A workdir trained for 8 steps without interruption."""
    path = tmp_path_factory.mktemp("straight")
    train.train_and_evaluate(tiny(8), str(path))
    return path


@pytest.fixture(scope="module")
def finished_once(tmp_path_factory):
    path = tmp_path_factory.mktemp("finished")
    train.train_and_evaluate(tiny(4), str(path))
    return path


@pytest.fixture
def finished(finished_once, tmp_path):
    """A copy of a finished 4-step workdir."""
    path = tmp_path / "run"
    shutil.copytree(finished_once, path)
    return path


# ------------------------------------------------------------------ validate, then write
def _unknown_model(config):
    config.model.name = "wae_mmdd"


def _missing_data(config):
    config.data.name = "/nonexistent/mnist.npz"


def _no_steps(config):
    config.train.num_steps = 0


def _another_config(config):
    config.model.lam = 3.0


def _step_past_num_steps(config):
    config.train.num_steps = 2


def _checkpoint_of_another_model(config):
    config.model.hidden = (24,)


@pytest.mark.parametrize("change, error, message, overwrite", [
    (_unknown_model, ValueError, "Unknown model 'wae_mmdd'", False),
    (_missing_data, data.DatasetNotFoundError, "No .npz file", False),
    (_no_steps, ValueError, "num_steps is 0; it must be an int >= 1", False),
    (_another_config, workdir.ConfigMismatchError, r"(?s)model.lam: 10.0 -> 3.0.*--overwrite_config", False),
    (_step_past_num_steps, ValueError, "at step 4, past train.num_steps=2", False),
    (_checkpoint_of_another_model, train.CheckpointError, "Cannot restore the checkpoint", True),
])
def test_a_run_that_fails_validation_leaves_a_finished_workdir_as_it_was(finished, change, error, message, overwrite):
    before = snapshot(finished)
    config = tiny(8)
    change(config)
    with pytest.raises(error, match=message):
        train.train_and_evaluate(config, str(finished), overwrite_config=overwrite)
    assert snapshot(finished) == before
    model, data_name, _ = evaluate.load_target(str(finished))  # what vegan-evaluate does first
    assert str(data_name) == "digits" and int(model.step.numpy()) == 4


def test_another_config_replaces_the_workdirs_with_overwrite_config(finished):
    config = tiny(6)
    config.model.lam = 3.0
    assert train.train_and_evaluate(config, str(finished), overwrite_config=True)["step"] == 6
    assert json.loads((finished / "config.json").read_text())["model"]["lam"] == 3.0


def _npz(path, train_shape, test_shape):
    np.savez(path, x_train=np.zeros(train_shape, np.uint8), x_test=np.zeros(test_shape, np.uint8))
    return str(path)


@pytest.mark.parametrize("settings, message", [
    ({"train.num_steps": -4}, "num_steps is -4"),
    ({"train.steps_per_epoch": 0}, "steps_per_epoch is 0"),
    ({"data.batch_size": 0}, "batch_size is 0"),
    ({"train.keep_checkpoints": 0}, "keep_checkpoints is 0"),
    ({"train.sample_every_epochs": 0}, "sample_every_epochs is 0"),
    ({"train.eval_samples": 0}, "eval_samples is 0"),
    ({"data.name": "empty_train"}, "holds 0 examples, fewer than one batch"),
    ({"data.name": "other_test_shape"}, r"test split .* shape \(6, 6, 1\), the train split \(8, 8, 1\)"),
    ({"data.name": "empty_test"}, "test split .* is empty"),
])
def test_a_run_that_cannot_train_fails_upfront_and_writes_nothing(tmp_path, settings, message):
    files = {"empty_train": _npz(tmp_path / "a.npz", (0, 8, 8), (5, 8, 8)),
             "other_test_shape": _npz(tmp_path / "b.npz", (40, 8, 8), (5, 6, 6)),
             "empty_test": _npz(tmp_path / "c.npz", (40, 8, 8), (0, 8, 8))}
    config = tiny(4)
    for key, value in settings.items():
        section, name = key.split(".")
        config[section][name] = files.get(value, value)
    with pytest.raises(ValueError, match=message):
        train.train_and_evaluate(config, str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ never restart silently
@pytest.mark.parametrize("state", ["garbage", "missing"])
def test_unreadable_checkpoint_state_resumes_from_the_newest_checkpoint(straight, tmp_path, state):
    train.train_and_evaluate(tiny(4), str(tmp_path))
    state_file = tmp_path / "checkpoints" / "checkpoint"
    if state == "garbage":
        state_file.write_bytes(b"\x00\xffnot a checkpoint state {{")
    else:
        state_file.unlink()
    counter = StepCounter()
    metrics = train.train_and_evaluate(tiny(8), str(tmp_path), callbacks=[counter])
    assert counter.steps == 4 and metrics["step"] == 8  # resumed at 4, not started again from 0
    assert_same_weights(straight, tmp_path)


# ------------------------------------------------------------------ steps_per_epoch changed on resume
def test_a_resume_with_another_steps_per_epoch_ends_at_num_steps(straight, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train.train_and_evaluate(tiny(8, 2), str(tmp_path), callbacks=[StepCounter(stop_at=3)])
    assert weights(tmp_path)[1] == 2
    counter = StepCounter()
    metrics = train.train_and_evaluate(tiny(8, 4), str(tmp_path), callbacks=[counter])
    assert metrics["step"] == 8 and counter.steps == 6
    assert_same_weights(straight, tmp_path)


def test_unreadable_state_skips_a_corrupt_newest_checkpoint_or_refuses_if_none_restores(tmp_path):
    train.train_and_evaluate(tiny(4), str(tmp_path))
    ckpts = tmp_path / "checkpoints"
    (ckpts / "checkpoint").write_text("garbage")
    next(ckpts.glob("ckpt-4.data-*")).write_bytes(b"truncated")
    model = workdir.build_model(tiny(4))
    with pytest.warns(RuntimeWarning, match=r"(?s)unreadable.*resuming from .*ckpt-2.*skipped ckpt-4"):
        assert workdir.restore(workdir.make_checkpoint(model), str(ckpts)) == 2
    next(ckpts.glob("ckpt-2.data-*")).write_bytes(b"truncated")
    before = snapshot(tmp_path)
    refusal = r"(?s)none of the checkpoints.*ckpt-4.*ckpt-2.*Nothing was changed"
    with pytest.raises(train.CheckpointError, match=refusal):
        train.train_and_evaluate(tiny(8), str(tmp_path))
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------ preemption
class SendSignal(keras.callbacks.Callback):
    """Sends this process ``signum`` at the end of step ``step``, as a scheduler preempting the job would."""

    def __init__(self, step, signum=signal.SIGTERM):
        super().__init__()
        self.step, self.signum = step, signum

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.step.numpy()) == self.step:
            os.kill(os.getpid(), self.signum)


def test_sigterm_checkpoints_the_step_reached_and_the_restart_ends_as_uninterrupted(straight, tmp_path):
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(train.Preempted, match=r"SIGTERM and stopped at step 3.*ckpt-3.*no step is lost") as stop:
        train.train_and_evaluate(tiny(8, 2), str(tmp_path), callbacks=[SendSignal(3)])
    assert stop.value.step == 3 and weights(tmp_path)[1] == 3
    assert signal.getsignal(signal.SIGTERM) == handler
    assert not (tmp_path / workdir.LOCK_FILE).exists() and not (tmp_path / "metrics.json").exists()
    counter = StepCounter()
    assert train.train_and_evaluate(tiny(8, 2), str(tmp_path), callbacks=[counter])["step"] == 8
    assert counter.steps == 5
    assert_same_weights(straight, tmp_path)


# ------------------------------------------------------------------ an export that does not load is never kept
def exporting(num_steps=4):
    config = tiny(num_steps)
    config.train.export = True
    return config


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A workdir trained for 4 steps and exported."""
    path = tmp_path_factory.mktemp("exported")
    train.train_and_evaluate(exporting(4), str(path))
    return path


class OutputAtTrainBegin(keras.callbacks.Callback):
    """What the run printed, and the export versions there, when training began."""

    def __init__(self, capsys, export_dir):
        super().__init__()
        self.capsys, self.export_dir = capsys, export_dir
        self.out = self.versions = None

    def on_train_begin(self, logs=None):
        self.out, self.versions = self.capsys.readouterr().out, sorted(os.listdir(self.export_dir))


@pytest.mark.parametrize("damage, missing", [
    ("empty", "saved_model.pb, variables/variables.index, variables/variables.data-00000-of-00001, "
              "assets.extra/tf_serving_warmup_requests are missing"),
    ("without_variables", "variables/variables.index, variables/variables.data-00000-of-00001 are missing"),
])
def test_a_damaged_export_is_found_before_training_moved_aside_and_made_again(exported, tmp_path, capsys, damage,
                                                                              missing):
    version = tmp_path / "export" / "4"
    if damage == "empty":
        version.mkdir(parents=True)
    else:  # an interrupted copy of a whole export
        shutil.copytree(exported / "export" / "4", version)
        shutil.rmtree(version / "variables")
    before = snapshot(version)
    seen = OutputAtTrainBegin(capsys, tmp_path / "export")
    metrics = train.train_and_evaluate(exporting(4), str(tmp_path), callbacks=[seen])
    assert f"Export {version} does not load: {missing}. It is moved aside and exported afresh after training." \
        in seen.out
    assert seen.versions == ["4"]  # the check wrote nothing
    out = capsys.readouterr().out
    assert f"Export {version} does not load: {missing}. Moved it aside to {version}.damaged-" in out
    assert "kept it" not in seen.out + out
    kept, damaged = sorted(os.listdir(tmp_path / "export"))
    assert kept == "4" and damaged.startswith("4.damaged-") and damaged[len("4.damaged-"):].isdigit()
    assert snapshot(tmp_path / "export" / damaged) == before
    assert metrics["files"]["export"] == str(version)
    export.check_export(version)  # the fresh export loads


def test_an_export_that_loads_is_kept(exported, tmp_path, capsys):
    shutil.copytree(exported, tmp_path / "run")
    version = tmp_path / "run" / "export" / "4"
    before = snapshot(version)
    assert train.train_and_evaluate(exporting(4), str(tmp_path / "run"))["step"] == 4
    assert f"Export {version} of this step and latent sampler exists already and loads; kept it." in capsys.readouterr().out
    assert os.listdir(version.parent) == ["4"] and snapshot(version) == before


# ------------------------------------------------------------------ one writer per workdir
def write_lock(directory, pid, host=None, started=None):
    directory.mkdir(parents=True, exist_ok=True)
    started = time.time() if started is None else started
    (directory / workdir.LOCK_FILE).write_text(json.dumps({
        "pid": pid, "host": host or socket.gethostname(), "started": "2026-01-01T00:00:00+00:00",
        "started_unix": started, "command": "vegan-train --workdir=x"}))


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_lock_of_a_live_process_or_of_another_host_is_refused(tmp_path):
    write_lock(tmp_path, os.getppid(), started=time.time())
    with pytest.raises(workdir.WorkdirLockedError, match=rf"(?s)PID {os.getppid()} on host {socket.gethostname()}"):
        train.train_and_evaluate(tiny(2), str(tmp_path))
    write_lock(tmp_path, dead_pid(), host="elsewhere")
    with pytest.raises(workdir.WorkdirLockedError, match=r"(?s)on host elsewhere.*delete .*train.lock"):
        train.train_and_evaluate(tiny(2), str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == [workdir.LOCK_FILE]


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path):
    pid = dead_pid()
    write_lock(tmp_path, pid)
    with pytest.warns(RuntimeWarning, match=rf"stale lock .*PID {pid} on this host"):
        assert train.train_and_evaluate(tiny(2), str(tmp_path))["step"] == 2
    assert not (tmp_path / workdir.LOCK_FILE).exists()


def run_binary(workdir_path, *overrides, popen=False):
    args = [sys.executable, "-m", "vegan_tf.train", "--config=configs/wae_mmd_digits.py", f"--workdir={workdir_path}",
            "--config.model.hidden=(16,)", "--config.data.batch_size=16", "--config.train.export=False",
            "--config.train.eval_samples=32", "--config.train.verbose=0", *overrides]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if popen:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


class SecondWriter(keras.callbacks.Callback):
    """Starts the binary on the same workdir once, while this process trains there."""

    def __init__(self, path):
        super().__init__()
        self.path, self.result = path, None

    def on_train_batch_end(self, batch, logs=None):
        if self.result is None:
            self.result = run_binary(self.path)


def test_a_second_training_process_on_the_workdir_fails_fast_naming_the_first(tmp_path):
    second = SecondWriter(tmp_path)
    train.train_and_evaluate(tiny(2), str(tmp_path), callbacks=[second])
    assert second.result.returncode == 1, second.result.stderr[-2000:]
    message = second.result.stderr
    assert f"is being trained by another process: PID {os.getpid()} on host {socket.gethostname()}" in message
    assert "Traceback" not in message
    assert json.loads((tmp_path / "metrics.json").read_text())["step"] == 2  # the first run was not disturbed


# ------------------------------------------------------------------ the binary (slow)
@pytest.mark.slow
def test_sigterm_to_the_binary_at_a_random_step_loses_no_step(tmp_path):
    steps = ("--config.train.num_steps=3000", "--config.train.steps_per_epoch=1000",
             "--config.train.deterministic=True")
    straight_run = run_binary(tmp_path / "straight", *steps)
    assert straight_run.returncode == 0, straight_run.stderr[-2000:]
    path = tmp_path / "preempted"
    job = run_binary(path, *steps, popen=True)
    while not (path / "checkpoints" / "ckpt-1000.index").exists():
        assert job.poll() is None, job.communicate()[1][-2000:]
        time.sleep(0.01)
    time.sleep(random.uniform(0.0, 1.0))
    job.send_signal(signal.SIGTERM)
    _, err = job.communicate(timeout=300)
    assert job.returncode == train.PREEMPTED_EXIT_CODE, err[-2000:]
    step = int(err.split("stopped at step ")[1].split(",")[0])
    assert 1000 <= step < 3000 and (path / "checkpoints" / f"ckpt-{step}.index").exists()
    print(f"SIGTERM at step {step} of 3000 (epochs of 1000)")
    resumed = run_binary(path, *steps)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"ckpt-{step} at step {step}." in resumed.stdout  # resumed at the step the signal stopped
    assert_same_weights(tmp_path / "straight", path)


@pytest.mark.slow
def test_two_binaries_started_together_on_a_new_workdir_one_trains(tmp_path):
    jobs = [run_binary(tmp_path, "--config.train.num_steps=2000", "--config.train.steps_per_epoch=1000", popen=True)
            for _ in range(2)]
    errors = [job.communicate(timeout=300)[1] for job in jobs]
    assert sorted(job.returncode for job in jobs) == [0, 1], [err[-1000:] for err in errors]
    winner = 0 if jobs[0].returncode == 0 else 1
    assert f"PID {jobs[winner].pid} on host" in errors[1 - winner]
    assert json.loads((tmp_path / "metrics.json").read_text())["step"] == 2000


def test_a_config_the_run_cannot_take_stops_the_binary_with_its_message_alone(tmp_path):
    """A failed check before training is a one-line error naming the key and the fix, not a traceback."""
    done = run_binary(tmp_path / "run", "--config.train.num_steps=7", "--config.train.steps_per_epoch=5")
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == (
        "vegan-train: train.num_steps (7) must be a multiple of train.steps_per_epoch (5): checkpoints are written "
        "at epoch ends.")
    assert "Traceback" not in done.stderr and not (tmp_path / "run").exists()
    done = run_binary(tmp_path / "run", "--config.model.kernel=cosine")  # refused when the model is built
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("vegan-train: Unknown MMD kernel 'cosine'")
    assert "vegan-train: The divergence settings of vegan_tf 0.2 moved" in done.stderr  # 0.2's flat name, shown
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())
    done = run_binary(tmp_path / "run", "--config.sampler.kind=bogus")  # refused by the module the check calls
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1].startswith("vegan-train: Unknown latent sampler 'bogus'")
