"""The flag set shared by every reproduce script, and the script entry point.

A reproduce script is a module with a docstring, ``PAPER_DATASET`` (the data set the paper used), and
``declare(ctx) -> sweep.Experiment``; optionally ``define_flags(flag_values)`` for its own flags (their values are in
``ctx.extra``). Its ``__main__`` block calls ``cli.main(sys.modules[__name__])``. Tests call :func:`run_argv`, which
parses into a fresh ``FlagValues`` and raises instead of exiting.

An experiment that is not a GAN sweep (the IE-loss classification, :mod:`mgan.experiments.ie`) uses the same entry
point and :class:`Context` through optional hooks of its script: ``run(ctx) -> results`` instead of ``declare``;
``context(ctx) -> Context``, which checks the script's own flag values (``ConfigError``) and completes the context;
``BUDGET``, the field of the scale it runs on (``"ie"``: :class:`mgan.experiments.scales.IEBudget`, whose seeds are
then the default ``--seeds``); ``SHARED_FLAGS``, the shared flags it uses (default all; :data:`CORE_FLAGS` at least),
so that a flag meaning nothing to it is not defined rather than silently ignored.

Shared flags: ``--scale`` (full | smoke), ``--seeds``, ``--data_dir``, ``--inception_path``, ``--metric``
(inception | classifier; default inception at full scale, classifier at smoke scale), ``--out`` (default
``results/<script name>``), ``--dataset`` (run on a substitute; outputs then name it "substitute for <paper's data
set>"), ``--runs_dir`` (the run store, default ``runs/`` at the repository root), ``--shard=i/n`` (this worker's
share of the points, :func:`mgan.experiments.sweep.shard_jobs`), ``--precision`` (float32 | mixed_bfloat16, passed
into every TrainConfig through :meth:`Context.config`). Bad values fail before anything runs, listing the
choices; an ``--out`` holding another protocol's results is refused (:mod:`mgan.experiments.published`); a missing
Inception network or data set fails with the how-to message of
``mgan.metrics`` / ``mgan.data``.
"""
import os
import sys
from dataclasses import dataclass, field

from absl import app, flags, logging

from mgan.config import PRECISIONS, TrainConfig
from mgan.data import labelled_image_datasets
from mgan.experiments import scales
from mgan.experiments import runs as runs_lib

METRIC_CHOICES = ["inception", "classifier"]
SHARED_FLAGS = ("scale", "seeds", "data_dir", "inception_path", "metric", "out", "dataset", "runs_dir", "shard",
                "precision")
CORE_FLAGS = ("scale", "seeds", "data_dir", "out", "runs_dir", "precision")  # every script has these


@dataclass
class Context:
    """Everything a script's ``declare`` and the sweep need to know about this invocation."""
    script: str
    scale: scales.Scale
    seeds: tuple
    metric: str
    dataset: str  # the data set actually used
    paper_dataset: str
    data_dir: str = None
    inception_path: str = None
    out: str = ""
    runs_dir: str = ""
    ref_split: str = "train"  # reference split of the distance (METHODS §10.4: the training split)
    extra: dict = field(default_factory=dict)
    command: str = ""  # the command line, as recorded in the outputs
    shard: tuple = None  # (i, n): this worker runs every n-th point from the i-th (--shard=i/n); None: all
    precision: str = "float32"  # --precision of every run the script trains (mgan.nets.precision)

    @property
    def substitute(self):
        return self.dataset != self.paper_dataset

    def config(self, model, split="auto", **kw):
        """A TrainConfig of ``model`` on the data set in use, with the scale's width and length applied."""
        kw.setdefault("precision", self.precision)
        cfg = TrainConfig(model=model, dataset=self.dataset, split=split, data_dir=self.data_dir or "", **kw)
        return scales.apply(self.scale, cfg)

    def comparable(self, exp):
        """'yes', or why our numbers cannot be compared with the paper's."""
        if exp.paper_metric is None:
            return "no paper values"
        if exp.value == "svm_accuracy":  # the paper's own metric, computed from our discriminator
            if self.substitute:
                return "not comparable (substitute data set)"
            return "yes" if self.scale.name == "full" else f"{self.scale.name} scale, not a reproduction"
        if self.metric != "inception":
            return "not comparable (different metric)"
        if self.substitute:
            return "not comparable (substitute data set)"
        return "yes"

    def describe(self):
        return {"script": self.script, "scale": self.scale.name, "seeds": list(self.seeds), "metric": self.metric,
                "dataset": self.dataset, "paper_dataset": self.paper_dataset, "ref_split": self.ref_split,
                "data_dir_given": bool(self.data_dir or os.environ.get("MGAN_DATA_DIR")),
                "inception_path": self.inception_path,
                "out": runs_lib.repo_relative(self.out), "runs_dir": runs_lib.repo_relative(self.runs_dir),
                "precision": self.precision, "extra": self.extra, "command": self.command}


def define_flags(fv, script, paper_dataset, names=SHARED_FLAGS, budget=None):
    """Define the shared flags ``names`` (:data:`CORE_FLAGS` and any of the others) on ``fv``; ``budget``: the field
    of the scale the script runs on (its seeds are the default ``--seeds``)."""
    if not set(CORE_FLAGS) <= set(names) <= set(SHARED_FLAGS):
        raise ValueError(f"shared flags {names} must include {CORE_FLAGS} and be among {SHARED_FLAGS}")
    public = ", ".join(scales.PUBLIC_SCALES)
    flags.DEFINE_string("scale", "full", f"experiment scale: {public}. full = the paper's protocol (GPU); smoke = "
                        f"tiny budgets on a CPU (pipeline check). See mgan.experiments.scales.", flag_values=fv)
    flags.register_validator("scale", lambda v: v in scales.SCALES,
                             message=f"--scale must be one of: {public}", flag_values=fv)
    default_seeds = ", ".join(f"{','.join(map(str, scales.SCALES[k].budget(budget).seeds))} at "
                              f"{k}{' scale' if k == 'full' else ''}" for k in scales.PUBLIC_SCALES)
    flags.DEFINE_list("seeds", None, f"training seeds, comma separated (default: {default_seeds})", flag_values=fv)
    flags.register_validator("seeds", lambda v: v is None or (len(v) > 0 and all(s.strip().isdigit() for s in v)),
                             message="--seeds must be a comma-separated list of non-negative integers, e.g. 0,1,2",
                             flag_values=fv)
    flags.DEFINE_string("data_dir", None, "directory of the data set npz files (else $MGAN_DATA_DIR, then TFDS)",
                        flag_values=fv)
    if "inception_path" in names:
        flags.DEFINE_string("inception_path", None, "local directory of the TF-Hub module tfgan/eval/inception/1 "
                            "(else $MGAN_INCEPTION_PATH, else TF-Hub)", flag_values=fv)
    if "metric" in names:
        flags.DEFINE_enum("metric", None, METRIC_CHOICES, "inception: IS/FID (METHODS §10); classifier: the offline "
                          "classifier score / FD, never called IS or FID (default: inception at full scale, "
                          "classifier at smoke scale)", flag_values=fv)
    flags.DEFINE_string("out", None, f"output directory (default results/{script} at the repository root)",
                        flag_values=fv)
    if "dataset" in names:
        choices = labelled_image_datasets() + (
            [paper_dataset] if paper_dataset not in labelled_image_datasets() else [])
        flags.DEFINE_enum("dataset", None, choices,
                          f"data set to run on (default: the paper's, {paper_dataset}); any other is recorded as a "
                          f"substitute for {paper_dataset}", flag_values=fv)
    flags.DEFINE_string("runs_dir", None, "run store shared by all scripts (default runs/ at the repository root)",
                        flag_values=fv)
    if "shard" in names:
        flags.DEFINE_string("shard", None, "i/n: run only every n-th point from the i-th (0 <= i < n), so n workers "
                            "sharing --runs_dir and --out split the sweep; then run once without --shard to write "
                            "the table and figures", flag_values=fv)
        flags.register_validator("shard", lambda v: v is None or parse_shard(v) is not None,
                                 message="--shard must be i/n with integers 0 <= i < n, e.g. --shard=0/2",
                                 flag_values=fv)
    flags.DEFINE_enum("precision", "float32", list(PRECISIONS), "numeric precision of every run the script trains: "
                      "float32 (the papers') | mixed_bfloat16 (networks compute in bfloat16; variables, optimizer "
                      "state, losses and metrics float32; mgan.nets.precision). Runs of each precision have their "
                      "own run keys; results of another precision need their own --out", flag_values=fv)


def define_interpolation_flags(fv, steps_note="the paper: not stated"):
    """--interp_rows and --interp_steps of the CelebA interpolation figures (MBGAN Fig. 9, KM-GAN Fig. 7)."""
    flags.DEFINE_integer("interp_rows", 8, "interpolation rows", lower_bound=1, flag_values=fv)
    flags.DEFINE_integer("interp_steps", 10, f"images per interpolation row, ends included ({steps_note})",
                         lower_bound=2, flag_values=fv)


def parse_shard(text):
    """``'i/n'`` -> ``(i, n)`` with 0 <= i < n, else None."""
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        return None
    return (i, n) if 0 <= i < n else None


def _value(fv, name):
    """The value of a shared flag the script may leave out (``SHARED_FLAGS`` of the script); None when it did."""
    return fv[name].value if name in fv else None


def context_from_flags(fv, script, paper_dataset, extra_names=(), argv=None, budget=None):
    scale = scales.get_scale(fv.scale)
    seeds = tuple(int(s) for s in fv.seeds) if fv.seeds else scale.budget(budget).seeds
    shard = _value(fv, "shard")
    return Context(script=script, scale=scale, seeds=seeds, metric=_value(fv, "metric") or scale.default_metric,
                   dataset=_value(fv, "dataset") or paper_dataset, paper_dataset=paper_dataset, data_dir=fv.data_dir,
                   inception_path=_value(fv, "inception_path"),
                   out=os.path.abspath(fv.out or os.path.join(runs_lib.REPO_ROOT, "results", script)),
                   runs_dir=os.path.abspath(fv.runs_dir or runs_lib.DEFAULT_RUNS_DIR),
                   extra={k: fv[k].value for k in extra_names}, shard=parse_shard(shard) if shard else None,
                   precision=fv.precision,
                   command=" ".join(["python", f"reproduce/{script}.py"] + list(argv if argv is not None
                                                                                else sys.argv[1:])))


def _script_name(module):
    return os.path.splitext(os.path.basename(module.__file__))[0]


def _shared_names(module):
    return getattr(module, "SHARED_FLAGS", SHARED_FLAGS)


def _budget(module):
    return getattr(module, "BUDGET", None)


def _setup(module, fv):
    script = _script_name(module)
    define_flags(fv, script, module.PAPER_DATASET, _shared_names(module), _budget(module))
    before = set(fv)
    if hasattr(module, "define_flags"):
        module.define_flags(fv)
    return script, sorted(set(fv) - before)


def complete_context(module, ctx):
    """``ctx`` completed by the script's ``context`` hook, if it has one (which may raise ConfigError for its own
    flags)."""
    return module.context(ctx) if hasattr(module, "context") else ctx


def run_experiment(module, ctx):
    """The script's experiment: its own ``run(ctx)``, else the sweep of ``declare(ctx)``. Returns the results."""
    if hasattr(module, "run"):
        return module.run(ctx)
    from mgan.experiments import sweep

    return sweep.run(module.declare(ctx), ctx)


def run_argv(module, argv):
    """Parse ``argv`` (argv[0] = program name) into fresh flags and run the script's experiment. Raises on error."""
    fv = flags.FlagValues()
    script, extra = _setup(module, fv)
    fv(list(argv))
    ctx = context_from_flags(fv, script, module.PAPER_DATASET, extra, argv=list(argv[1:]),
                             budget=_budget(module))
    return run_experiment(module, complete_context(module, ctx))


def _hint(ctx):
    if ctx.dataset == "svhn":
        return (" To run this script on a substitute data set of the same shape, pass --dataset=cifar10; every "
                "output then names it as a substitute for SVHN.")
    if ctx.dataset == "celeba":
        return (" To check the pipeline without CelebA, pass --dataset=cifar10 (or mnist); every output then names "
                "it as a substitute for CelebA.")
    return ""


def main(module):
    """Entry point of a reproduce script (``python reproduce/<name>.py --help``)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    script, extra = _setup(module, flags.FLAGS)
    main_module = sys.argv[0] if sys.argv and sys.argv[0] else module.__name__
    for name in list(_shared_names(module)) + extra:
        flags.FLAGS.register_key_flag_for_module(main_module, flags.FLAGS[name])  # listed by --help

    def _main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
        ctx = context_from_flags(flags.FLAGS, script, module.PAPER_DATASET, extra,
                                 budget=_budget(module))
        logging.set_verbosity(logging.WARNING)  # TF's checkpoint saver logs at INFO on every save
        from mgan.errors import report_user_errors

        return report_user_errors(lambda: _run_sweep(module, ctx), ctx.out, lambda: _resume_hint(ctx))

    from mgan import command

    command.run(_main, doc=module.__doc__)


def _resume_hint(ctx):
    """The resume line of an OSError, only when the sweep saved something to resume from."""
    if os.path.isdir(os.path.join(ctx.out, "points")) and os.listdir(os.path.join(ctx.out, "points")):
        return "Points and runs saved before are kept: re-run the same command to resume."
    return ""


def _run_sweep(module, ctx):
    """Complete the context and run the script's experiment; exit code 1 (with the how-to) when the data or the
    Inception network is missing (mgan.errors: the one exit code scheme of every command)."""
    from mgan.data import DataUnavailableError
    from mgan.errors import EXIT_OK, EXIT_USER_ERROR
    from mgan.metrics.inception import InceptionUnavailableError

    ctx = complete_context(module, ctx)
    try:
        run_experiment(module, ctx)
    except InceptionUnavailableError as e:
        print(f"error: {e}\n(or run with --metric=classifier: the offline classifier score / FD, reported under "
              f"that name and never as IS or FID)", file=sys.stderr)
        return EXIT_USER_ERROR
    except DataUnavailableError as e:
        print(f"error: {e}{_hint(ctx)}", file=sys.stderr)
        return EXIT_USER_ERROR
    return EXIT_OK
