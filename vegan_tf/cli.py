"""The command lines of ``vegan-train`` and ``vegan-evaluate``: flags, help screens, the configs table.

    vegan-train --help              what the binary does, the shipped configs, the models, common overrides
    vegan-train --list_configs      the configs table alone
    vegan-evaluate --help

``python -m vegan_tf.train`` and ``python -m vegan_tf.evaluate`` are the same binaries. Both start
without TensorFlow's C++ log lines (``vegan_tf._startup`` holds them back before TensorFlow
loads); ``--verbose_tf`` shows them.

Configs are looked up in the source checkout's ``configs/``, then in the install prefix
(``pip install`` copies them to ``<prefix>/share/vegan_tf/configs``).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
import textwrap
import warnings

WIDTH = 100

COMMON_OVERRIDES = (
    ("--config.train.num_steps=300", "training steps (a multiple of train.steps_per_epoch)"),
    ("--config.train.steps_per_epoch=100", "steps between checkpoints, TensorBoard scalars and progress lines"),
    ("--config.data.name=/path/to/mnist.npz", "the data: a name ({names}), a folder of images or a local .npz of "
     "x_train, x_test"),
    ("--config.data.image_size=64", "images resized to 64x64 (with data.crop=center or celeb_a first)"),
    ("--config.data.batch_size=64", "the global batch size (split over replicas)"),
    ("--config.model.lam=5", "λ, the weight of the latent divergence (POT rows, AAE)"),
    ("--config.model.latent_dim=16", "the dimension of the latent space"),
    ("--config.model.hidden=\"(512,512)\"", "the MLP networks' widths (conv nets: model.filters, decoder_filters)"),
    ("--config.optimizers.optimizer.learning_rate=3e-4", "the learning rate of the player `optimizer`; the other "
     "players' are beside it (adversary_optimizer, critic_optimizer, ...)"),
    ("--config.train.strategy=mirrored", "all local GPUs (on a CPU: with --config.train.num_cpu_devices=2)"),
    ("--config.seed=1", "seeds the weights, the data order and the training noise"),
)


def configs_dir():
    """The directory of the shipped configs: the checkout's ``configs/``, else the install's; None if neither."""
    from vegan_tf import pretrained

    return next((folder for folder in pretrained.shipped_dirs("configs") if folder.is_dir()), None)


def summary(doc):
    """The first sentence of a docstring, on one line, without reST's double backquotes."""
    paragraph = " ".join(inspect.cleandoc(doc or "").split("\n\n")[0].split()).replace("``", "")
    first = re.match(r"(.+?[a-z0-9)]\.)(?=\s+[A-Z])", paragraph)
    return first.group(1) if first else paragraph.rstrip(":")


def _rows(pairs, indent=2):
    """Two-column text: each name padded to the longest, each description wrapped under itself."""
    pad = max(len(name) for name, _ in pairs) + 2
    return "\n".join(textwrap.fill(text, WIDTH, initial_indent=" " * indent + name.ljust(pad),
                                   subsequent_indent=" " * (indent + pad)) for name, text in pairs)


def configs_table():
    """Every file in ``configs/`` with the first sentence of its docstring, under the directory's path."""
    import ast

    folder = configs_dir()
    if folder is None:
        return "No configs/ directory found (a vegan_tf checkout has one; `pip install` copies it to " \
               "<prefix>/share/vegan_tf/configs)."
    shown = os.path.relpath(folder)
    if shown.startswith(".."):
        shown = str(folder)
    files = sorted(folder.glob("*.py"))
    rows = [(f.name, summary(ast.get_docstring(ast.parse(f.read_text(encoding="utf-8"))))) for f in files]
    return f"Configs ({len(files)} in {shown}{os.sep}; pass one as --config={os.path.join(shown, '<file>')}):\n" \
           + _rows(rows)


def models_table():
    """``vegan_tf.models.MODELS``: each config name, its class and the first sentence of its docstring."""
    from vegan_tf import models

    return "Models (config.model.name; vegan_tf.models.MODELS):\n" + _rows(
        [(name, f"{cls.__name__}: {summary(cls.__doc__)}") for name, cls in models.MODELS.items()])


def train_usage():
    """The help screen of ``vegan-train``."""
    from vegan_tf import data, train

    overrides = [(flag, text.format(names=", ".join(data.KNOWN_NAMES))) for flag, text in COMMON_OVERRIDES]
    return "\n\n".join([
        inspect.cleandoc(train.__doc__),
        configs_table(),
        models_table(),
        "Common overrides (any key of the config can be set as --config.<section>.<key>=<value>; a mistyped\n"
        "key is an error that names the key meant; vegan_tf/config.py documents the sections):\n" + _rows(overrides),
        "Every key of a model with its default:\n"
        "  python -c 'from vegan_tf.config import base_config; print(base_config(\"wae_mmd\"))'",
    ]) + "\n"


def _run(main, usage, flag_names):
    """Runs ``main()`` as an absl binary whose --help prints ``usage`` and lists ``flag_names``."""
    from absl import app, flags, logging

    flags.DEFINE_boolean("verbose_tf", False, "Show TensorFlow's C++ log (start-up notices, CUDA probing), off by "
                         "default. Read from the command line before TensorFlow loads; TF_CPP_MIN_LOG_LEVEL=0 in "
                         "the environment does the same.")
    for name in (*flag_names, "verbose_tf"):  # --help lists the main module's flags: these, for both entry points
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flags.FLAGS[name])
    sys.modules["__main__"].__doc__ = usage.replace("%", "%%")  # absl prints it, formatting "%s"

    def run_main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"Unexpected arguments {argv[1:]} (flags are written --name=value).")
        logging.set_verbosity(logging.WARNING)  # keep the progress bar readable
        main()

    app.run(run_main)


def run_train():
    """``vegan-train`` / ``python -m vegan_tf.train``."""
    from absl import flags
    from ml_collections import config_flags

    config_flags.DEFINE_config_file("config", None, "A configs/*.py file (--list_configs lists them).",
                                    lock_config=True)
    flags.DEFINE_string("workdir", None, "Directory for checkpoints, logs, samples, metrics and the export.")
    flags.DEFINE_boolean("list_configs", False, "Print the shipped configs with their descriptions and exit.")
    flags.DEFINE_boolean("overwrite_config", False, "Replace the workdir's config.json by a config that differs "
                         "from it in more than the run's settings (train.*, data.data_dir); without it such a "
                         "run is refused. The workdir's checkpoints must still restore into the new model.")
    _run(_train_main, train_usage(), ["config", "workdir", "list_configs", "overwrite_config"])


def _train_main():
    from absl import flags

    from vegan_tf import __version__, data, train, workdir
    from vegan_tf import config as config_lib

    FLAGS = flags.FLAGS
    if FLAGS.list_configs:
        print(configs_table())
        return
    if FLAGS.config is None or not FLAGS.workdir:
        sys.exit("vegan-train: --config and --workdir are required; `vegan-train --help` lists the configs, the "
                 "models and the common overrides.")
    config = FLAGS.config
    with warnings.catch_warnings(record=True) as moved:  # 0.2's flat divergence settings: shown, not hidden
        warnings.simplefilter("always", DeprecationWarning)
        config_lib.resolve(config)
    for w in moved:
        print(f"vegan-train: {w.message}", file=sys.stderr)
    print(f"vegan_tf {__version__}: {config.model.name} on {config.data.name}, {config.train.num_steps} steps "
          f"of batch {config.data.batch_size}, workdir {FLAGS.workdir}")
    try:
        train.train_and_evaluate(config, FLAGS.workdir, overwrite_config=FLAGS.overwrite_config)
    except (workdir.ConfigError, workdir.ConfigMismatchError, workdir.WorkdirLockedError, workdir.CheckpointError,
            data.DatasetNotFoundError) as e:  # a check before training failed and nothing was written: no traceback
        sys.exit(f"vegan-train: {e}")
    except train.Preempted as e:
        print(f"vegan-train: {e}", file=sys.stderr)
        sys.exit(train.PREEMPTED_EXIT_CODE)


def run_evaluate():
    """``vegan-evaluate`` / ``python -m vegan_tf.evaluate``."""
    from absl import flags

    from vegan_tf import evaluate

    flags.DEFINE_string("target", None, "A training workdir, an exported SavedModel directory, or a shipped "
                        "model's name (vegan_tf.pretrained.available()).")
    flags.DEFINE_string("workdir", None, "Deprecated: the name of --target in vegan_tf 0.1, accepted with a warning.")
    flags.DEFINE_string("data", "", "The test data (a dataset name or .npz path); default: the workdir's.")
    flags.DEFINE_string("feature_net", "auto", "SavedModel with a `features` signature for FD/KID/precision/recall "
                        "('auto': the shipped one for the data, if any; '' for none).")
    flags.DEFINE_string("sampler", "", "Score the samples of this latent sampler (prior, gmm, transport, "
                        "flow_matching), fitted to the target's codes as the training binary fits it ('' for the "
                        "target's own). Needs a workdir or a shipped model's name.")
    flags.DEFINE_integer("num_samples", 1000, "Test examples and model samples to compare.")
    flags.DEFINE_integer("seed", 0, "Seed of the model samples.")
    flags.DEFINE_string("output", "", "Where to write the JSON (default: <workdir>/evaluation.json for a "
                        "workdir, ./evaluation.json otherwise).")
    _run(_evaluate_main, inspect.cleandoc(evaluate.__doc__) + "\n",
         ["target", "data", "sampler", "feature_net", "num_samples", "seed", "output"])


def _evaluate_main():
    from absl import flags

    from vegan_tf import evaluate

    FLAGS = flags.FLAGS
    target = FLAGS.target
    if FLAGS.workdir is not None:
        if target is not None:
            sys.exit("vegan-evaluate: --workdir is the deprecated name of --target; pass --target alone.")
        print("vegan-evaluate: warning: --workdir is deprecated, it became --target in vegan_tf 0.2 (which also "
              "takes an export directory or a shipped model's name); use --target.", file=sys.stderr)
        target = FLAGS.workdir
    if not target:
        sys.exit("vegan-evaluate: --target is required: a training workdir, an exported SavedModel directory, or a "
                 "shipped model's name; `vegan-evaluate --help` says more.")
    if FLAGS.sampler:
        model, data_name, data_dir = evaluate.fit_target_sampler(target, FLAGS.sampler, FLAGS.data or None)
    else:
        model, data_name, data_dir = evaluate.load_target(target, FLAGS.data or None)
    results = evaluate.evaluate_model(model, data_name, data_dir, FLAGS.num_samples, FLAGS.seed,
                                      feature_net=FLAGS.feature_net or None)
    is_workdir = os.path.isfile(os.path.join(target, "config.json"))
    output = FLAGS.output or os.path.join(target if is_workdir else ".", "evaluation.json")
    with open(output, "w") as f:
        json.dump(results, f, indent=2)
    shown = {**{k: v for k, v in results.items() if not isinstance(v, dict)},
             **{f"{k}.{sub}": v for k, d in results.items() if isinstance(d, dict) for sub, v in d.items()}}
    width = max(map(len, shown))
    print(f"{target} on {data_name}" + (f", {FLAGS.sampler} sampler:" if FLAGS.sampler else ":"))
    for name, value in shown.items():
        print(f"  {name:{width}s}  {value:.4g}" if isinstance(value, float) else f"  {name:{width}s}  {value}")
    if "feature_net" not in results and "real_sharpness" in results:  # images, scored without features
        print(evaluate.no_feature_net_note(data_name))
    print(f"Wrote {output}")
