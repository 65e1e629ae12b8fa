"""Where a result came from: package versions, the git commit of the code and the machine (manifests, protocols)."""
import importlib.metadata
import os
import platform
import subprocess

# Distribution name -> key in the recorded dict.
_PACKAGES = {"mgan": "mgan", "tensorflow": "tensorflow", "keras": "keras", "numpy": "numpy", "scipy": "scipy",
             "scikit-learn": "scikit-learn", "tensorflow-gan": "tensorflow_gan"}


def versions():
    """Python and the versions of the packages a result depends on (installed distributions; None if absent)."""
    out = {"python": platform.python_version()}
    for dist, key in _PACKAGES.items():
        try:
            out[key] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[key] = None
    return out


def git_commit():
    """The commit of the mgan checkout (``-dirty`` with uncommitted changes to tracked files), or 'unknown'."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_info():
    import tensorflow as tf

    return {"gpus": [g.name for g in tf.config.list_physical_devices("GPU")], "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(), "host": platform.node()}
