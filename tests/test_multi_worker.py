"""More than one machine: two MultiWorkerMirroredStrategy workers on localhost, each its own process.

Every row of the zoo takes the one-device steps; a killed worker's job resumes from the chief's
checkpoint; SIGTERM to one worker checkpoints every worker at one step; synchronized batch norm.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import REPO
from test_zoo import NAMES
from vegan_tf import train, workdir
from zoo import digits_batches, tiny_config, tiny_model


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start_cluster(argv, num_workers=2, log_dir=None):
    """``argv`` run as the workers of one cluster on localhost (``TF_CONFIG`` each); worker 0 is the chief.

    ``argv`` may also be a list of one command line per worker.
    """
    argvs = argv if isinstance(argv[0], list) else [argv] * num_workers
    cluster = {"worker": [f"localhost:{free_port()}" for _ in range(len(argvs))]}
    workers = []
    for index, argv in enumerate(argvs):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        log = open(os.path.join(log_dir, f"worker-{index}.log"), "a") if log_dir else subprocess.PIPE
        workers.append(subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, "TF_CONFIG": tf_config, "TF_CPP_MIN_LOG_LEVEL": "2"}))
    return workers


def finish(workers, timeout=300):
    """The workers' exit statuses and outputs (every worker is killed if one does not end in time)."""
    try:
        outputs = [w.communicate(timeout=timeout)[0] or "" for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    return [w.returncode for w in workers], outputs


def npz_weights(path):
    with np.load(path) as f:
        return int(f["step"]), [f[f"w{i}"] for i in range(len(f.files) - 1)]


def test_every_recipe_takes_the_one_device_steps_on_two_workers(tmp_path):
    """One cluster of two worker processes trains every row; the same steps on one device give the same weights."""
    import multi_worker_zoo as worker

    singles = {}
    for name in NAMES:
        singles[name] = tiny_model(name)
        np.savez(tmp_path / f"{name}.initial.npz", **{f"w{i}": w for i, w in enumerate(singles[name].get_weights())})
    workers = start_cluster([sys.executable, os.path.join(REPO, "tests", "multi_worker_zoo.py"), str(tmp_path),
                             *NAMES])
    try:  # the one-device steps while the workers run
        for model in singles.values():
            model.fit(digits_batches(batch_size=worker.GLOBAL_BATCH, num_batches=worker.STEPS), epochs=1, verbose=0)
    finally:
        codes, outputs = finish(workers)
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    for name, single in singles.items():
        expected = single.get_weights()
        for task in (0, 1):
            step, weights = npz_weights(tmp_path / f"{name}.worker-{task}.npz")
            assert step == worker.STEPS, name
            assert len(weights) == len(expected), name
            for a, b in zip(weights, expected):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"{name}, worker {task}")


def train_argv(workdir, num_steps, steps_per_epoch):
    """The training binary on two workers: WAE-MMD on digits with a tiny network, no export."""
    return [sys.executable, "-m", "vegan_tf.train", "--config=configs/wae_mmd_digits.py", f"--workdir={workdir}",
            "--config.train.strategy=multi_worker", f"--config.train.num_steps={num_steps}",
            f"--config.train.steps_per_epoch={steps_per_epoch}", *(f"--config.{k}={v}" for k, v in OVERRIDES.items())]


OVERRIDES = {"model.hidden": "(16,)", "model.pretrain_steps": 2, "data.batch_size": 32, "train.eval_samples": 20,
             "train.export": False, "train.keep_checkpoints": 3, "train.verbose": 2}


def one_device_config(num_steps, steps_per_epoch):
    """The config of ``train_argv`` on one device, for ``train.train_and_evaluate`` in this process."""
    from vegan_tf import config as config_lib

    config = config_lib.from_file(REPO / "configs" / "wae_mmd_digits.py")
    config.model.hidden, config.model.pretrain_steps, config.data.batch_size = (16,), 2, 32
    config.train.update(num_steps=num_steps, steps_per_epoch=steps_per_epoch, eval_samples=20, export=False,
                        keep_checkpoints=3, verbose=0)
    return config


def latest_step(directory):
    path = workdir.latest_checkpoint(directory)
    return None if path is None else int(path.rsplit("-", 1)[1])


def wait_for_checkpoint(directory, workers, timeout=240):
    """Waits until ``directory`` holds a checkpoint; returns its step."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        step = latest_step(directory)
        if step:
            return step
        if any(w.poll() is not None for w in workers):
            raise AssertionError(f"a worker ended before the first checkpoint: {[w.returncode for w in workers]}")
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint in {directory} after {timeout} s")


def assert_final_state(path, num_steps, reference):
    """The workdir's final checkpoint is at ``num_steps`` (model and every optimizer) with ``reference``'s weights."""
    model, _ = workdir.load(str(path))
    assert int(model.step.numpy()) == num_steps
    assert {name: int(opt.iterations.numpy()) for name, opt in model.player_optimizers().items()} == {
        name: num_steps for name in model.player_optimizers()}
    assert json.loads((path / "metrics.json").read_text())["step"] == num_steps
    expected, _ = workdir.load(str(reference))
    for a, b in zip(model.get_weights(), expected.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_killed_worker_job_resumes_from_the_chiefs_checkpoint(tmp_path):
    """SIGKILL to the non-chief worker mid-run, then to the chief (a scheduler restarts the whole job):
    the restarted job resumes from the chief's checkpoint and ends at num_steps with the one-device weights."""
    run, logs = tmp_path / "run", tmp_path / "logs"
    logs.mkdir()
    workers = start_cluster(train_argv(run, 4000, 4), log_dir=str(logs))
    try:
        wait_for_checkpoint(run / "checkpoints", workers)
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait(timeout=60)
        workers[0].send_signal(signal.SIGKILL)
    finally:
        codes, _ = finish(workers, timeout=60)
    assert codes == [-signal.SIGKILL, -signal.SIGKILL]
    step = latest_step(run / "checkpoints")
    assert 0 < step < 4000
    num_steps = step + 8
    restarted = start_cluster(train_argv(run, num_steps, 4), log_dir=str(logs))
    try:  # the uninterrupted run on one device, while the cluster trains
        train.train_and_evaluate(one_device_config(num_steps, 4), str(tmp_path / "one_device"))
    finally:
        codes, _ = finish(restarted)
    assert codes == [0, 0], (logs / "worker-0.log").read_text()[-3000:] + (logs / "worker-1.log").read_text()[-3000:]
    assert f"Resuming from {run / 'checkpoints' / f'ckpt-{step}'} at step {step}." in (
        logs / "worker-1.log").read_text()  # the non-chief too: from the chief's checkpoint
    assert_final_state(run, num_steps, tmp_path / "one_device")


def test_workers_that_restore_different_steps_stop_before_writing(tmp_path):
    """A worker whose --workdir is not the chief's (no shared storage: here a stale copy without the newest
    checkpoint) restores another step: every worker stops with CheckpointError and the chief's workdir is
    left as it was."""
    run, stale = tmp_path / "run", tmp_path / "stale"
    codes, outputs = finish(start_cluster(train_argv(run, 8, 4)))
    assert codes == [0, 0], outputs[0][-3000:]
    shutil.copytree(run, stale)
    for path in (stale / "checkpoints").glob("ckpt-8.*"):
        path.unlink()
    (stale / "checkpoints" / "checkpoint").unlink()  # the copy's newest restorable checkpoint is ckpt-4
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    codes, outputs = finish(start_cluster([train_argv(run, 12, 4), train_argv(stale, 12, 4)]))
    assert codes[0] != 0 and codes[1] != 0
    for output in outputs:
        assert "The workers restored different steps" in output and "(8, 4 by replica)" in output, output[-3000:]
        assert "every worker must read the chief's workdir" in output
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


@pytest.mark.slow
def test_sigterm_to_one_worker_checkpoints_every_worker_at_one_step(tmp_path):
    """SIGTERM to the non-chief worker at a random step: every worker checkpoints that step and exits with
    PREEMPTED_EXIT_CODE; the restarted job ends at num_steps with the one-device weights, 0 steps lost."""
    import random

    run, logs = tmp_path / "run", tmp_path / "logs"
    logs.mkdir()
    workers = start_cluster(train_argv(run, 4000, 20), log_dir=str(logs))
    try:
        wait_for_checkpoint(run / "checkpoints", workers)
        time.sleep(random.uniform(0.0, 0.5))
        workers[1].send_signal(signal.SIGTERM)
    finally:
        codes, _ = finish(workers, timeout=120)
    assert codes == [train.PREEMPTED_EXIT_CODE] * 2, (logs / "worker-0.log").read_text()[-3000:]
    step = latest_step(run / "checkpoints")
    assert step == latest_step(run / ".worker-1" / "checkpoints")  # one step on every worker
    print(f"SIGTERM at step {step}")
    assert f"stopped at step {step}" in (logs / "worker-0.log").read_text()
    num_steps = (step // 20 + 1) * 20
    restarted = start_cluster(train_argv(run, num_steps, 20), log_dir=str(logs))
    try:
        train.train_and_evaluate(one_device_config(num_steps, 20), str(tmp_path / "one_device"))
    finally:
        codes, _ = finish(restarted)
    assert codes == [0, 0], (logs / "worker-0.log").read_text()[-3000:]
    assert_final_state(run, num_steps, tmp_path / "one_device")


def test_sync_batch_norm_is_a_config_key_and_gives_the_one_device_step(two_replicas):
    """``model.sync_batch_norm``: synchronized batch norm in the conv networks, kept by get_config; with it a
    step on two replicas is the one-device step (without it each replica normalises its own half-batch)."""
    import keras

    from vegan_tf import config as config_lib
    from zoo import assert_weights_close

    assert config_lib.base_config("wae_mmd").model.sync_batch_norm is False

    def conv_config(sync):
        config = tiny_config("wae_mmd")
        config.model.update(arch="conv", filters=(4, 8), decoder_filters=(8, 4), batch_norm=True,
                            sync_batch_norm=sync, pretrain_encoder=False)
        return config

    model = workdir.build_model(conv_config(True))
    clone = type(model).from_config(model.get_config())
    for net in (model.encoder, model.decoder, clone.encoder, clone.decoder):
        norms = [layer for layer in net._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
        assert norms and all(layer.synchronized for layer in norms) and net.get_config()["sync_batch_norm"]
    batch = digits_batches(batch_size=32, num_batches=1)
    steps = {}
    for sync in (True, False):
        single, mirrored = workdir.build_model(conv_config(sync)), workdir.build_model(conv_config(sync), two_replicas)
        mirrored.set_weights(single.get_weights())
        single.fit(batch, epochs=1, verbose=0)
        mirrored.fit(batch, epochs=1, verbose=0)
        steps[sync] = (single, mirrored)
    assert_weights_close(*steps[True], rtol=1e-4, atol=1e-5)
    with pytest.raises(AssertionError):
        assert_weights_close(*steps[False], rtol=1e-4, atol=1e-5)


def test_the_chief_fits_the_latent_sampler_of_a_multi_worker_run(tmp_path):
    """The chief fits the sampler to the codes after training (the other worker writes none): the one-device fit."""
    run, logs = tmp_path / "run", tmp_path / "logs"
    logs.mkdir()
    gmm = ["--config.sampler.kind=gmm", "--config.sampler.gmm.components=2", "--config.sampler.fit_examples=300"]
    workers = start_cluster(train_argv(run, 4, 2) + gmm, log_dir=str(logs))
    try:
        config = one_device_config(4, 2)
        config.sampler.kind, config.sampler.gmm.components, config.sampler.fit_examples = "gmm", 2, 300
        train.train_and_evaluate(config, str(tmp_path / "one_device"))
    finally:
        codes, _ = finish(workers)
    assert codes == [0, 0], (logs / "worker-0.log").read_text()[-3000:] + (logs / "worker-1.log").read_text()[-3000:]
    assert json.loads((run / "metrics.json").read_text())["sampler"]["num_codes"] == 300
    assert not list(run.glob(".worker-*/samplers"))
    cluster, _ = workdir.load(str(run))
    single, _ = workdir.load(str(tmp_path / "one_device"))
    assert cluster.sampler.fitted
    for a, b in zip(cluster.sampler.get_weights(), single.sampler.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
