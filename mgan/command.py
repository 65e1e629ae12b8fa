"""How every command line of the package starts and ends: ``command.run(main)`` instead of ``absl.app.run(main)``.

- ``--help`` (``-h``, ``-?``, ``--helpshort``) lists the flags of the command, with their defaults and valid values;
  ``--helpfull`` adds the package's shared flags. Both exit 0 and leave out absl's and TensorFlow's own flags
  (absl.testing, TPU, logging), which no command of the package reads.
- A bad command line (unknown flag, unparsable value, stray argument, ``app.UsageError``) prints one ``error:`` line
  and where to find the flags (not the module docstring) and exits 2.
- Ctrl-C or SIGTERM outside a command's own handling ends with one line and 130 / 143, never a traceback.

The exit codes are :mod:`mgan.errors`' ``EXIT_*`` constants (docs/ERRORS.md).
"""
import sys

from absl import app, flags

from mgan import errors

HELP_ARGS = ("--help", "-help", "-h", "-?", "--helpshort", "-helpshort")
HELPFULL_ARGS = ("--helpfull", "-helpfull")
# Modules whose flags a command of the package never reads: not listed by --helpfull.
_FOREIGN = ("absl.", "tensorflow", "tf_", "keras", "jax", "tensorboard", "tensorflow_datasets", "tensorflow_hub")


def _program(argv0):
    """How the user started the command: ``python -m mgan.train`` or the script's path."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":
        return "python -m " + spec.name
    return argv0


def _main_module_name(fv):
    """The module whose flags --help lists: the program's own (absl registers a script's flags under sys.argv[0],
    a module run with -m under its name)."""
    by_module = fv.flags_by_module_dict()
    for name in (sys.argv[0] if sys.argv else "", "__main__"):
        if name in by_module:
            return name
    return next((m for m in by_module if m.startswith("mgan.") or m.endswith(".py")), None)


def _own_modules(fv):
    return [m for m in fv.flags_by_module_dict() if not m.startswith(_FOREIGN) and m not in ("absl", "absl.app")]


def _flag_lines(flag):
    head = f"  --{flag.name}"
    if flag.flag_type() == "bool":
        head = f"  --[no]{flag.name}"
    default = "none" if flag.default is None else (",".join(map(str, flag.default)) if isinstance(
        flag.default, list) else str(flag.default))
    return [f"{head}: {flag.help}", f"      (default: {default or 'empty'})"]


def help_text(fv, full=False, doc=None):
    """The --help text: the docstring of the command, then its flags (``full``: also the package's shared ones)."""
    main = _main_module_name(fv)
    modules = [main] if main else []
    if full:
        modules += [m for m in _own_modules(fv) if m != main]
    out = [doc.strip(), ""] if doc else []
    seen = set()
    for module in modules:
        own = [f for f in fv.flags_by_module_dict().get(module, []) if f.name not in seen]
        if module == main:  # a reproduce script's shared flags are key flags of its main module
            own += [f for f in fv.get_key_flags_for_module(module) if f not in own and f.name not in seen]
        if not own:
            continue
        out.append(f"flags of {module}:" if full else "flags:")
        for f in sorted(own, key=lambda f: f.name):
            seen.add(f.name)
            out += _flag_lines(f)
        out.append("")
    if not full:
        out.append("--helpfull lists every flag of the package.")
    return "\n".join(out).rstrip() + "\n"


def usage_error(message, argv0):
    print(f"error: {message}\nrun `{_program(argv0)} --help` for the flags and their valid values.", file=sys.stderr)
    return errors.EXIT_USAGE


def parse(argv, fv=None, doc=None):
    """Parse ``argv`` into ``fv`` (default absl's FLAGS); --help/--helpfull print and exit 0, a bad command line
    exits 2 with one error line."""
    fv = fv or flags.FLAGS
    rest = argv[1:]
    if "--" in rest:
        rest = rest[:rest.index("--")]
    if any(a in HELPFULL_ARGS for a in rest) or any(a in HELP_ARGS for a in rest):
        sys.stdout.write(help_text(fv, full=any(a in HELPFULL_ARGS for a in rest), doc=doc))
        sys.exit(errors.EXIT_OK)
    try:
        return fv(argv)
    except flags.Error as e:
        sys.exit(usage_error(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__, argv[0]))


def run(main, argv=None, doc=None):
    """``absl.app.run(main)`` with the package's help, usage errors and exit codes (see the module docstring).
    ``doc``: the text --help prints above the flags (default: the ``__main__`` module's docstring)."""
    argv = list(sys.argv if argv is None else argv)
    if doc is None:
        doc = getattr(sys.modules.get("__main__"), "__doc__", None)

    def checked_main(args):
        try:
            return main(args)
        except app.UsageError as e:
            return usage_error(str(e), argv[0])
        except KeyboardInterrupt as e:
            print("interrupted; nothing was written after the last saved file.", file=sys.stderr)
            return errors.interrupt_exit_code(e)

    try:
        with errors.handle_signals():
            app.run(checked_main, argv=argv, flags_parser=lambda a: parse(a, doc=doc))
    except KeyboardInterrupt as e:  # during start-up (imports), before main
        print("interrupted.", file=sys.stderr)
        sys.exit(errors.interrupt_exit_code(e))
