"""Bradley–Terry ratings from pairwise comparisons, with a fast multinomial bootstrap.

Model: P(i beats j) = sigmoid(theta_i - theta_j), theta the natural-log strengths. A tie counts as
half a win for each side (the usual Chatbot-Arena-style treatment), so the data reduce to a
models x models matrix W of (fractional) wins and the log-likelihood is

    LL(theta) = sum_ij W_ij * log sigmoid(theta_i - theta_j).

It is concave; we maximise it with damped Newton steps, vectorised over a batch of win matrices so
that all bootstrap replicates are fitted together. The MLE is finite and unique iff the "i beat j"
graph is strongly connected (no group of models that never loses, or never wins, to the rest);
otherwise pass ``prior > 0``, which adds virtual tied games to every pair.

Ratings are on the Elo scale: rating_i = base + scale * log10(e) * (theta_i - theta_anchor), so a
gap of `scale` (400) points means 10:1 odds. theta_anchor is the named anchor model's strength
(that model gets exactly `base`) or, by default, the mean strength (ratings then average `base`).
The returned log-strengths are shifted the same way (anchor at 0, or mean 0).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ml.stats.bootstrap import percentile_interval

OUTCOMES = ("a", "b", "tie")
_OUTCOME_INDEX = {name: k for k, name in enumerate(OUTCOMES)}
_LOG10_E = 1.0 / math.log(10.0)
# Cap on elements of one (replicates, models, models) array, so big model sets are fitted in chunks.
_MAX_BATCH_ELEMENTS = 4_000_000
_UNBOUNDED = (
    "some models never lose (or never win) against the rest, so their Bradley–Terry strengths are "
    "unbounded; collect more comparisons or pass prior > 0"
)


@dataclass(frozen=True)
class Comparison:
    """One judgement: `outcome` is "a" (model_a won), "b" (model_b won) or "tie"."""

    model_a: str
    model_b: str
    outcome: str


@dataclass(frozen=True)
class PairwiseCounts:
    """Comparisons aggregated per unordered pair: row p counts games between models[pair_i[p]] and
    models[pair_j[p]] (pair_i < pair_j) as [i wins, j wins, ties]. Every pair with a game is listed."""

    models: list[str]
    pair_i: np.ndarray
    pair_j: np.ndarray
    counts: np.ndarray  # (pairs, 3) int64

    @property
    def n_comparisons(self) -> int:
        return int(self.counts.sum())

    def win_matrix(self) -> np.ndarray:
        """W[i, j] = wins of model i over model j, ties counted as half a win to each side."""
        return _win_matrices(self, self.counts[None].astype(float))[0]

    def games_per_model(self) -> np.ndarray:
        games = np.zeros(len(self.models), dtype=np.int64)
        per_pair = self.counts.sum(axis=1)
        np.add.at(games, self.pair_i, per_pair)
        np.add.at(games, self.pair_j, per_pair)
        return games


Comparisons = Iterable[Comparison | tuple[str, str, str]] | PairwiseCounts


@dataclass(frozen=True)
class BTResult:
    models: list[str]
    ratings: np.ndarray  # Elo-like scale, see module docstring
    log_strengths: np.ndarray  # natural-log strengths, anchored like the ratings
    anchor: str | None
    iterations: int

    def as_dict(self) -> dict[str, float]:
        return {m: float(r) for m, r in zip(self.models, self.ratings, strict=True)}


@dataclass(frozen=True)
class BTBootstrap:
    models: list[str]
    ratings: np.ndarray  # point estimate on the full data
    median: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    replicates: np.ndarray  # (n_boot, models) ratings of each bootstrap replicate
    ci: float


@dataclass(frozen=True)
class LeaderboardRow:
    model: str
    rating: float
    ci_low: float
    ci_high: float
    n_games: int
    win_rate: float  # (wins + ties / 2) / games


def aggregate(comparisons: Comparisons) -> PairwiseCounts:
    """Counts per unordered model pair; models are sorted by name. Passes PairwiseCounts through.

    Rows may be Comparison records or (model_a, model_b, outcome) tuples; tuples are fastest."""
    if isinstance(comparisons, PairwiseCounts):
        return comparisons
    rows = comparisons if isinstance(comparisons, list | tuple) else list(comparisons)
    if rows and isinstance(rows[0], Comparison):
        rows = [(c.model_a, c.model_b, c.outcome) if isinstance(c, Comparison) else c for c in rows]
    try:
        distinct = Counter(rows)  # counting hashable tuples runs in C: the only O(rows) step
    except TypeError:  # unhashable rows, e.g. lists
        distinct = Counter(tuple(c) if not isinstance(c, Comparison) else c for c in rows)
    if not distinct:
        raise ValueError("no comparisons")
    cells = []
    for key, count in distinct.items():
        a, b, outcome = (key.model_a, key.model_b, key.outcome) if isinstance(key, Comparison) else key
        if outcome not in _OUTCOME_INDEX:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        if a == b:
            raise ValueError(f"a model cannot be compared with itself: {a!r}")
        cells.append((a, b, _OUTCOME_INDEX[outcome], count))
    models = sorted({c[0] for c in cells} | {c[1] for c in cells})
    index = {m: k for k, m in enumerate(models)}
    m = len(models)
    grid = np.zeros((m, m, 3), dtype=np.int64)
    for a, b, outcome, count in cells:
        grid[index[a], index[b], outcome] += count
    # Fold onto i < j: seen from the other side, "a" and "b" wins swap and ties stay ties.
    folded = grid + grid.transpose(1, 0, 2)[:, :, [1, 0, 2]]
    i, j = np.triu_indices(m, k=1)
    counts = folded[i, j]
    played = counts.sum(axis=1) > 0
    return PairwiseCounts(models, i[played], j[played], counts[played])


def fit_bt(
    comparisons: Comparisons,
    *,
    anchor: str | None = None,
    scale: float = 400.0,
    base: float = 1000.0,
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> BTResult:
    """Maximum-likelihood Bradley–Terry fit. `prior` adds that many virtual games per pair, split as
    half wins each way (shrinks towards equal strength and guarantees a finite fit)."""
    data = aggregate(comparisons)
    anchor_index = _anchor_index(data.models, anchor)
    wins = _win_matrices(data, data.counts[None].astype(float), prior)
    if _disconnected(wins):
        raise ValueError(f"the comparisons: {_UNBOUNDED}")
    theta, iterations = _newton(wins, tol, max_iter)
    log_strengths, ratings = _scale(theta, anchor_index, scale, base)
    return BTResult(data.models, ratings[0], log_strengths[0], anchor, iterations)


def bootstrap_bt(
    comparisons: Comparisons,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = None,
    *,
    ci: float = 0.95,
    anchor: str | None = None,
    scale: float = 400.0,
    base: float = 1000.0,
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> BTBootstrap:
    """Percentile bootstrap of the ratings: each replicate resamples all comparisons with
    replacement. Drawing multinomial counts over the distinct (pair, outcome) cells is the same
    distribution as resampling rows, but costs O(cells) instead of O(comparisons)."""
    if n_boot < 1:
        raise ValueError("n_boot must be positive")
    data = aggregate(comparisons)
    point = fit_bt(data, anchor=anchor, scale=scale, base=base, prior=prior, tol=tol, max_iter=max_iter)
    rng = np.random.default_rng(seed)
    flat = data.counts.ravel()
    n = int(flat.sum())
    m = len(data.models)
    chunk = max(1, _MAX_BATCH_ELEMENTS // (m * m))  # replicates per batch, to bound memory
    parts = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.multinomial(n, flat / n, size=size).reshape(size, *data.counts.shape)
        wins = _win_matrices(data, draws.astype(float), prior)
        broken = _disconnected(wins)
        if broken:
            raise ValueError(f"{broken} of {size} bootstrap replicates: {_UNBOUNDED}")
        parts.append(_newton(wins, tol, max_iter)[0])
    _, replicates = _scale(np.concatenate(parts), _anchor_index(data.models, anchor), scale, base)
    low, high = percentile_interval(replicates, ci)
    return BTBootstrap(data.models, point.ratings, np.median(replicates, axis=0), low, high, replicates, ci)


def leaderboard(
    comparisons: Comparisons,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = 0,
    *,
    ci: float = 0.95,
    anchor: str | None = None,
    prior: float = 0.0,
) -> list[LeaderboardRow]:
    """Rows sorted by MLE rating (best first), with bootstrap CIs, games played and win rate."""
    data = aggregate(comparisons)
    boot = bootstrap_bt(data, n_boot, seed, ci=ci, anchor=anchor, prior=prior)
    games = data.games_per_model()
    points = data.win_matrix().sum(axis=1)  # wins + ties/2 per model
    order = np.argsort(-boot.ratings, kind="stable")
    return [
        LeaderboardRow(
            model=data.models[k],
            rating=float(boot.ratings[k]),
            ci_low=float(boot.ci_low[k]),
            ci_high=float(boot.ci_high[k]),
            n_games=int(games[k]),
            win_rate=float(points[k] / games[k]),
        )
        for k in order
    ]


def _anchor_index(models: list[str], anchor: str | None) -> int | None:
    if anchor is None:
        return None
    if anchor not in models:
        raise ValueError(f"anchor model {anchor!r} has no comparisons")
    return models.index(anchor)


def _win_matrices(data: PairwiseCounts, counts: np.ndarray, prior: float = 0.0) -> np.ndarray:
    """(B, pairs, 3) counts -> (B, M, M) win matrices, ties split half and half."""
    m = len(data.models)
    half_ties = 0.5 * counts[..., 2]
    wins = np.zeros((counts.shape[0], m, m))
    wins[:, data.pair_i, data.pair_j] = counts[..., 0] + half_ties
    wins[:, data.pair_j, data.pair_i] = counts[..., 1] + half_ties
    if prior > 0:
        wins += 0.5 * prior * (1.0 - np.eye(m))
    return wins


def _disconnected(wins: np.ndarray) -> int:
    """How many win graphs (edge i->j when i took points off j) are not strongly connected."""
    m = wins.shape[-1]
    reach = ((wins > 0) | np.eye(m, dtype=bool)).astype(np.float32)
    for _ in range(max(1, math.ceil(math.log2(m)))):  # repeated squaring: paths of length <= 2^k
        reach = (reach @ reach > 0).astype(np.float32)
    return int(np.count_nonzero(~reach.astype(bool).all(axis=(1, 2))))


def _evaluate(wins: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(i beats j) for each batch entry and the log-likelihood at theta."""
    with np.errstate(over="ignore", divide="ignore"):  # a wild trial step may overflow; it is then rejected
        p = 1.0 / (1.0 + np.exp(theta[:, None, :] - theta[:, :, None]))
        loglik = (wins * np.log(np.maximum(p, 1e-300))).sum(axis=(1, 2))
    return p, loglik


def _newton(wins: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Mean-zero log-strengths (B, M) for a batch of win matrices, and the Newton steps taken."""
    b, m, _ = wins.shape
    games = wins + wins.transpose(0, 2, 1)
    total_wins = wins.sum(axis=2)
    diagonal = np.arange(m)
    theta = np.zeros((b, m))
    p, loglik = _evaluate(wins, theta)
    for iteration in range(1, max_iter + 1):
        grad = total_wins - (games * p).sum(axis=2)
        v = games * p * (1.0 - p)
        info = -v  # negative Hessian: a graph Laplacian weighted by the games' variances
        info[:, diagonal, diagonal] = v.sum(axis=2) - v[:, diagonal, diagonal]
        # The likelihood only sees differences, so pin theta_0 = 0 and solve the reduced system.
        step = np.zeros_like(theta)
        step[:, 1:] = np.linalg.solve(info[:, 1:, 1:], grad[:, 1:, None])[..., 0]
        new_p, new_loglik = _evaluate(wins, theta + step)
        # Damping: halve the step wherever it lowers the likelihood (rare: only far from the optimum).
        for _ in range(60):
            worse = new_loglik < loglik - 1e-12 * np.abs(loglik)
            if not worse.any():
                break
            step[worse] *= 0.5
            new_p[worse], new_loglik[worse] = _evaluate(wins[worse], theta[worse] + step[worse])
        theta += step
        p, loglik = new_p, new_loglik
        if np.abs(step).max() < tol:
            return theta - theta.mean(axis=1, keepdims=True), iteration
    raise RuntimeError(f"Bradley–Terry fit did not converge in {max_iter} iterations")


def _scale(
    theta: np.ndarray, anchor_index: int | None, scale: float, base: float
) -> tuple[np.ndarray, np.ndarray]:
    shift = theta[:, [anchor_index]] if anchor_index is not None else theta.mean(axis=1, keepdims=True)
    log_strengths = theta - shift
    return log_strengths, base + scale * _LOG10_E * log_strengths
