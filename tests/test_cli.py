"""The binaries as a new user meets them: --help, --list_configs, and a start-up without TensorFlow's C++ log."""

import ast
import os
import pathlib
import subprocess
import sys

import vegan_tf
from conftest import REPO
from vegan_tf import _startup, cli, models

BIN = pathlib.Path(sys.executable).parent
CONFIGS = sorted((REPO / "configs").glob("*.py"))


def run(*command, cwd=REPO):
    """Runs a command as a user's shell would (no TF_CPP_MIN_LOG_LEVEL); returns (returncode, stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def cpp_log(output):
    """TensorFlow's C++ log lines in ``output``, without their time stamps and thread ids."""
    return [line.split("] ", 1)[1] if "] " in line else line for line in output.splitlines()
            if _startup.CPP_LOG_LINE.match(line) or line.startswith(_startup.ABSL_BANNER)]


def test_train_help_lists_every_config_model_and_the_common_overrides(tmp_path):
    code, out = run(BIN / "vegan-train", "--help", cwd=tmp_path)  # the console script, outside the checkout
    assert "USAGE: " not in out and "one config file, one workdir, resumable" in out, out[:500]
    for path in CONFIGS:
        first = cli.summary(ast.get_docstring(ast.parse(path.read_text())))
        assert f"  {path.name}  " in out and " ".join(first.split()[:6]) in " ".join(out.split()), path.name
    for name, cls in models.MODELS.items():
        assert f"  {name}  " in out and f"{cls.__name__}: " in out, name
    for override in ("--config.train.num_steps=", "--config.data.name=/path/to/mnist.npz", "--config.model.lam=",
                     "--config.train.strategy=mirrored"):
        assert override in out, override
    for flag in ("--config:", "--workdir:", "--[no]list_configs:", "--[no]verbose_tf:"):
        assert flag in out, flag
    assert cpp_log(out) == []


def test_list_configs_needs_no_other_flag():
    code, out = run(sys.executable, "-m", "vegan_tf.train", "--list_configs")
    assert code == 0, out[-2000:]
    lines = out.splitlines()
    assert lines[0].startswith(f"Configs ({len(CONFIGS)} in configs{os.sep}")
    listed = [line.split()[0] for line in lines[1:] if line.startswith("  ") and not line.startswith("   ")]
    assert listed == [p.name for p in CONFIGS]


def test_train_without_config_or_workdir_is_a_short_error():
    code, out = run(sys.executable, "-m", "vegan_tf.train", "--workdir=unused")
    assert code == 1
    assert out.strip().splitlines() == ["vegan-train: --config and --workdir are required; `vegan-train --help` "
                                        "lists the configs, the models and the common overrides."]


def test_evaluate_help_says_what_it_does(tmp_path):
    code, out = run(BIN / "vegan-evaluate", "--help", cwd=tmp_path)
    assert "latest checkpoint" in out and "metrics" in out and "--target:" in out and "--[no]verbose_tf:" in out
    assert "USAGE: " not in out and cpp_log(out) == []


def test_evaluate_a_workdir_its_export_and_a_shipped_model(tmp_path):
    import json

    code, out = run(sys.executable, "-m", "vegan_tf.train", "--config=configs/vae_digits.py", f"--workdir={tmp_path}",
                    "--config.train.num_steps=2", "--config.train.steps_per_epoch=2", "--config.model.hidden=(16,)",
                    "--config.train.eval_samples=20", "--config.train.verbose=0")
    assert code == 0, out[-3000:]
    for target, output in ((tmp_path, tmp_path / "evaluation.json"), (tmp_path / "export", tmp_path / "e.json")):
        code, out = run(sys.executable, "-m", "vegan_tf.evaluate", f"--target={target}", "--num_samples=50",
                        f"--output={output}" if output.name == "e.json" else "--seed=0")
        assert code == 0, out[-3000:]
        results = json.loads(output.read_text())
        assert results["num_eval"] == 50 and results["feature_net"] == "digits" and results["fd"] > 0
        assert f"Wrote {output}" in out and "precision" in out
    code, out = run(sys.executable, "-m", "vegan_tf.evaluate", "--target=wae_mmd_mnist", cwd=tmp_path)
    assert code != 0 and "pass --data" in out
    # A chosen latent sampler, fitted in memory to the workdir's codes; the workdir is not written.
    before = sorted(p.name for p in tmp_path.iterdir())
    output = tmp_path / "gmm.json"
    code, out = run(sys.executable, "-m", "vegan_tf.evaluate", f"--target={tmp_path}", "--sampler=gmm",
                    "--num_samples=50", f"--output={output}")
    assert code == 0, out[-3000:]
    results = json.loads(output.read_text())
    assert results["fd"] > 0 and results["prior"]["fd"] > 0 and "prior.fd" in out and "gmm sampler:" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["gmm.json"])
    code, out = run(sys.executable, "-m", "vegan_tf.evaluate", f"--target={tmp_path / 'export'}", "--sampler=gmm")
    assert code != 0 and "not a training workdir" in out


def test_evaluate_accepts_the_deprecated_workdir_flag_with_a_warning(tmp_path):
    import json

    output = tmp_path / "e.json"
    code, out = run(sys.executable, "-m", "vegan_tf.evaluate", "--workdir=vae_digits", "--num_samples=50",
                    "--feature_net=", f"--output={output}", cwd=tmp_path)  # 0.1's spelling of --target
    assert code == 0, out[-3000:]
    assert "vegan-evaluate: warning: --workdir is deprecated, it became --target in vegan_tf 0.2" in out
    assert json.loads(output.read_text())["num_eval"] == 50 and "vae_digits on digits:" in out
    code, out = run(sys.executable, "-m", "vegan_tf.evaluate", "--workdir=vae_digits", "--target=vae_digits")
    assert code == 1 and out.strip().splitlines()[-1] == ("vegan-evaluate: --workdir is the deprecated name of "
                                                          "--target; pass --target alone.")


def test_training_output_starts_with_the_projects_own_lines(tmp_path):
    code, out = run(sys.executable, "-m", "vegan_tf.train", "--config=configs/wae_mmd_digits.py",
                    f"--workdir={tmp_path}", "--config.train.num_steps=2", "--config.train.steps_per_epoch=2",
                    "--config.model.hidden=(16,)", "--config.model.pretrain_steps=2", "--config.train.eval_samples=20",
                    "--config.train.export=False", "--config.train.verbose=2")
    assert code == 0, out[-3000:]
    assert out.startswith(f"vegan_tf {vegan_tf.__version__}: wae_mmd on digits, 2 steps of batch 100, workdir "), \
        out[:1000]
    assert cpp_log(out) == [], out[:3000]


def test_verbose_tf_shows_tensorflows_own_start_up_lines():
    _, verbose = run(sys.executable, "-m", "vegan_tf.train", "--list_configs", "--verbose_tf")
    # The same program with TensorFlow imported first, so with TensorFlow's own defaults:
    _, plain = run(sys.executable, "-c", "import runpy, sys, tensorflow; sys.argv[1:] = ['--list_configs']; "
                   "runpy.run_module('vegan_tf.train', run_name='__main__')")
    assert cpp_log(verbose) == cpp_log(plain)
    _, quiet = run(sys.executable, "-m", "vegan_tf.train", "--list_configs")
    assert cpp_log(quiet) == [] and quiet.startswith("Configs (")
