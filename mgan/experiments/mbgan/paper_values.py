"""The numbers the MBGAN paper reports (Dai et al. 2017, METHODS §5.6-5.7), used only as the "Paper" column of the
tables, as figure overlays and as the grids of its sweeps."""

# The MBGAN paper (Dai et al. 2017), METHODS §5.6: linear L2-SVM accuracy on the conv features of D (DCGAN protocol).
MBGAN_SVM_METRIC = "SVM accuracy"
MBGAN_TABLE3_SVM = {"DCGAN": 0.758, "MBGAN": 0.768}  # CIFAR-10 (Table 3)
MBGAN_TABLE4_SVM = {"DCGAN": 0.890, "MBGAN": 0.877}  # SVHN (Table 4)
MBGAN_ALPHAS = (0.2, 2.0, 20.0, 200.0)  # Fig. 4, K = 500
MBGAN_KS = (5, 50, 500, 5000)  # Fig. 5, α = 20
MBGAN_FIG5_ALPHA = 20.0
MBGAN_DEFAULT_K = 500
