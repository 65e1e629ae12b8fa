"""The embedded-default main job: DMGAN and waDMGAN on scikit-learn's digits, a few minutes on a CPU.

``python -m mgan.demo --out=runs/demo`` trains both models (8x8 digits, the 'digits8' project layout, λ 1.2, γ 1.0,
conditional) and writes each run's sample grid plus a side-by-side ``digits_dmgan_vs_wadmgan.png``, enlarged
``--upscale`` times (nearest neighbour) so that the 8x8 digits can be seen. No download is needed: the digits ship with
scikit-learn. Re-running resumes.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags, logging  # noqa: E402

flags.DEFINE_string("out", "runs/demo", "output directory")
flags.DEFINE_integer("steps", 800, "training iterations per model")
flags.DEFINE_integer("seed", 0, "seed")
flags.DEFINE_integer("upscale", 4, "enlargement of the side-by-side grid (nearest neighbour)", lower_bound=1)
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    from mgan.errors import report_user_errors

    def run():
        demo()
        return 0

    return report_user_errors(run, FLAGS.out, lambda: "Re-run the same command to resume." if os.path.isdir(FLAGS.out) else "")


def demo():
    from mgan import images
    from mgan.training import runner
    from mgan.config import TrainConfig
    grids = []
    for model in ("dmgan", "wadmgan"):
        cfg = TrainConfig(model=model, dataset="digits", steps=FLAGS.steps, seed=FLAGS.seed,
                          out=os.path.join(FLAGS.out, model), sample_every=200, checkpoint_every=200)
        manifest = runner.train(cfg)
        print(f"{model}: {manifest['step']} steps, {manifest['wall_seconds']:.0f} s, "
              f"samples in {os.path.join(cfg.out, 'samples.png')}")
        grids.append(images.read_png(os.path.join(cfg.out, "samples.png")))
    gap = np.full((grids[0].shape[0], 8, grids[0].shape[2]), 255, np.uint8)
    path = os.path.join(FLAGS.out, "digits_dmgan_vs_wadmgan.png")
    images.write_png(path, images.upscale(np.concatenate([grids[0], gap, grids[1]], axis=1), FLAGS.upscale))
    print(f"side by side (left DMGAN, right waDMGAN; one class per row): {path}")


if __name__ == "__main__":
    from mgan import command

    command.run(main)
