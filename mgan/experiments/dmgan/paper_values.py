"""The numbers the DMGAN paper reports, used only as the "Paper" column of the tables and as figure overlays.

Source: Z. Chen, C. Wang, H. Wu, K. Shang, J. Wang, *DMGAN: Discriminative Metric-based Generative Adversarial
Networks* (preprint), Tables 2 and 3, transcribed from docs/METHODS.md §4.9, which quotes the paper's text (the
paper texts are not distributed with the repository). tests/test_reproduce.py checks these values against
METHODS.md.

The paper's Inception Scores and FIDs come from the TF Inception network (METHODS §10); its times from a TitanX under
TensorFlow 1.3.0, so only ratios between rows are comparable (METHODS §4.9 notes, §10.6).
"""

# Table 2: FID of regular DMGAN on SVHN for λ, γ = 0.5 ("The lower the score corresponding to the better the model").
TABLE2_METRIC = "FID"
TABLE2_GAMMA = 0.5
TABLE2_FID = {1.0: 191.25, 1.4: 64.76, 1.8: 46.79, 2.2: 60.87, 2.6: 52.76, 3.0: 51.28}

# Table 3: "Inception Scores and the time of each iteration on CIFAR-10". Rows in the paper's order:
# (row name, IS mean, IS std, ms per iteration). None = unknown.
# MLGAN-clipping is printed "5.23 ± 290" with time "-": a typesetting slip (METHODS §4.9); the std and the time are
# unknown, 5.23 is the target. Its losses are not available, so it is not re-implemented (METHODS D14).
TABLE3_METRIC = "Inception Score"
TABLE3 = [
    ("DCGAN", 5.92, 0.17, 237),
    ("WGAN", 5.88, 0.07, 397),
    ("MBGAN", 5.07, 0.06, 274),
    ("MLGAN-clipping", 5.23, None, None),
    ("WGAN-GP", 6.46, 0.03, 413),
    ("KM-GAN", 5.61, 0.09, 650),
    ("SAGAN", 5.72, 0.06, 3563),
    ("DMGAN", 5.69, 0.08, 263),
    ("waDMGAN", 6.04, 0.04, 259),
]

# λ and γ the paper states per data set (METHODS §4.7).
LAMBDA = {"mnist": 1.2, "svhn": 1.8, "cifar10": 1.2}
GAMMA_TABLE3 = 1.0  # METHODS D10


def table3_row(name):
    for row in TABLE3:
        if row[0] == name:
            return {"model": row[0], "is_mean": row[1], "is_std": row[2], "ms_per_iteration": row[3]}
    raise KeyError(f"no Table 3 row {name!r}; rows: {[r[0] for r in TABLE3]}")


def table3_ratio_to_dcgan(name):
    """The paper's ms/iteration of a row divided by DCGAN's (None when the time is unknown)."""
    ms = table3_row(name)["ms_per_iteration"]
    return None if ms is None else ms / table3_row("DCGAN")["ms_per_iteration"]


# MBGAN's settings when it is a DMGAN baseline (DMGAN §4.1: "α = 200 and K = 500"; METHODS D24).
MBGAN_AS_BASELINE = (200.0, 500)
