"""Settings as data: each one declared once, with its default and help.

A recipe lists its `Option`s; the run loop fills and checks a configuration
from them, and the command line of an experiment is generated from the same
list, so a default or a help text has exactly one home.
"""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from nda_tf import checks


@dataclasses.dataclass(frozen=True)
class Option:
    """One setting of a run.

    Attributes:
        name: the configuration key and command-line flag.
        default: its value when not given; `None` means "derived" or "off"
            and is always accepted.
        help: one line for `--help`.
        kind: "int", "float", "str", "bool", "list" (of strings) or
            "transform" (a `nda_tf.transforms.get` spec); by default the
            type of `default`.
        choices: the allowed values, or a function returning them (read
            from a registry when checked, so registries stay the source).
        low, high: bounds of an int or float; `low_open` / `high_open`
            exclude them (floats). Without `high` an int must fit an int64;
            a float must always be finite (`nda_tf.checks`).
        recorded: kept in `config.json` (what the run learns); settings
            of how it is watched (evaluation, export) are not.
    """

    name: str
    default: Any
    help: str
    kind: str | None = None
    choices: Sequence | Callable[[], Sequence] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    recorded: bool = True

    def __post_init__(self):
        if self.kind is None:
            kinds = {bool: "bool", int: "int", float: "float", str: "str"}
            kind = kinds.get(type(self.default))
            if kind is None:
                raise ValueError(
                    f"option {self.name!r} needs a kind: its default "
                    f"{self.default!r} does not give one"
                )
            object.__setattr__(self, "kind", kind)
        if self.kind not in KINDS:
            raise ValueError(
                f"option {self.name!r}: unknown kind {self.kind!r}; choose "
                f"from {', '.join(KINDS)}"
            )

    def allowed(self):
        """The allowed values, or None when any value of the kind is."""
        return self.choices() if callable(self.choices) else self.choices

    def check(self, value):
        """Raises a ValueError naming `value` when it is not allowed."""
        if value is None:
            return
        if self.kind == "int":
            low = 1 if self.low is None else self.low
            checks.check_int(self.name, value, low, self.high)
        elif self.kind == "float":
            checks.check_number(
                self.name,
                value,
                self.low,
                self.high,
                self.low_open,
                self.high_open,
            )
        elif self.kind == "bool" and not isinstance(value, bool):
            raise ValueError(f"{self.name} must be a bool, received {value!r}")
        elif self.kind == "transform":
            from nda_tf import transforms

            transforms.get(value)  # its ValueError names the bad transform
        allowed = self.allowed()
        values = value if self.kind == "list" else [value]
        for item in values:
            if allowed is not None and item not in allowed:
                raise ValueError(
                    f"unknown {self.name} {item!r}; choose from "
                    f"{', '.join(map(str, allowed))}"
                )


KINDS = ("int", "float", "str", "bool", "list", "transform")


def fill(options, config, derived=()):
    """`config` over the options' defaults, each value checked.

    Args:
        options: the `Option`s of a recipe.
        config: a dict of overrides; a key that is neither an option nor
            in `derived` is an error.
        derived: keys a recipe derives itself (`num_classes`, ...), allowed
            through as they are.
    """
    known = {option.name: option for option in options}
    unknown = set(config) - set(known) - set(derived)
    if unknown:
        raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
    filled = {name: option.default for name, option in known.items()}
    filled.update(config)
    for name, option in known.items():
        option.check(filled[name])
    return filled


# Process settings of nda_tf.data for every command that reads data; a
# literal here, so that command lines are defined without TensorFlow.
DATA_ACCESS_OPTIONS = (
    Option(
        "no_download",
        False,
        "Never download (air-gapped machines): tfds data must be prepared "
        "in --data_dir, backbone weights cached or given. Default: missing "
        "ones are downloaded once.",
        recorded=False,
    ),
    Option(
        "bad_files",
        "stop",
        "Unreadable files of an image folder: stop (listing them) or skip "
        "(with a warning and their count).",
        choices=("stop", "skip"),  # nda_tf.data.folder.BAD_FILES
        recorded=False,
    ),
)


# Options many commands share, each declared once; `shared` gives one with
# what it means in a command (its help) and any other change.
SHARED_OPTIONS = {
    o.name: o
    for o in (
        Option("logdir", None, "The run directory.", kind="str"),
        Option("checkpoint", "latest", "latest, best or a checkpoint folder."),
        Option("data_dir", None, "tfds data directory.", kind="str"),
        Option("seed", 0, "Seed.", low=0),
        Option("nda", "none", "NDA transform or none.", kind="transform"),
        # NDA's mixture (paper Eq. 3): D's fakes are lam G + (1 - lam) NDA.
        Option(
            "lam",
            0.25,
            "Weight of G in the fake mixture, (0, 1].",
            low=0.0,
            high=1.0,
            low_open=True,
        ),
        # Adam's bias correction divides by 1 - beta ** t: at beta = 1
        # nothing moves, so 1 is outside the range.
        *(
            Option(
                f"beta_{i}",
                default,
                f"Adam beta_{i}, [0, 1).",
                low=0.0,
                high=1.0,
                high_open=True,
            )
            for i, default in ((1, 0.9), (2, 0.999))
        ),
    )
}


def shared(name, help=None, **changes):
    """The shared option `name` (`SHARED_OPTIONS`) with `help` and other
    `Option` fields changed."""
    option = SHARED_OPTIONS[name]
    return dataclasses.replace(option, help=help or option.help, **changes)


def pick(options, names, **changes):
    """The options of `options` named in `names`, in that order, each with
    the `Option` fields of `changes[name]` (a dict: its default, its help)
    changed: a command's table built from a recipe's, not written again."""
    by_name = {option.name: option for option in options}
    return tuple(
        dataclasses.replace(by_name[name], **changes.get(name, {}))
        for name in names
    )


# What `nda_tf.training.export_run` reads for every recipe; a recipe's
# `export_options` add its own.
EXPORT_OPTIONS = (
    Option("version", 1, "Model version (a folder of that number)."),
    Option("overwrite", False, "Replace an existing version."),
    Option(
        "private",
        False,
        "Exported SavedModels readable by their owner only (0700 folders, "
        "0600 files) instead of by every user the umask allows.",
    ),
)
