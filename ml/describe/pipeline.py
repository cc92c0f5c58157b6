"""Describe how D1 differs from D0: propose hypotheses, verify them on held-out samples, rank them.

1. Each corpus is split (seeded) into a proposal half and a held-out half.
2. A cross-validated D1-vs-D0 classifier ranks the proposal samples by how representative they are.
3. The proposer writes hypotheses from those samples.
4. The verifier judges every hypothesis on the held-out samples, optionally block by block with
   elimination of hypotheses that cannot reach the top k.
5. Each hypothesis gets its validity (mean T on D1 - mean T on D0), a bootstrap interval, a one-sided
   Welch p-value and its Holm adjustment over all hypotheses, and is ranked by validity (re-ranking,
   which is what lifts a weak proposer in D3) or left in proposal order.

`run` is the `describe.run` experiment: corpora from files, report.json, report.md and a plot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.describe.proposers import Proposer, distinct
from ml.describe.representative import RepresentativeSamples, representative_samples
from ml.describe.stats import (
    blockwise_elimination,
    bootstrap_validity_ci,
    holm,
    one_sided_t_test,
    validity,
)
from ml.describe.verifiers import Verifier
from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn

MIN_GROUP = 4  # two samples to propose from and two held out (a t-test needs two per group)
N_BOOT = 1000


@dataclass
class RankedHypothesis:
    rank: int  # 1 = best (by validity when re-ranked, else proposal order)
    hypothesis: str
    validity: float  # mean T on held-out D1 - mean T on held-out D0
    ci_low: float  # 95% bootstrap interval of validity
    ci_high: float
    p_value: float  # one-sided Welch t-test of mean T on D1 > on D0
    p_holm: float  # Holm-adjusted over every hypothesis proposed
    mean_positive: float
    mean_negative: float
    n_positive: int  # held-out samples it was verified on (fewer when eliminated early)
    n_negative: int
    proposal_rank: int  # its position in the proposer's output, from 1
    eliminated: bool = False  # dropped by block-wise elimination before the last block
    examples: list[str] = field(default_factory=list)  # up to 3 held-out D1 samples, highest T >= 1/2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Description:
    rows: list[RankedHypothesis]
    representative: RepresentativeSamples
    split: dict[str, int]
    heldout: dict[str, list[str]]  # the samples verified on, which people may see (never the proposal half)
    verifier_calls: int  # (hypothesis, sample) judgements made
    verifier_calls_without_elimination: int
    seconds: dict[str, float]


def split_halves(
    texts: Sequence[str], heldout_fraction: float, rng: np.random.Generator
) -> tuple[list[str], list[str]]:
    """(proposal, held-out) after a shuffle; each part keeps at least two samples."""
    if len(texts) < MIN_GROUP:
        raise ValueError(f"each group needs at least {MIN_GROUP} samples, got {len(texts)}")
    order = rng.permutation(len(texts))
    held = min(max(round(heldout_fraction * len(texts)), 2), len(texts) - 2)
    return [texts[i] for i in order[held:]], [texts[i] for i in order[:held]]


def describe(
    positive: Sequence[str],
    negative: Sequence[str],
    proposer: Proposer,
    verifier: Verifier,
    n_hypotheses: int = 20,
    heldout_fraction: float = 0.5,
    top_k: int = 5,
    seed: int = 0,
    rerank: bool = True,
    report: ProgressFn | None = None,
    **options: Any,
) -> list[RankedHypothesis]:
    """Ranked hypotheses of how `positive` (D1) differs from `negative` (D0); see describe_in_detail."""
    return describe_in_detail(
        positive,
        negative,
        proposer,
        verifier,
        n_hypotheses,
        heldout_fraction,
        top_k,
        seed,
        rerank,
        report,
        **options,
    ).rows


def describe_in_detail(
    positive: Sequence[str],
    negative: Sequence[str],
    proposer: Proposer,
    verifier: Verifier,
    n_hypotheses: int = 20,
    heldout_fraction: float = 0.5,
    top_k: int = 5,
    seed: int = 0,
    rerank: bool = True,
    report: ProgressFn | None = None,
    blocks: int = 1,
    featurizer: str = "tfidf",
    encoder_path: str | Path | None = None,
    n_boot: int = N_BOOT,
) -> Description:
    """Everything `describe` computes, with the classifier's diagnostics, call counts and timings.

    `blocks` > 1 verifies the held-out samples in that many blocks with elimination (keeping at
    least `top_k`); `featurizer` ("tfidf" or "minilm", with `encoder_path`) picks the
    representativeness classifier's features."""
    if not 0.0 < heldout_fraction < 1.0:
        raise ValueError("heldout_fraction must be between 0 and 1")
    progress = report or (lambda fraction, message: None)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    rng = np.random.default_rng(seed)
    propose_pos, held_pos = split_halves(list(positive), heldout_fraction, rng)
    propose_neg, held_neg = split_halves(list(negative), heldout_fraction, rng)
    split = {
        "proposal_positive": len(propose_pos),
        "proposal_negative": len(propose_neg),
        "heldout_positive": len(held_pos),
        "heldout_negative": len(held_neg),
    }
    progress(0.05, "ranking representative samples")
    extra = {"encoder_path": encoder_path} if encoder_path else {}
    rep = representative_samples(propose_pos, propose_neg, featurizer=featurizer, seed=seed, **extra)
    seconds["representative"] = _lap(clock)

    progress(0.15, "proposing hypotheses")
    clock = time.perf_counter()
    proposed = proposer.propose(rep.positive, rep.negative, n_hypotheses, seed)
    hypotheses = distinct([h.strip() for h in proposed if h.strip()])[:n_hypotheses]
    seconds["propose"] = _lap(clock)

    progress(0.4, f"verifying {len(hypotheses)} hypotheses")
    clock = time.perf_counter()
    t1s, t0s, eliminated, calls, calls_all = _verify(
        hypotheses, held_pos, held_neg, verifier, blocks, top_k, seed, progress
    )
    seconds["verify"] = _lap(clock)

    progress(0.9, "computing statistics")
    clock = time.perf_counter()
    rows = []
    for index, (h, t1, t0) in enumerate(zip(hypotheses, t1s, t0s, strict=True)):
        ci = bootstrap_validity_ci(t1, t0, n_boot=n_boot, seed=seed)
        order = np.argsort(-t1, kind="stable")
        rows.append(
            RankedHypothesis(
                rank=0,
                hypothesis=h,
                validity=float(validity(t1, t0)),
                ci_low=ci.low,
                ci_high=ci.high,
                p_value=one_sided_t_test(t1, t0),
                p_holm=1.0,
                mean_positive=float(t1.mean()),
                mean_negative=float(t0.mean()),
                n_positive=len(t1),
                n_negative=len(t0),
                proposal_rank=index + 1,
                eliminated=index in eliminated,
                examples=[held_pos[i] for i in order[:3] if t1[i] >= 0.5],
            )
        )
    for row, adjusted in zip(rows, holm([r.p_value for r in rows]), strict=True):
        row.p_holm = adjusted
    if rerank:
        # Survivors first: an eliminated hypothesis was verified on fewer samples and shown worse.
        rows.sort(key=lambda r: (r.eliminated, -r.validity, r.proposal_rank))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    seconds["statistics"] = _lap(clock)
    progress(1.0, f"{len(rows)} hypotheses ranked")
    heldout = {"positive": held_pos, "negative": held_neg}
    return Description(rows, rep, split, heldout, calls, calls_all, seconds)


def _verify(
    hypotheses: list[str],
    held_pos: list[str],
    held_neg: list[str],
    verifier: Verifier,
    blocks: int,
    top_k: int,
    seed: int,
    progress: ProgressFn,
) -> tuple[list[np.ndarray], list[np.ndarray], set[int], int, int]:
    """T on held-out D1 and D0 per hypothesis, the eliminated ones, and the judgements spent."""
    n1 = len(held_pos)
    if not hypotheses:
        return [], [], set(), 0, 0
    if blocks <= 1:
        grid = verifier.scores(hypotheses, held_pos + held_neg)
        calls = grid.size
        return list(grid[:, :n1]), list(grid[:, n1:]), set(), calls, calls
    blocks = min(blocks, n1, len(held_neg))
    # Contiguous chunks, so the first j blocks of D1 are held_pos[:their total length].
    chunks = list(
        zip(
            np.array_split(np.arange(n1), blocks),
            np.array_split(np.arange(len(held_neg)), blocks),
            strict=True,
        )
    )

    def score_block(alive: list[int], block: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        pos, neg = block
        grid = verifier.scores(
            [hypotheses[i] for i in alive], [held_pos[i] for i in pos] + [held_neg[i] for i in neg]
        )
        progress(0.4 + 0.5 * (pos[-1] + 1) / n1, f"verified block of {len(pos) + len(neg)} samples")
        return grid[:, : len(pos)], grid[:, len(pos) :]

    result = blockwise_elimination(score_block, len(hypotheses), chunks, top_k, seed=seed)
    return (
        result.scores_positive,
        result.scores_negative,
        set(result.eliminated_after),
        result.calls,
        result.calls_without_elimination,
    )


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 3)


# --- the describe.run experiment ------------------------------------------------------------------

# verifier -> the describe.run parameter naming the model it loads
_MODEL_FIELDS = {"embedding": "encoder", "lm": "lm", "trained": "trained_verifier"}
# CorpusError.argument -> the describe.run parameter a form should point at
_CORPUS_FIELDS = {
    "path_a": "corpus_a",
    "path_b": "corpus_b",
    "text_field": "text_field",
    "label_field": "label_field",
}


def run(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """`describe.run`: describe how corpus A (D1) differs from corpus B (D0), or how the two label
    values of corpus A differ, and write report.json, report.md and validity.png/.svg."""
    from ml.describe.data import CorpusError, load_corpora
    from ml.describe.proposers import make_proposer
    from ml.describe.verifiers import make_verifier

    started = time.perf_counter()
    if not str(params["corpus_a"]).strip():
        raise ParamError("corpus_a", "give a JSONL or CSV file of texts")
    corpus_b = str(params.get("corpus_b") or "").strip() or None
    try:
        corpora = load_corpora(params["corpus_a"], corpus_b, params["text_field"], params["label_field"])
    except CorpusError as error:
        raise ParamError(_CORPUS_FIELDS[error.argument], str(error)) from None
    for group, texts in (("positive", corpora.positive), ("negative", corpora.negative)):
        if len(texts) < MIN_GROUP:
            where = "corpus_b" if group == "negative" and corpus_b else "corpus_a"
            raise ParamError(where, f"the {group} group has {len(texts)} texts; need at least {MIN_GROUP}")
    paths = _model_paths(params)
    rng = np.random.default_rng(params["seed"])
    positive = _subsample(corpora.positive, params["max_samples"], rng)
    negative = _subsample(corpora.negative, params["max_samples"], rng)

    report(0.02, "loading models")
    # A model that is there but will not load is a problem of the parameter that named it.
    try:
        verifier = make_verifier(params["verifier"], **paths)
    except (FileNotFoundError, ValueError) as error:
        raise ParamError(_MODEL_FIELDS[params["verifier"]], str(error)) from None
    try:
        proposer = make_proposer(params["proposer"], **paths)
    except (FileNotFoundError, ValueError) as error:
        raise ParamError("lm", str(error)) from None
    loading = _lap(started)
    description = describe_in_detail(
        positive,
        negative,
        proposer,
        verifier,
        n_hypotheses=params["n_hypotheses"],
        heldout_fraction=params["heldout_fraction"],
        top_k=params["top_k"],
        seed=params["seed"],
        rerank=params["rerank"],
        report=lambda f, m: report(0.05 + 0.85 * f, m),
        blocks=params["blocks"],
        featurizer=params["featurizer"],
        encoder_path=paths.get("encoder"),
    )
    report(0.92, "writing the report")
    rep = description.representative
    summary = {
        "params": params,
        "corpora": {
            "positive": len(corpora.positive),
            "negative": len(corpora.negative),
            "positive_label": corpora.positive_label,
            "negative_label": corpora.negative_label,
            "used_positive": len(positive),
            "used_negative": len(negative),
        },
        "split": description.split,
        "classifier": {
            "featurizer": rep.featurizer,
            "folds": rep.folds,
            "heldout_accuracy": round(rep.accuracy, 4),
            "heldout_auc": round(rep.auc, 4),
            "most_representative_positive": rep.top_positive[:5],
            "most_representative_negative": rep.top_negative[:5],
        },
        "verifier_calls": description.verifier_calls,
        "verifier_calls_without_elimination": description.verifier_calls_without_elimination,
        "seconds": {"load_models": loading, **description.seconds, "total": _lap(started)},
        "rows": [_rounded(row.to_dict()) for row in description.rows],
        "heldout": description.heldout,
    }
    workdir.mkdir(parents=True, exist_ok=True)
    json_path = workdir / "report.json"
    json_path.write_text(json.dumps(summary, indent=2))
    md_path = workdir / "report.md"
    md_path.write_text(markdown_report(summary))
    artifacts = [ArtifactOut(json_path, "metrics", "report.json"), ArtifactOut(md_path, "other", "report.md")]
    if description.rows:
        artifacts += [
            ArtifactOut(p, "plot", p.name) for p in plot_validity(description.rows, workdir / "validity")
        ]
    report(1.0, "done")
    top = summary["rows"][: params["top_k"]]
    metrics = {
        "top": [{k: r[k] for k in ("hypothesis", "validity", "ci_low", "ci_high", "p_holm")} for r in top],
        "hypotheses": len(description.rows),
        "significant_holm_0_05": sum(r.p_holm < 0.05 for r in description.rows),
        "classifier_heldout_auc": summary["classifier"]["heldout_auc"],
        "verifier_calls": description.verifier_calls,
        "verifier_calls_without_elimination": description.verifier_calls_without_elimination,
        "seconds": summary["seconds"]["total"],
    }
    return ExperimentResult(metrics, artifacts)


def _model_paths(params: dict[str, Any]) -> dict[str, str]:
    """The local model paths this run needs, checked; the encoder is optional for the
    discriminative proposer (it enables cluster hypotheses) and used when present."""
    needs_encoder = params["verifier"] in ("embedding", "trained") or params["featurizer"] == "minilm"
    needs_lm = "lm" in (params["proposer"], params["verifier"])
    paths: dict[str, str] = {}
    encoder = str(params["encoder"]).strip()
    if encoder and (Path(encoder) / "config.json").is_file():
        paths["encoder"] = encoder
    elif needs_encoder:
        raise ParamError("encoder", f"no local encoder directory (with a config.json) at {encoder!r}")
    if needs_lm:
        lm = str(params["lm"]).strip()
        if not lm or not Path(lm).exists():
            raise ParamError("lm", f"no local causal LM at {lm!r}")
        paths["lm"] = lm
    if params["verifier"] == "trained":
        trained = str(params["trained_verifier"]).strip()
        if not trained or not Path(trained).is_file():
            raise ParamError(
                "trained_verifier", f"give the file of a saved trained verifier (got {trained!r})"
            )
        paths["trained"] = trained
    return paths


def train_verifier(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """`describe.train_verifier`: fit a TrainedVerifier on yes/no judgements (JSONL rows with hypothesis,
    text and label 0/1, as the hypothesis study exports them), holding out a seeded share to measure it."""
    from ml.describe.verifiers import TrainedVerifier

    judgments = _read_judgments(params["judgments"])
    encoder = str(params["encoder"]).strip()
    if not (Path(encoder) / "config.json").is_file():
        raise ParamError("encoder", f"no local encoder directory (with a config.json) at {encoder!r}")
    rng = np.random.default_rng(params["seed"])
    order = rng.permutation(len(judgments))
    n_held = int(round(params["heldout_fraction"] * len(judgments)))
    held, train = [judgments[i] for i in order[:n_held]], [judgments[i] for i in order[n_held:]]
    if len({label for _, _, label in train}) < 2:
        raise ParamError("judgments", "the training share needs both yes (1) and no (0) judgements")
    report(0.1, f"fitting on {len(train)} judgements")
    verifier = TrainedVerifier(encoder, l2=params["l2"]).fit(train)
    metrics: dict[str, Any] = {"train": len(train), "heldout": len(held)}
    for name, rows in (("train", train), ("heldout", held)):
        if rows:
            probs = verifier.model.predict_proba(
                verifier.features([h for h, _, _ in rows], [t for _, t, _ in rows])
            )
            metrics[f"{name}_accuracy"] = round(float(np.mean((probs >= 0.5) == [y for _, _, y in rows])), 4)
    workdir.mkdir(parents=True, exist_ok=True)
    path = verifier.save(workdir / "verifier.npz")
    (workdir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    report(1.0, "verifier saved")
    return ExperimentResult(
        {**metrics, "verifier": str(path)},
        [
            ArtifactOut(path, "checkpoint", path.name),
            ArtifactOut(workdir / "metrics.json", "metrics", "metrics.json"),
        ],
    )


def _read_judgments(raw: str) -> list[tuple[str, str, int]]:
    path = Path(str(raw).strip()).expanduser()
    if not str(raw).strip() or not path.is_file():
        raise ParamError("judgments", f"no judgements file at {str(raw)!r}")
    judgments = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            judgments.append((str(row["hypothesis"]), str(row["text"]), int(row["label"])))
        except (ValueError, KeyError, TypeError):
            raise ParamError(
                "judgments", f"line {number} is not a JSON object with hypothesis, text and label 0/1"
            ) from None
        if judgments[-1][2] not in (0, 1):
            raise ParamError("judgments", f"line {number}: label must be 0 or 1")
    if len(judgments) < 4:
        raise ParamError("judgments", f"need at least 4 judgements, got {len(judgments)}")
    return judgments


def _subsample(texts: list[str], limit: int, rng: np.random.Generator) -> list[str]:
    if limit <= 0 or len(texts) <= limit:
        return texts
    return [texts[i] for i in sorted(rng.choice(len(texts), limit, replace=False))]


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


def markdown_report(summary: dict[str, Any]) -> str:
    """A readable table of the ranked hypotheses with the run's setting."""
    params, corpora, clf = summary["params"], summary["corpora"], summary["classifier"]
    labels = ""
    if corpora["positive_label"] is not None:
        labels = f" (label {corpora['positive_label']!r} vs {corpora['negative_label']!r})"
    lines = [
        "# How group A differs from group B",
        "",
        f"- Group A: {_count(corpora['positive'], corpora['used_positive'])}, "
        f"group B: {_count(corpora['negative'], corpora['used_negative'])}{labels}; "
        f"held out for verification: {summary['split']['heldout_positive']} and {summary['split']['heldout_negative']}.",
        f"- Proposer `{params['proposer']}`, verifier `{params['verifier']}`, seed {params['seed']}.",
        f"- A {clf['featurizer']} classifier separates the groups with held-out AUC {clf['heldout_auc']:.3f} "
        f"(accuracy {clf['heldout_accuracy']:.3f}, {clf['folds']}-fold).",
        f"- Verifier judgements: {summary['verifier_calls']} "
        f"(without elimination: {summary['verifier_calls_without_elimination']}).",
        "",
        "Validity = mean P(true) on group A minus on group B; 95% bootstrap interval; one-sided Welch "
        "p-value and its Holm adjustment over all hypotheses.",
        "",
        "| rank | each text from A ... | validity | 95% CI | p | p (Holm) | example from A |",
        "|---:|---|---:|---|---:|---:|---|",
    ]
    for row in summary["rows"]:
        example = _cell(row["examples"][0], 120) if row["examples"] else ""
        flag = " (eliminated)" if row["eliminated"] else ""
        lines.append(
            f"| {row['rank']} | {_cell(row['hypothesis'], 200)}{flag} | {row['validity']:+.3f} | "
            f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}] | {row['p_value']:.3g} | {row['p_holm']:.3g} | {example} |"
        )
    if not summary["rows"]:
        lines.append("| | the proposer found no hypotheses | | | | | |")
    return "\n".join(lines) + "\n"


def _count(total: int, used: int) -> str:
    return f"{total} texts" if used == total else f"{total} texts ({used} sampled)"


def _cell(text: str, limit: int) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot_validity(rows: Sequence[RankedHypothesis], out_stem: Path) -> list[Path]:
    """Horizontal bars of validity with their bootstrap intervals, best at the top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ml.experiments import save_figure

    fig = Figure(figsize=(8.0, 1.2 + 0.32 * len(rows)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(rows))[::-1]
    values = np.array([r.validity for r in rows])
    errors = np.array(
        [[max(0.0, r.validity - r.ci_low) for r in rows], [max(0.0, r.ci_high - r.validity) for r in rows]]
    )
    colours = ["#bbbbbb" if r.eliminated else ("#2b6cb0" if r.p_holm < 0.05 else "#90cdf4") for r in rows]
    ax.barh(y, values, xerr=errors, color=colours, capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels([_cell(r.hypothesis, 60) for r in rows], fontsize=8)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("validity: P(true | A) - P(true | B), 95% CI (dark: Holm p < 0.05)")
    fig.tight_layout()
    return save_figure(fig, out_stem)
