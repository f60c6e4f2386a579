"""A finished training workdir made an entry of the model zoo (``saved_models/``): the maintainer's tool.

``benchmarks/zoo.py`` trains the zoo's runs and ships each with :func:`ship`; users load entries
with ``vegan_tf.pretrained``. :func:`model_card` writes an entry's README and :func:`zoo_table`
the zoo's table.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile

from vegan_tf import config as config_lib
from vegan_tf import _shipped, data, export, models, pretrained
from vegan_tf.data import arrays
from vegan_tf.workdir import build

#: Keys of a workdir's ``metrics.json`` that name files of the machine it ran on (left out of a card).
_LOCAL_KEYS = ("files",)


def ship(workdir, name, root=None, command="", machine="", notes=""):
    """Makes a finished training workdir the zoo entry ``<root>/<name>``; returns the entry's path.

    The entry holds the run's export (the newest ``<version>/`` of the step of ``metrics.json`` and the
    latent sampler of ``config.json``), ``model.keras`` (the trained model,
    uncompiled: without the optimizers' state, a third of the size; ``load_model`` compiles it with
    the run's optimizers, so ``fit`` continues from fresh moments as a preset does),
    the run's ``config.json`` and ``metrics.json`` (without the paths of the machine it ran on: a
    ``.npz`` data file keeps its name only), and
    ``README.md``: the model card with ``command`` (the training command), ``machine``, the
    steps, wall time and metrics, and ``notes``. ``models.config`` of ``root`` is written again.

    Everything is checked and built in a temporary folder beside the entry before the entry is
    replaced, so a failure leaves the zoo as it was.

    Raises:
      FileNotFoundError: the workdir lacks its config, metrics, checkpoint or export.
    """
    source = pathlib.Path(workdir)
    for needed in ("config.json", "metrics.json"):
        if not (source / needed).is_file():
            raise FileNotFoundError(f"{source / needed} is missing: ship a workdir of a finished training run.")
    exported = pretrained.versions(source / "export") if (source / "export").is_dir() else []
    if not exported:
        raise FileNotFoundError(f"{source}/export has no version: train with --config.train.export=True.")
    metrics = json.loads((source / "metrics.json").read_text())
    trained, config = build.load(str(source))
    sampler, fit = export.sampler_settings(trained.sampler), build.sampler_fit(config)
    exported = [v for v in exported  # the exports of the run's step and latent sampler, fitted as its config says
                if export.made_by(str(source / "export" / str(v)), metrics.get("step"), sampler, fit)]
    if not exported:
        raise ValueError(f"{source}/export has no version of step {metrics.get('step')} with the {sampler['kind']!r} "
                         f"latent sampler of its config.json: run the training binary on the workdir again (it "
                         f"exports it), or evaluate the workdir again (python -m vegan_tf.evaluate).")
    bare = models.build(config.model, data.dataset_info(data.source(config.data)).shape)  # uncompiled: no optimizer state
    bare.build()
    bare.set_weights(trained.get_weights())
    bare.set_sampler(trained.sampler)  # the fitted latent sampler, saved with the model

    zoo = pathlib.Path(root) if root else _shipped.zoo_dir(None)
    zoo.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{name}-", dir=zoo))
    try:
        shutil.copytree(source / "export" / str(exported[0]), staging / str(exported[0]))
        bare.save(str(staging / "model.keras"))
        shipped = json.loads((source / "config.json").read_text())
        trained_on = str(shipped["data"]["name"])
        if arrays.is_npz(trained_on) or data.is_folder(trained_on):  # of the training machine: keep its name only
            shipped["data"]["name"] = pathlib.Path(arrays.path_of(trained_on)).name
        (staging / "config.json").write_text(json.dumps(shipped, indent=2) + "\n")
        card_metrics = {k: v for k, v in metrics.items() if k not in _LOCAL_KEYS}
        (staging / "metrics.json").write_text(json.dumps(card_metrics, indent=2) + "\n")
        (staging / "README.md").write_text(model_card(name, config, card_metrics, command, machine, notes))
        target = zoo / name
        if target.exists():
            old = zoo / f".{name}-old"
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pretrained.write_serving_config(zoo)
    return target


def _size_mb(path):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file()) / 2**20


def model_card(name, config, metrics, command="", machine="", notes=""):
    """The README of a zoo entry: what it is, how it was trained, how it scores, how to use it."""
    m = config.model
    net = (f"MLP {'-'.join(map(str, m.hidden))}" if m.arch == "mlp" else f"conv {m.get('filters', '')} / "
           f"decoder {m.get('decoder_filters', '')}") + f", d_z = {m.latent_dim}"
    rows = [(key, metrics[key]) for key in ("fd", "kid", "kid_std", "precision", "recall", "density", "coverage",
                                            "relative_sharpness", "held_out_fd", "test_reconstruction_l2sq",
                                            "reconstruction_fd", "latent_mmd")
            if key in metrics]
    rows += [(f"prior draws: {key}", value) for key, value in metrics.get("prior", {}).items() if key in ("fd", "kid")]
    table = "\n".join(f"| {key} | {value:.4g} |" for key, value in rows)
    fit = metrics.get("sampler")
    sampler = (f"Samples decode the codes of a `{fit['kind']}` latent sampler fitted to {fit.get('num_codes')} codes "
               f"({fit.get('codes')}) of training images in {fit.get('fit_time_s')} s"
               + (f", {fit['components']} components" if "components" in fit else "") + "; the prior's scores "
               f"are beside its own." if fit else "Samples decode prior draws.")
    lines = [
        f"# `{name}`", "",
        f"`{m.name}` trained on `{pathlib.Path(str(config.data.name)).stem}` ({net}; batch "
        f"{config.data.batch_size}; {metrics.get('step')} steps in {metrics.get('train_time_s', 0):.0f} s"
        f"{' on ' + machine if machine else ''}).", "",
        "```python",
        "from vegan_tf import pretrained",
        f"model = pretrained.load({name!r})              # the SavedModel, checked inputs",
        "images = model.sample(16, seed=0)",
        f"keras_model = pretrained.load_model({name!r})  # the Keras model: fit it further",
        "```", "",
    ]
    if command:
        lines += ["Trained by", "", "```bash", command.strip(), "```", ""]
    lines += [sampler, "", f"Scores on {metrics.get('num_eval', '')} samples against test images "
              f"(feature network `{metrics.get('feature_net', 'none')}`; `python -m vegan_tf.evaluate "
              f"--target={name}`; `held_out_fd` against held-out training images):", "", "| metric | value |",
              "|---|---:|", table, ""]
    if notes:
        lines += [notes.strip(), ""]
    lines += ["Files: the TF Serving version folder, `model.keras` (the trained model, uncompiled: "
              "`pretrained.load_model` compiles it with the optimizers of `config.json`), the run's `config.json` "
              "and `metrics.json`.", ""]
    return "\n".join(lines)


def zoo_table(root=None):
    """A Markdown table of the zoo: name, model, data, steps, FD, KID, precision, recall, size on disk."""
    head = "| name | model | data | steps | FD | KID | precision | recall | size |\n|---|---|---|---:|---:|---:|---:|---:|---:|"
    rows = []
    for name, base in _shipped.entries_in(_shipped.zoo_dir(root)).items():
        config = config_lib.from_json((base / "config.json").read_text()) if (base / "config.json").is_file() else None
        metrics = json.loads((base / "metrics.json").read_text()) if (base / "metrics.json").is_file() else {}

        def fmt(key, spec):
            return format(metrics[key], spec) if isinstance(metrics.get(key), (int, float)) else "–"

        rows.append(f"| `{name}` | {config.model.name if config else '?'} | "
                    f"{pathlib.Path(str(config.data.name)).stem if config else '?'} | {metrics.get('step', '?')} | "
                    f"{fmt('fd', '.1f')} | {fmt('kid', '.4f')} | {fmt('precision', '.3f')} | {fmt('recall', '.3f')} | "
                    f"{_size_mb(base):.1f} MB |")
    return "\n".join([head, *rows])
