"""absl flags generated from :class:`mgan.config.TrainConfig`, so the CLI and the config never drift apart."""
import dataclasses

from absl import flags

from mgan.config import TrainConfig


def define_config_flags(exclude=(), valid_values=None):
    """One flag per TrainConfig field. ``valid_values``: field -> valid values named in the help (for fields checked by
    the command itself, such as --model and --dataset, whose lists live in other modules)."""
    for f in dataclasses.fields(TrainConfig):
        if f.name in exclude:
            continue
        help_ = f.metadata.get("help", "")
        if valid_values and f.name in valid_values:
            help_ = help_.split(" (see ")[0] + ": " + ", ".join(valid_values[f.name])
        choices = f.metadata.get("choices")
        if f.type is bool or isinstance(f.default, bool):
            flags.DEFINE_bool(f.name, f.default, help_)
        elif choices:
            flags.DEFINE_enum(f.name, f.default, choices, help_)
        elif isinstance(f.default, int):
            flags.DEFINE_integer(f.name, f.default, help_)
        elif isinstance(f.default, float):
            flags.DEFINE_float(f.name, f.default, help_)
        else:
            flags.DEFINE_string(f.name, f.default, help_)


def config_from_flags(FLAGS, **overrides):
    """(TrainConfig from the parsed flags, names of the flags the user set explicitly)."""
    values, explicit = {}, set()
    for f in dataclasses.fields(TrainConfig):
        if f.name in FLAGS:
            values[f.name] = FLAGS[f.name].value
            if FLAGS[f.name].present:
                explicit.add(f.name)
    values.update(overrides)
    return TrainConfig(**values), explicit
