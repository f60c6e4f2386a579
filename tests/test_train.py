"""The training binary: outputs, exact resume, failures that keep what was good, config errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from vegan_tf import models, train
from zoo import digits_batches, tiny_config, tiny_model, weights


def wae_config(num_steps=4, steps_per_epoch=2):
    config = tiny_config("wae_mmd")
    config.model.pretrain_steps = 5
    config.train.num_steps = num_steps
    config.train.steps_per_epoch = steps_per_epoch
    config.train.eval_samples = 40
    config.train.steps_per_execution = 1  # StopAt interrupts at one step: callbacks must see every step
    return config


class StopAt:
    """Raises (as a preemption would) once the model has taken `step` steps."""

    def __new__(cls, step):
        import keras

        class _Stop(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if int(self.model.step.numpy()) == step:
                    raise KeyboardInterrupt(f"interrupted at step {step}")

        return _Stop()


def test_run_writes_every_output(tmp_path):
    metrics = train.train_and_evaluate(wae_config(), str(tmp_path))
    for name in ("config.json", "samples.png", "reconstructions.png", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "export" / "4" / "saved_model.pb").is_file()
    assert os.path.exists(str(tmp_path / "checkpoints" / "ckpt-4.index"))
    assert os.listdir(tmp_path / "logs")
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["step"] == metrics["step"] == 4
    assert saved["num_eval"] == 40
    assert saved["feature_net"] == "digits" and saved["fd"] > 0 and 0 <= saved["precision"] <= 1
    assert 0 < saved["relative_sharpness"] < 10
    assert saved["test_reconstruction_l2sq"] > 0


def test_interrupted_run_resumes_at_its_checkpoint_and_ends_as_uninterrupted(tmp_path):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    train.train_and_evaluate(wae_config(8), str(straight))
    with pytest.raises(KeyboardInterrupt):
        train.train_and_evaluate(wae_config(8), str(resumed), callbacks=[StopAt(5)])
    assert weights(resumed)[1] == 4  # the last epoch-end checkpoint before the interruption
    metrics = train.train_and_evaluate(wae_config(8), str(resumed))
    assert metrics["step"] == 8
    (w_straight, _), (w_resumed, _) = weights(straight), weights(resumed)
    for a, b in zip(w_straight, w_resumed):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_nan_loss_stops_and_keeps_the_good_checkpoint_and_export(tmp_path):
    train.train_and_evaluate(wae_config(4), str(tmp_path))
    metrics_before = (tmp_path / "metrics.json").read_text()
    config = wae_config(8)
    config.model.lam = float("nan")
    with pytest.raises(train.NonFiniteLossError, match=r"(?s)nan at step 5.*ckpt-4.*learning rate"):
        train.train_and_evaluate(config, str(tmp_path), overwrite_config=True)  # lam differs from the workdir's
    assert weights(tmp_path)[1] == 4
    assert all(np.all(np.isfinite(w)) for w in weights(tmp_path)[0])
    assert sorted(os.listdir(tmp_path / "export")) == ["4"]
    assert (tmp_path / "metrics.json").read_text() == metrics_before


def test_several_steps_per_call_train_as_one_step_per_call(tmp_path):
    """The default ``steps_per_execution`` (10, lowered to 5 by epochs of 5) trains what one step per call
    trains, ends at ``num_steps``, and still catches a NaN, at the end of its call."""
    one, fast = tmp_path / "one", tmp_path / "fast"
    train.train_and_evaluate(wae_config(10, 5), str(one))
    config = wae_config(10, 5)
    config.train.steps_per_execution = 0  # automatic
    assert train.train_and_evaluate(config, str(fast))["step"] == 10
    for a, b in zip(weights(one)[0], weights(fast)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    config.model.lam, config.train.num_steps = float("nan"), 20
    with pytest.raises(train.NonFiniteLossError, match=r"nan in steps 11–15 \(checked every 5 steps\).*ckpt-10"):
        train.train_and_evaluate(config, str(fast), overwrite_config=True)


def test_fit_lowers_steps_per_execution_to_a_divisor_of_the_epoch():
    model = tiny_model("wae_mmd")
    assert model.steps_per_execution == models.base.DEFAULT_STEPS_PER_EXECUTION
    model.fit(digits_batches().repeat(), epochs=1, steps_per_epoch=6, verbose=0)
    assert int(model.step.numpy()) == 6 and model.steps_per_execution == 2
    with pytest.raises(ValueError, match="steps_per_execution=0"):
        model.compile(steps_per_execution=0)


def test_corrupt_checkpoint_is_a_clear_error_and_is_left_alone(tmp_path):
    train.train_and_evaluate(wae_config(2), str(tmp_path))
    data_file = next((tmp_path / "checkpoints").glob("ckpt-2.data-*"))
    data_file.write_bytes(b"not a checkpoint")
    with pytest.raises(train.CheckpointError, match=r"(?s)Cannot restore the checkpoint .*ckpt-2.*new --workdir"):
        train.train_and_evaluate(wae_config(4), str(tmp_path))
    assert data_file.read_bytes() == b"not a checkpoint"


def test_mirrored_strategy_run(tmp_path):
    config = wae_config(2)
    config.train.strategy = "mirrored"
    metrics = train.train_and_evaluate(config, str(tmp_path))
    assert metrics["step"] == 2
    assert np.isfinite(metrics["latent_mmd"])


def test_bad_settings_are_clear_errors(tmp_path):
    config = wae_config(5, 2)
    with pytest.raises(ValueError, match="multiple of train.steps_per_epoch"):
        train.train_and_evaluate(config, str(tmp_path))
    config = wae_config()
    config.optimizers.critic_optimizer = config.optimizers.optimizer
    with pytest.raises(ValueError, match="one optimizer config per player"):
        train.train_and_evaluate(config, str(tmp_path))
    config = wae_config()
    config.data.name = "mnist_typo"
    with pytest.raises(ValueError, match="Unknown dataset"):
        train.train_and_evaluate(config, str(tmp_path))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vegan_tf.train", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_cli_trains_with_overrides(tmp_path):
    result = run_cli("--config=configs/wae_mmd_digits.py", f"--workdir={tmp_path}", "--config.train.num_steps=4",
                     "--config.train.steps_per_epoch=2", "--config.model.hidden=(16,)",
                     "--config.model.pretrain_steps=2", "--config.train.eval_samples=20")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "samples.png" in result.stdout
    assert json.loads((tmp_path / "metrics.json").read_text())["step"] == 4
    assert json.loads((tmp_path / "config.json").read_text())["model"]["hidden"] == [16]


def test_cli_unknown_config_key_suggests_the_right_one(tmp_path):
    result = run_cli("--config=configs/wae_mmd_digits.py", f"--workdir={tmp_path}", "--config.model.lamda=3")
    assert result.returncode != 0
    assert "lamda" in result.stderr and "lam" in result.stderr.replace("lamda", "")
    assert not (tmp_path / "checkpoints").exists()


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_multi_worker_cluster_of_two_processes_on_localhost(tmp_path):
    cluster = {"worker": [f"localhost:{free_port()}", f"localhost:{free_port()}"]}
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "vegan_tf.train", "--config=configs/wae_mmd_digits.py", f"--workdir={tmp_path}",
             "--config.train.strategy=multi_worker", "--config.train.num_steps=4", "--config.train.steps_per_epoch=2",
             "--config.model.hidden=(16,)", "--config.model.pretrain_steps=2", "--config.train.eval_samples=20",
             "--config.train.verbose=2"],
            cwd=REPO, env={**os.environ, "TF_CONFIG": tf_config, "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [w.communicate(timeout=400)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    last_losses = [[line for line in out.splitlines() if "loss:" in line][-1].split("loss:")[1] for out in outputs]
    assert last_losses[0] == last_losses[1]  # one synchronous model
    assert json.loads((tmp_path / "metrics.json").read_text())["step"] == 4  # written by the chief only
    assert (tmp_path / "export" / "4" / "saved_model.pb").is_file()


def test_the_binary_trains_on_a_tfds_set_not_in_the_named_list(tmp_path, capsys):
    """Any TFDS image set by name (here svhn_cropped, 32x32x3), through tfds.testing.mock_data."""
    tfds = pytest.importorskip("tensorflow_datasets")

    config = tiny_config("wae_mmd")
    config.data.name = "svhn_cropped"
    config.train.eval_samples = 16
    with tfds.testing.mock_data(num_examples=48):
        metrics = train.train_and_evaluate(config, str(tmp_path))
    assert metrics["step"] == 4 and np.isfinite(metrics["test_reconstruction_l2sq"])
    assert "fd" not in metrics  # no shipped feature network for SVHN: the run says so, and how to pass one
    assert "No feature network for 'svhn_cropped'" in capsys.readouterr().out
    assert os.path.isdir(tmp_path / "export" / "4")


def test_data_download_prepares_a_tfds_set_only_when_asked_and_names_a_failure(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    from vegan_tf import data, workdir

    config = tiny_config("wae_mmd")
    config.data.name = "svhn_cropped"
    prepared = []
    with tfds.testing.mock_data(num_examples=48):
        monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                            lambda self, *args, **kwargs: prepared.append(self.name))
        workdir.check_data(config)
        assert prepared == []  # never downloaded unless asked
        config.data.download = True
        workdir.check_data(config)
        assert prepared == ["svhn_cropped"]

        def offline(self, *args, **kwargs):
            raise OSError("Temporary failure in name resolution")

        monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", offline)
        with pytest.raises(data.DatasetNotFoundError, match=r"could not download and prepare 'svhn_cropped'.*"
                                                             r"name resolution. Check the network"):
            workdir.check_data(config)
    old = json.loads(config.to_json_best_effort())
    del old["data"]["download"]  # a config.json written before the key: resuming with it is no change
    assert workdir.config_changes(old, config) == []


@pytest.mark.parametrize("name", ["sinkhorn_learnt", "pot_sinkhorn"])
def test_the_runs_whose_settings_share_names_train(tmp_path, name):
    """The Sinkhorn generator's own epsilon and POT-Sinkhorn's divergence epsilon (config.model.sinkhorn.epsilon) both
    reach their model through the binary's library, config.json records them where they were set."""
    config = tiny_config(name)
    config.train.export = False
    metrics = train.train_and_evaluate(config, str(tmp_path))
    assert metrics["step"] == 4
    saved = json.loads((tmp_path / "config.json").read_text())["model"]
    assert ("epsilon" in saved) == (name == "sinkhorn_learnt") and ("sinkhorn" in saved) == (name == "pot_sinkhorn")
