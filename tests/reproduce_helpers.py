"""Shared by the tests of the reproduce scripts: load a script as a module, run it at the hidden test scale on
scikit-learn's digits, read table.md, and list the published files."""
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_script(name):
    path = os.path.join(REPO, "reproduce", name + ".py")
    spec = importlib.util.spec_from_file_location(f"reproduce_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(env, name, out=None, *extra, dataset="digits"):
    """Run reproduce/<name>.py at test scale in-process; returns (results dict, out directory)."""
    from mgan.experiments import cli

    out = out or str(env["root"] / "results" / name)
    argv = [name, "--scale=test", "--metric=classifier", f"--out={out}", f"--runs_dir={env['runs']}", *extra]
    if dataset:
        argv.insert(2, f"--dataset={dataset}")
    return cli.run_argv(load_script(name), argv), out


def run_scripts(env, names):
    """Run each script once in order (later scripts reuse earlier runs): {name: {results, out, trained}}."""
    from mgan.experiments import runs as runs_lib

    out = {}
    for name in names:
        before = runs_lib.TRAIN_CALLS["n"]
        res, path = run(env, name)
        out[name] = {"results": res, "out": path, "trained": runs_lib.TRAIN_CALLS["n"] - before}
    return out


def table_rows(md):
    """(header cells, list of row cells) of the markdown table in table.md."""
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    split = [[c.strip() for c in ln.strip().strip("|").split(" | ")] for ln in lines]
    return split[0], [r for r in split[2:]]


def published_files(out):
    for directory, _, files in os.walk(out):
        for f in files:
            if f.endswith((".json", ".md")):
                yield os.path.join(directory, f)


def run_without_celeba(script, tmp_path):
    """Run reproduce/<script>.py as a command at test scale with a data directory that has no CelebA; returns the
    CompletedProcess (the caller checks the exit code and the message)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, os.path.join(REPO, "reproduce", script + ".py"), "--scale=test",
                           f"--data_dir={tmp_path}", f"--out={tmp_path / 'out'}", f"--runs_dir={tmp_path / 'runs'}"],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, MGAN_CACHE_DIR=str(tmp_path / "cache")))
