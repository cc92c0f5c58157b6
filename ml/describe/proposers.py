"""Proposers: candidate descriptions of how D1 differs from D0.

A hypothesis is a predicate completing "Compared to sentences from Group B, each sentence from
Group A ...", e.g. "mentions sports". Proposers are given each group's samples most representative
first (ml.describe.representative) and return up to n distinct hypotheses.

- LMProposer: the D3 prompt completed by a causal LM, several prompts with different samples.
- DiscriminativeProposer: no generative model; words and phrases that mark D1 (log-odds ratio with
  an informative Dirichlet prior), surface features (numbers, questions, negation, length, ...) and,
  with an encoder, topics of clusters of D1, each phrased as a hypothesis.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ml.describe.data import words

DEFAULT_LM = "var/models/smollm2-135m-instruct"
PROMPT_TAIL = "Compared to sentences from Group B, each sentence from Group A"


class Proposer(Protocol):
    name: str

    def propose(self, positive: Sequence[str], negative: Sequence[str], n: int, seed: int) -> list[str]:
        """Up to n distinct hypotheses that hold more often for `positive` (D1) than `negative` (D0).
        Both lists are ordered most representative first."""
        ...


def build_prompt(positive: Sequence[str], negative: Sequence[str]) -> str:
    """The D3 proposer prompt: Group A lines, a blank line, Group B lines, a blank line, the stem."""
    group_a = "\n".join(f"Group A: {_one_line(s)}" for s in positive)
    group_b = "\n".join(f"Group B: {_one_line(s)}" for s in negative)
    return f"{group_a}\n\n{group_b}\n\n{PROMPT_TAIL}"


def _one_line(text: str, limit: int = 300) -> str:
    # A newline inside a sample would end its "Group X:" line early.
    return " ".join(text.split())[:limit]


def clean_hypothesis(raw: str) -> str | None:
    """A completion tidied into a predicate ("mentions sports"), or None when it is not usable."""
    text = " ".join(raw.split()).strip(" \"'`:;,-.")
    if not text or not re.search(r"[A-Za-z]", text):
        return None
    if "group a" in text.lower() or "group b" in text.lower():
        return None  # the model restating the prompt, not describing the groups
    n_words = len(text.split())
    if n_words < 2 or n_words > 25:
        return None
    first = text.split()[0]
    if not (len(first) > 1 and first.isupper()):  # keep acronyms such as "NASA"
        text = text[0].lower() + text[1:]
    return text


def distinct(hypotheses: Sequence[str]) -> list[str]:
    """Hypotheses with case-insensitive duplicates removed, first occurrence kept."""
    seen: dict[str, str] = {}
    for h in hypotheses:
        seen.setdefault(h.lower(), h)
    return list(seen.values())


class LMProposer:
    """Hypotheses sampled from a causal LM given the D3 prompt.

    Each prompt shows `samples_per_group` samples per group drawn at random from the head of each
    ranking (the top `head_fraction`, at least `samples_per_group` samples); completions are sampled
    at `temperature` and stop at a newline or a full stop. Prompts are added, with fresh draws,
    until n distinct hypotheses are found or `max_rounds` rounds have run."""

    name = "lm"

    def __init__(
        self,
        model_path: str | Path = DEFAULT_LM,
        samples_per_group: int = 5,
        head_fraction: float = 0.2,
        temperature: float = 0.7,
        completions_per_prompt: int = 2,
        max_new_tokens: int = 24,
        max_rounds: int = 3,
        device: str | None = None,
    ):
        from ml.lm.loading import load_model

        self.model, self.tokenizer = load_model(model_path, device=device)
        self.samples_per_group = samples_per_group
        self.head_fraction = head_fraction
        self.temperature = temperature
        self.completions_per_prompt = completions_per_prompt
        self.max_new_tokens = max_new_tokens
        self.max_rounds = max_rounds
        self.prompts: list[str] = []  # every prompt of the last call, for reports

    def _head(self, ranked: Sequence[str]) -> list[str]:
        size = max(self.samples_per_group, math.ceil(self.head_fraction * len(ranked)))
        return list(ranked[:size])

    def propose(self, positive: Sequence[str], negative: Sequence[str], n: int, seed: int) -> list[str]:
        from ml.lm.generate import sample

        rng = np.random.default_rng(seed)
        heads = self._head(positive), self._head(negative)
        found: list[str] = []
        self.prompts = []
        for round_number in range(self.max_rounds):
            missing = n - len(found)
            if missing <= 0:
                break
            prompts = []
            for _ in range(math.ceil(missing / self.completions_per_prompt)):
                a, b = (
                    [
                        head[i]
                        for i in rng.choice(len(head), min(self.samples_per_group, len(head)), replace=False)
                    ]
                    for head in heads
                )
                prompts.append(build_prompt(a, b))
            self.prompts += prompts
            rows = len(prompts) * self.completions_per_prompt
            completions = sample(
                self.model,
                self.tokenizer,
                prompts,
                max_new_tokens=self.max_new_tokens,
                temperature=self.temperature,
                stop=("\n", "."),
                num_return_sequences=self.completions_per_prompt,
                # one seed per completion: reproducible whatever the batch layout
                row_seeds=[seed * 1_000_003 + round_number * 10_007 + i for i in range(rows)],
            )
            cleaned = [clean_hypothesis(c) for per_prompt in completions for c in per_prompt]
            found = distinct(found + [c for c in cleaned if c])
        return found[:n]


# --- the discriminative proposer ------------------------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself of off on once only or other our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves also s t d ll m re ve""".split()
)
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    thousand million billion dozen""".split()
)
NEGATIONS = frozenset("not no never nothing nobody none neither nor nowhere cannot".split())
FIRST_PERSON = frozenset("i me my mine myself we us our ours ourselves".split())


def _has_number(text: str) -> bool:
    return bool(re.search(r"\d", text)) or any(w in NUMBER_WORDS for w in words(text))


def _has_negation(text: str) -> bool:
    tokens = words(text)
    return any(w in NEGATIONS or w.endswith("n't") for w in tokens)


# (hypothesis when D1 has it more, hypothesis when D1 has it less, test)
SURFACE_FEATURES: tuple[tuple[str, str, Callable[[str], bool]], ...] = (
    ("mentions a number", "does not mention any number", _has_number),
    ("is a question", "is not a question", lambda t: "?" in t),
    ("contains an exclamation mark", "contains no exclamation mark", lambda t: "!" in t),
    ("contains a negation such as 'not'", "contains no negation", _has_negation),
    (
        "is written in the first person",
        "is not written in the first person",
        lambda t: any(w in FIRST_PERSON for w in words(t)),
    ),
    (
        "addresses the reader as 'you'",
        "does not address anyone as 'you'",
        lambda t: any(w in ("you", "your", "yours") for w in words(t)),
    ),
    (
        "contains a word in capital letters",
        "contains no word in capital letters",
        lambda t: bool(re.search(r"\b[A-Z]{2,}\b", t)),
    ),
    ("contains a link", "contains no link", lambda t: bool(re.search(r"https?://|www\.", t))),
    ("contains a quotation", "contains no quotation", lambda t: bool(re.search(r"[\"“”«»]", t))),
)


@dataclass(frozen=True)
class Candidate:
    hypothesis: str
    score: float  # share of D1 samples it holds for minus share of D0 samples, on the given samples
    source: str  # "surface", "word", "phrase", "words", "absent word", "cluster"


class DiscriminativeProposer:
    """Hypotheses from statistics of the samples, with no generative model.

    Terms (words, and word pairs as phrases) that mark D1 are found with the log-odds ratio with an
    informative Dirichlet prior (Monroe, Colaresi and Quinn 2008) over the number of texts that
    contain each term, the pooled counts serving as the prior; a term whose z-score passes `z_min`
    (one-sided 5% by default: these are only candidates, tested later on held-out samples)
    becomes "mentions 'x'", and the strongest are combined into "mentions 'x', 'y' or 'z'" while
    that widens the gap. Surface features and a length split are tested both ways. With an encoder,
    D1 is clustered (k-means on embeddings) and each cluster becomes "is about x, y or z" from its
    most distinctive words. Every candidate is scored by how much more often it holds on D1 than D0
    on these samples; the best of each kind is kept, the rest chosen by score."""

    name = "discriminative"

    def __init__(
        self,
        encoder_path: str | Path | None = None,
        z_min: float = 1.645,
        min_count: int = 2,
        max_terms: int = 30,
        n_clusters: int = 5,
        device: str | None = None,
    ):
        self.encoder_path = encoder_path
        self.device = device
        self.z_min = z_min
        self.min_count = min_count
        self.max_terms = max_terms
        self.n_clusters = n_clusters

    def propose(self, positive: Sequence[str], negative: Sequence[str], n: int, seed: int) -> list[str]:
        return [c.hypothesis for c in self.candidates(positive, negative, n, seed)]

    def candidates(
        self, positive: Sequence[str], negative: Sequence[str], n: int, seed: int
    ) -> list[Candidate]:
        """The chosen hypotheses with their scores and kinds, best first."""
        if not positive or not negative:
            raise ValueError("both groups need samples")
        pos_terms = [_terms(t) for t in positive]
        neg_terms = [_terms(t) for t in negative]
        found = self._surface(positive, negative) + self._words(pos_terms, neg_terms)
        if self.encoder_path is not None:
            found += self._clusters(positive, pos_terms, neg_terms, seed)
        found = [c for c in found if c.score > 0]
        ranked = sorted(found, key=lambda c: (-c.score, c.hypothesis))
        # The best of each kind first, so one kind (often words) cannot crowd out the others.
        best_per_kind = list({c.source: c for c in reversed(ranked)}.values())
        chosen: dict[str, Candidate] = {}
        for c in sorted(best_per_kind, key=lambda c: (-c.score, c.hypothesis)) + ranked:
            if len(chosen) >= n:
                break
            chosen.setdefault(c.hypothesis.lower(), c)
        return sorted(chosen.values(), key=lambda c: (-c.score, c.hypothesis))

    def _surface(self, positive: Sequence[str], negative: Sequence[str]) -> list[Candidate]:
        found = []
        for more, less, test in SURFACE_FEATURES:
            gap = _rate(positive, test) - _rate(negative, test)
            found.append(Candidate(more if gap >= 0 else less, abs(gap), "surface"))
        lengths = [len(words(t)) for t in list(positive) + list(negative)]
        cut = int(np.median(lengths))
        gap = _rate(positive, lambda t: len(words(t)) > cut) - _rate(negative, lambda t: len(words(t)) > cut)
        phrase = f"is longer than {cut} words" if gap >= 0 else f"is {cut} words long or shorter"
        found.append(Candidate(phrase, abs(gap), "surface"))
        return found

    def _words(self, pos_terms: list[set[str]], neg_terms: list[set[str]]) -> list[Candidate]:
        z = log_odds_z(pos_terms, neg_terms, self.min_count)
        marks_d1 = [t for t, v in sorted(z.items(), key=lambda kv: (-kv[1], kv[0])) if v >= self.z_min]
        # Words marking D0 give "does not mention" hypotheses: less natural, so only a few, no phrases.
        marks_d0 = [
            t
            for t, v in sorted(z.items(), key=lambda kv: (kv[1], kv[0]))
            if v <= -self.z_min and " " not in t
        ][:5]
        marks_d1 = marks_d1[: self.max_terms]

        def gap(terms: Sequence[str]) -> float:
            return _coverage(pos_terms, terms) - _coverage(neg_terms, terms)

        found = [
            Candidate(
                f"uses the phrase '{t}'" if " " in t else f"mentions '{t}'",
                gap([t]),
                "phrase" if " " in t else "word",
            )
            for t in marks_d1
        ]
        found += [Candidate(f"does not mention '{t}'", -gap([t]), "absent word") for t in marks_d0]
        # Greedy unions of marking words, each group seeded by the strongest word not yet used.
        single = [t for t in marks_d1 if " " not in t]
        used: set[str] = set()
        for head in single:
            if head in used:
                continue
            group = [head]
            for other in single:
                if len(group) == 3:
                    break
                if other not in group and other not in used and gap([*group, other]) > gap(group):
                    group.append(other)
            used.update(group)
            if len(group) > 1:
                found.append(Candidate(f"mentions {_listing(group)}", gap(group), "words"))
        return found

    def _clusters(
        self, positive: Sequence[str], pos_terms: list[set[str]], neg_terms: list[set[str]], seed: int
    ) -> list[Candidate]:
        from ml.describe.encoder import text_encoder

        k = min(self.n_clusters, len(positive) // 5)
        if k < 2:
            return []
        vectors = text_encoder(self.encoder_path, self.device).embed(list(positive))
        assignment = kmeans(vectors, k, seed)
        found = []
        for cluster in range(k):
            members = [pos_terms[i] for i in np.flatnonzero(assignment == cluster)]
            z = log_odds_z(members, neg_terms, self.min_count)
            top = [
                t
                for t, v in sorted(z.items(), key=lambda kv: (-kv[1], kv[0]))
                if v >= self.z_min and " " not in t
            ][:3]
            if top:
                score = _coverage(pos_terms, top) - _coverage(neg_terms, top)
                found.append(Candidate(f"is about {_listing(top, quote=False)}", score, "cluster"))
        return found


def _terms(text: str) -> set[str]:
    """Content words and two-word phrases of content words: no stop words, no numbers (the number
    feature covers those)."""
    tokens = words(text)

    def content(w: str) -> bool:
        return len(w) > 1 and w not in STOPWORDS and not any(ch.isdigit() for ch in w)

    unigrams = {w for w in tokens if content(w)}
    pairs = {f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False) if content(a) and content(b)}
    return unigrams | pairs


def log_odds_z(
    pos_terms: Sequence[set[str]], neg_terms: Sequence[set[str]], min_count: int = 2, prior_scale: float = 0.5
) -> dict[str, float]:
    """z-scores of the log-odds ratio (D1 vs D0) of each term with an informative Dirichlet prior.

    Counts are texts containing the term (y1, y0); the prior is the pooled count, scaled:
    a = prior_scale * (y1 + y0), with a0 its total over all terms. Then
        delta = log((y1 + a) / (n1 + a0 - y1 - a)) - log((y0 + a) / (n0 + a0 - y0 - a)),
        var(delta) ~ 1/(y1 + a) + 1/(y0 + a),
    with n1, n0 the total counts of each group. The prior shrinks rare terms towards no difference;
    at full scale it outweighs the data of a small corpus, hence the default of one half. Terms in
    fewer than `min_count` texts overall are skipped."""
    y1 = Counter(t for terms in pos_terms for t in terms)
    y0 = Counter(t for terms in neg_terms for t in terms)
    n1, n0 = sum(y1.values()), sum(y0.values())
    a0 = prior_scale * (n1 + n0)
    z = {}
    for term in set(y1) | set(y0):
        if y1[term] + y0[term] < min_count:
            continue
        a = prior_scale * (y1[term] + y0[term])
        delta = math.log((y1[term] + a) / (n1 + a0 - y1[term] - a)) - math.log(
            (y0[term] + a) / (n0 + a0 - y0[term] - a)
        )
        z[term] = delta / math.sqrt(1.0 / (y1[term] + a) + 1.0 / (y0[term] + a))
    return z


def kmeans(vectors: np.ndarray, k: int, seed: int, iterations: int = 25) -> np.ndarray:
    """Cluster numbers from Lloyd's algorithm with k-means++ seeding (deterministic given seed)."""
    rng = np.random.default_rng(seed)
    centres = [vectors[rng.integers(len(vectors))]]
    for _ in range(1, k):
        distance = np.min([((vectors - c) ** 2).sum(axis=1) for c in centres], axis=0)
        total = distance.sum()
        pick = rng.choice(len(vectors), p=distance / total) if total > 0 else rng.integers(len(vectors))
        centres.append(vectors[pick])
    centre_matrix = np.stack(centres)
    assignment = np.zeros(len(vectors), dtype=int)
    for step in range(iterations):
        distances = ((vectors[:, None, :] - centre_matrix[None]) ** 2).sum(axis=2)
        new = distances.argmin(axis=1)
        if step > 0 and (new == assignment).all():
            break
        assignment = new
        for c in range(k):
            if (assignment == c).any():  # an emptied cluster keeps its old centre
                centre_matrix[c] = vectors[assignment == c].mean(axis=0)
    return assignment


def _rate(texts: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(map(test, texts)) / len(texts)


def _coverage(term_sets: Sequence[set[str]], terms: Sequence[str]) -> float:
    """Share of texts containing at least one of `terms`."""
    return sum(1 for s in term_sets if any(t in s for t in terms)) / len(term_sets)


def _listing(terms: Sequence[str], quote: bool = True) -> str:
    shown = [f"'{t}'" if quote else t for t in terms]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _lm_proposer(lm: str | Path = DEFAULT_LM, device: str | None = None, **_: Any) -> Proposer:
    return LMProposer(lm, device=device)


def _discriminative(encoder: str | Path | None = None, device: str | None = None, **_: Any) -> Proposer:
    return DiscriminativeProposer(encoder, device=device)


# name -> factory(**paths): paths are lm= (a causal LM), encoder= (optional, enables clusters), device=.
PROPOSERS: dict[str, Callable[..., Proposer]] = {"discriminative": _discriminative, "lm": _lm_proposer}


def make_proposer(name: str, **paths: Any) -> Proposer:
    """A proposer by registry name; each takes the paths it needs and ignores the others."""
    if name not in PROPOSERS:
        raise ValueError(f"unknown proposer {name!r}; expected one of {sorted(PROPOSERS)}")
    return PROPOSERS[name](**{k: v for k, v in paths.items() if v is not None})
