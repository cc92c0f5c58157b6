"""PRM-guided beam search with lookahead, batched across prompts (Snell et al. 2024, section 5).

With budget N and beam width M, for every prompt at once:

1. sample N first steps and score each with the PRM;
2. keep the best N/M candidates; those that finished (wrote an answer) join the finished pool;
3. sample M next steps from each unfinished survivor, so N candidates again; repeat up to
   `max_rounds` rounds;
4. pick the answer by weighted best-of-N over the finished pool.

Lookahead(k) scores a candidate by the PRM at the end of a greedy (temperature 0) rollout of up to k
more steps from it; the rollout itself is thrown away. Beam search is k = 0; the cost is N * (k + 1)
step generations per round.

Each round makes one batched call to the sampler for every live prefix of every prompt (and one per
lookahead step), never one call per prompt. The policy and the PRM come in as two functions, so the
same code runs a real LM and PRM or a hand-built toy.

Every prefix gets its own sampling seed, a hash of (seed, round, prompt text, the candidate's index
among that prompt's samples), never of its position in the batch: a prompt's result is the same
whether it is searched alone or with others (given a sampler that honours per-row seeds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# sample_steps(prefixes, temperature, seeds) -> [(step text, tokens spent, finished)] for each prefix,
# where seeds holds one seed per prefix and a prefix's step may depend only on it and its seed
StepSampler = Callable[[list[str], float, list[int]], list[tuple[str, int, bool]]]
# score(rows) -> one score per (prompt, steps) row: the PRM's aggregated score of that partial solution
PrefixScorer = Callable[[list[tuple[str, list[str]]]], list[float]]


@dataclass
class Candidate:
    steps: list[str]
    score: float = 0.0
    finished: bool = False


@dataclass
class BeamResult:
    finished: list[Candidate] = field(default_factory=list)
    generated_steps: int = 0  # step generations spent on this prompt, lookahead included
    generated_tokens: int = 0


def beam_search(
    prompts: Sequence[str],
    sample_steps: StepSampler,
    score: PrefixScorer,
    n: int,
    m: int,
    lookahead: int = 0,
    max_rounds: int = 40,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[BeamResult]:
    if n < 1 or m < 1 or n % m:
        raise ValueError(f"beam width m={m} must divide the budget n={n}")
    if lookahead < 0 or max_rounds < 1:
        raise ValueError("lookahead must be >= 0 and max_rounds >= 1")
    keep = n // m
    results = [BeamResult() for _ in prompts]
    # the live candidates of every prompt; round 0 expands an empty solution n times
    live: list[list[Candidate]] = [[Candidate([])] for _ in prompts]
    fan_out = [n] * len(prompts)
    for round_ in range(max_rounds):
        owners: list[tuple[int, Candidate]] = []
        seeds: list[int] = []
        for p, cands in enumerate(live):
            expanded = [c for c in cands for _ in range(fan_out[p])]
            owners += [(p, c) for c in expanded]
            seeds += [_row_seed(seed, round_, "step", j, prompts[p]) for j in range(len(expanded))]
        if not owners:
            break
        prefixes = [prompts[p] + "".join(c.steps) for p, c in owners]
        sampled = sample_steps(prefixes, temperature, seeds)
        new: list[list[Candidate]] = [[] for _ in prompts]
        for (p, parent), (text, tokens, finished) in zip(owners, sampled, strict=True):
            new[p].append(Candidate([*parent.steps, text], finished=finished))
            results[p].generated_steps += 1
            results[p].generated_tokens += tokens
        flat = [(p, c) for p, cands in enumerate(new) for c in cands]
        scores = _lookahead_scores(prompts, flat, sample_steps, score, lookahead, results, seed, round_)
        for (_, candidate), value in zip(flat, scores, strict=True):
            candidate.score = value
        for p, cands in enumerate(new):
            best = sorted(cands, key=lambda c: -c.score)[:keep]  # stable: ties keep sampling order
            results[p].finished += [c for c in best if c.finished]
            live[p] = [c for c in best if not c.finished]
            fan_out[p] = m
    for p, cands in enumerate(live):  # out of rounds: what is left counts, unfinished
        results[p].finished += cands
    return results


def _row_seed(seed: int, round_: int, tag: str, index: int, prompt: str) -> int:
    """A 64-bit sampling seed for one prefix. blake2b, not hash(): str hashes are salted per process."""
    key = f"{seed}\x1f{round_}\x1f{tag}\x1f{index}\x1f{prompt}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def _lookahead_scores(
    prompts: Sequence[str],
    flat: list[tuple[int, Candidate]],
    sample_steps: StepSampler,
    score: PrefixScorer,
    lookahead: int,
    results: list[BeamResult],
    seed: int,
    round_: int,
) -> list[float]:
    """The PRM score after up to `lookahead` greedy steps from each candidate (all rolled out together)."""
    rollouts = [list(c.steps) for _, c in flat]
    done = [c.finished for _, c in flat]
    # each candidate's index among its prompt's candidates (flat is grouped by prompt)
    first: dict[int, int] = {}
    for i, (p, _) in enumerate(flat):
        first.setdefault(p, i)
    index = [i - first[p] for i, (p, _) in enumerate(flat)]
    for step in range(lookahead):
        active = [i for i, d in enumerate(done) if not d]
        if not active:
            break
        prefixes = [prompts[flat[i][0]] + "".join(rollouts[i]) for i in active]
        seeds = [_row_seed(seed, round_, f"lookahead{step}", index[i], prompts[flat[i][0]]) for i in active]
        for i, (text, tokens, finished) in zip(active, sample_steps(prefixes, 0.0, seeds), strict=True):
            rollouts[i].append(text)
            done[i] = finished
            results[flat[i][0]].generated_steps += 1
            results[flat[i][0]].generated_tokens += tokens
    return score([(prompts[p], steps) for (p, _), steps in zip(flat, rollouts, strict=True)])


def lm_step_sampler(model, tokenizer, batch_size: int = 256) -> StepSampler:
    """A causal LM as the step sampler (one batched KV-cache decode per call)."""
    from ml.search.policy import sample_next_steps

    def sample_steps(
        prefixes: list[str], temperature: float, seeds: list[int]
    ) -> list[tuple[str, int, bool]]:
        return sample_next_steps(
            model, tokenizer, prefixes, temperature=temperature, batch_size=batch_size, row_seeds=seeds
        )

    return sample_steps


def prm_prefix_scorer(scorer, tokenizer, aggregation: str = "last", batch_size: int = 256) -> PrefixScorer:
    """A StepScorer as the prefix scorer, its step scores reduced by `aggregation` (last, min, prod)."""
    from ml.search.select import aggregate
    from ml.search.verifiers import score_steps

    def score(rows: list[tuple[str, list[str]]]) -> list[float]:
        return [
            aggregate(s, aggregation) for s in score_steps(scorer, tokenizer, rows, batch_size=batch_size)
        ]

    return score
