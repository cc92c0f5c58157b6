"""Statistics for evaluation studies: Bradley–Terry ratings, bootstrap CIs, annotator agreement,
significance tests, win/tie/loss and position-bias rates, calibration. numpy only at run time."""

from ml.stats.agreement import cohens_kappa, fleiss_kappa, krippendorff_alpha, ratings_to_counts
from ml.stats.bootstrap import (
    BootstrapCI,
    bootstrap_ci,
    cluster_bootstrap_ci,
    cluster_bootstrap_means,
    percentile_interval,
)
from ml.stats.bradley_terry import (
    BTBootstrap,
    BTResult,
    Comparison,
    LeaderboardRow,
    PairwiseCounts,
    aggregate,
    bootstrap_bt,
    fit_bt,
    leaderboard,
)
from ml.stats.calibration import ReliabilityBin, expected_calibration_error, reliability_table
from ml.stats.rates import PositionBias, Rate, WinTieLoss, head_to_head, position_bias, win_tie_loss
from ml.stats.significance import (
    BinomialTest,
    PermutationTest,
    WelchTest,
    betainc,
    binomial_test,
    paired_permutation_test,
    sign_test,
    t_sf,
    welch_t_test,
)

__all__ = [
    "BTBootstrap",
    "BTResult",
    "BinomialTest",
    "BootstrapCI",
    "Comparison",
    "LeaderboardRow",
    "PairwiseCounts",
    "PermutationTest",
    "PositionBias",
    "Rate",
    "ReliabilityBin",
    "WelchTest",
    "WinTieLoss",
    "aggregate",
    "betainc",
    "binomial_test",
    "bootstrap_bt",
    "bootstrap_ci",
    "cluster_bootstrap_ci",
    "cluster_bootstrap_means",
    "cohens_kappa",
    "expected_calibration_error",
    "fit_bt",
    "fleiss_kappa",
    "head_to_head",
    "krippendorff_alpha",
    "leaderboard",
    "paired_permutation_test",
    "percentile_interval",
    "position_bias",
    "ratings_to_counts",
    "reliability_table",
    "sign_test",
    "t_sf",
    "welch_t_test",
    "win_tie_loss",
]
