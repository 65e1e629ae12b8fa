"""mgan: a TensorFlow 2 / Keras 3 reproduction of the metric-learning GAN papers (DMGAN, MBGAN, KM-GAN, IE loss)."""
from setuptools import find_packages, setup

setup(
    name="mgan",
    version="0.1.0",
    description="Faithful TF2/Keras 3 reproductions of DMGAN, waDMGAN, DMGAN-f, MBGAN, KM-GAN and their baselines",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["mgan", "mgan.*"]),
    python_requires=">=3.11,<3.13",
    install_requires=[
        # Ranges that install together (checked 2026-11 on CPython 3.11): TF 2.21 pins keras 3 and tf-keras 2.21.
        "tensorflow>=2.21,<2.22",
        "keras>=3.10,<4",
        "tf-keras>=2.21,<2.22",  # needed by tensorflow-hub / tensorflow-probability on Keras 3 installs
        "tensorboard>=2.21,<2.22",  # tf.summary's scalar writer (the TensorBoard logs of every run)
        "tensorflow-datasets>=4.9.6,<5",
        "tensorflow-gan==2.1.0",  # its eval math only, imported through mgan.metrics.tfgan_compat
        "tensorflow-probability>=0.25,<0.26",
        "tensorflow-hub>=0.16,<0.17",
        "numpy>=1.26,<3",
        "scipy>=1.11",
        "importlib_resources",  # tensorflow-datasets 4.9 imports it but does not declare it
        "scikit-learn>=1.4,<2",
        "absl-py>=2.1",
        "matplotlib>=3.8,<4",
    ],
    extras_require={"test": ["pytest>=8", "pytest-xdist>=3.5"]},
)
