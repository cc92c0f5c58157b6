"""Win/tie/loss rates with cluster-bootstrap CIs, and position-bias statistics for pairwise judging.

Outcomes use the same labels as Bradley–Terry comparisons: "a" (first system wins), "b" (second
wins), "tie". Clusters (usually prompt ids) make the CIs honest when one prompt is judged several
times; without clusters every row is its own cluster (a plain bootstrap).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ml.stats.bootstrap import BootstrapCI, Seed, cluster_bootstrap_means, percentile_interval
from ml.stats.bradley_terry import OUTCOMES, Comparison
from ml.stats.significance import sign_test


@dataclass(frozen=True)
class Rate:
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class WinTieLoss:
    n: int
    n_clusters: int
    win: Rate
    tie: Rate
    loss: Rate


@dataclass(frozen=True)
class PositionBias:
    n: int
    n_decisive: int  # judgements that were not ties
    first_wins: int
    first_win_share: Rate  # first-shown wins / decisive judgements; 0.5 means no position bias
    tie_rate: float
    p_value: float  # exact two-sided binomial test of first_win_share = 0.5 (treats rows as independent)


def outcome_indicators(outcomes: Sequence[str]) -> np.ndarray:
    """(rows, 3) one-hot matrix of the outcomes in the order "a", "b", "tie"."""
    try:
        codes = np.fromiter((OUTCOMES.index(o) for o in outcomes), dtype=np.int64, count=len(outcomes))
    except ValueError:
        raise ValueError(f"outcomes must be in {OUTCOMES}") from None
    return np.eye(3)[codes]


def win_tie_loss(
    outcomes: Sequence[str],
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: Seed = 0,
) -> WinTieLoss:
    """Rates of "a" (win), "tie" and "b" (loss) from the first system's side, with cluster-bootstrap
    percentile CIs."""
    if len(outcomes) == 0:
        raise ValueError("no outcomes")
    indicators = outcome_indicators(outcomes)
    groups = range(len(outcomes)) if clusters is None else clusters
    win, loss, tie = cluster_bootstrap_means(indicators, groups, n_boot, ci, seed)
    n_clusters = len(outcomes) if clusters is None else len(set(clusters))
    return WinTieLoss(len(outcomes), n_clusters, _rate(win), _rate(tie), _rate(loss))


def head_to_head(
    comparisons: Iterable[Comparison | tuple[str, str, str]],
    model: str,
    opponent: str,
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: Seed = 0,
) -> WinTieLoss:
    """win_tie_loss of `model` against `opponent` over the comparisons between exactly those two,
    whichever side each was shown on. `clusters`, if given, is aligned with `comparisons`."""
    rows = [(c.model_a, c.model_b, c.outcome) if isinstance(c, Comparison) else c for c in comparisons]
    if clusters is not None and len(clusters) != len(rows):
        raise ValueError("clusters must be aligned with comparisons")
    flip = {"a": "b", "b": "a", "tie": "tie"}
    outcomes, kept = [], []
    for k, (a, b, outcome) in enumerate(rows):
        if (a, b) == (model, opponent):
            outcomes.append(outcome)
        elif (a, b) == (opponent, model):
            outcomes.append(flip[outcome])
        else:
            continue
        kept.append(k)
    if not outcomes:
        raise ValueError(f"no comparisons between {model!r} and {opponent!r}")
    groups = None if clusters is None else [clusters[k] for k in kept]
    return win_tie_loss(outcomes, groups, n_boot, ci, seed)


def position_bias(
    outcomes: Sequence[str],
    clusters: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: Seed = 0,
) -> PositionBias:
    """How often the first-shown (left) response wins among decisive judgements. Here "a" means the
    first-shown response won, whichever model it was. The CI is a cluster bootstrap of the ratio
    first wins / decisive; the p-value is an exact binomial test against 1/2."""
    if len(outcomes) == 0:
        raise ValueError("no outcomes")
    indicators = outcome_indicators(outcomes)
    first, second = int(indicators[:, 0].sum()), int(indicators[:, 1].sum())
    decisive = first + second
    tie_rate = float(indicators[:, 2].mean())
    if decisive == 0:
        nan = float("nan")
        return PositionBias(len(outcomes), 0, 0, Rate(nan, nan, nan), tie_rate, nan)
    # Bootstrap first/(first+second) as a ratio of cluster sums: the per-row means the helper returns
    # share a denominator, so their ratio is that ratio. Resamples with no decisive row are dropped.
    groups = range(len(outcomes)) if clusters is None else clusters
    first_mean, second_mean, _ = cluster_bootstrap_means(indicators, groups, n_boot, ci, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = first_mean.replicates / (first_mean.replicates + second_mean.replicates)
    low, high = percentile_interval(shares[np.isfinite(shares)], ci)
    share = Rate(first / decisive, float(low), float(high))
    return PositionBias(len(outcomes), decisive, first, share, tie_rate, sign_test(first, second).p_value)


def _rate(boot: BootstrapCI) -> Rate:
    return Rate(boot.estimate, boot.ci_low, boot.ci_high)
