"""Verifiers: T(h, x), the probability that hypothesis h ("mentions a number") holds for text x.

Three kinds, each scoring a (hypotheses x texts) grid in batches:
- EmbeddingVerifier: cosine similarity of sentence embeddings through a fixed logistic. Crude but
  fast (one matrix product once the texts are embedded) and a serviceable baseline.
- LMVerifier: a causal LM asked "Is it true that this sentence <h>?"; P(yes) from its next-token
  distribution over Yes and No.
- TrainedVerifier: logistic regression on embedding features, fitted to yes/no judgements (for
  instance people's, collected by the web app).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ml.describe.encoder import DEFAULT_ENCODER, text_encoder
from ml.describe.logistic import LogisticModel, fit_logistic, sigmoid

DEFAULT_LM = "var/models/smollm2-135m-instruct"
# How a hypothesis is embedded: a predicate reads as a statement about a text. On probes with MiniLM
# this phrasing separated topical hypotheses better than the bare predicate.
HYPOTHESIS_TEMPLATE = "this text {h}"
QUESTION = 'Sentence: "{x}"\nIs it true that this sentence {h}? Answer Yes or No.'


class Verifier(Protocol):
    name: str

    def scores(self, hypotheses: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """P(h holds for x) in [0, 1], shape (len(hypotheses), len(texts))."""
        ...


class EmbeddingVerifier:
    """T(h, x) = sigmoid(slope * (cos(e(h), e(x)) - midpoint)).

    On our probes the cosine between MiniLM embeddings of "this text <h>" and a text was about 0 to
    0.1 for an unrelated topic and 0.2 to 0.6 for a matching one (a property of form, such as
    "mentions a number", moves it far less), so the defaults put P = 1/2 at cosine 0.15 and map 0
    to 0.1 and 0.3 to 0.9. The map is monotone, so it never reorders texts for one hypothesis;
    it sets how much a large cosine counts against a small one when validities are averaged.
    `calibrate` refits slope and midpoint to labelled judgements."""

    name = "embedding"

    def __init__(
        self,
        encoder_path: str | Path = DEFAULT_ENCODER,
        slope: float = 15.0,
        midpoint: float = 0.15,
        template: str = HYPOTHESIS_TEMPLATE,
        device: str | None = None,
    ):
        self.encoder = text_encoder(encoder_path, device)
        self.slope = slope
        self.midpoint = midpoint
        self.template = template

    def cosines(self, hypotheses: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        h = self.encoder.embed([self.template.format(h=h) for h in hypotheses])
        x = self.encoder.embed(texts)
        return np.clip(h @ x.T, -1.0, 1.0)

    def scores(self, hypotheses: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        return sigmoid(self.slope * (self.cosines(hypotheses, texts) - self.midpoint))

    def calibrate(self, judgments: Sequence[tuple[str, str, int]]) -> None:
        """Fit slope and midpoint by logistic regression of the labels on the cosine."""
        labels = _labels(judgments)
        cos = np.array([self.cosines([h], [x])[0, 0] for h, x, _ in judgments])
        model = fit_logistic(cos[:, None], labels, l2=1e-3)
        if model.weights[0] <= 0:
            raise ValueError("these judgements do not rise with the cosine; keeping the old mapping")
        self.slope = float(model.weights[0])
        self.midpoint = -model.bias / self.slope


class LMVerifier:
    """P(yes) from a causal LM asked whether the hypothesis holds for the sentence.

    With a chat template (instruct models) the question is the user's turn and the answer is the
    assistant's first token; otherwise a plain "Question: ... Answer:" prompt is completed. P(yes)
    = softmax over two options, each the log of the summed probability of its token spellings
    (Yes, " Yes", yes, " yes" against the same for No) that are single tokens. Prompts are batched
    with left padding, so each row's next token is in the last column."""

    name = "lm"

    def __init__(
        self,
        model_path: str | Path = DEFAULT_LM,
        device: str | None = None,
        batch_size: int = 16,
        max_text_chars: int = 1000,
    ):
        from ml.lm.loading import load_model

        self.model, self.tokenizer = load_model(model_path, device=device)
        self.batch_size = batch_size
        self.max_text_chars = max_text_chars
        self.chat = bool(getattr(self.tokenizer, "chat_template", None))
        self.yes_ids = self._single_tokens(("Yes", " Yes", "yes", " yes"))
        self.no_ids = self._single_tokens(("No", " No", "no", " no"))
        if not self.yes_ids or not self.no_ids:
            raise ValueError(f"{model_path}: the tokenizer has no single-token spelling of Yes or No")

    def _single_tokens(self, spellings: Sequence[str]) -> list[int]:
        ids = [self.tokenizer(s, add_special_tokens=False)["input_ids"] for s in spellings]
        return sorted({i[0] for i in ids if len(i) == 1})

    def prompt(self, hypothesis: str, text: str) -> str:
        text = " ".join(text.split())[: self.max_text_chars]  # one line, bounded length
        question = QUESTION.format(x=text, h=hypothesis)
        if self.chat:
            messages = [{"role": "user", "content": question}]
            return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return f"Question: {question}\nAnswer:"

    def scores(self, hypotheses: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        import torch

        # A chat-formatted prompt already holds its special tokens.
        prompts = [self.prompt(h, x) for h in hypotheses for x in texts]
        encoded = self.tokenizer(prompts, add_special_tokens=not self.chat)["input_ids"]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # similar lengths per batch
        flat = np.empty(len(encoded))
        pad = self.tokenizer.pad_token_id
        pad = pad if pad is not None else (self.tokenizer.eos_token_id or 0)
        device = self.model.device
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                width = max(len(encoded[i]) for i in rows)
                ids = torch.full((len(rows), width), pad, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    ids[r, width - len(encoded[i]) :] = torch.tensor(encoded[i])
                    mask[r, width - len(encoded[i]) :] = 1
                # Positions count real tokens only, so left padding does not shift them.
                positions = (mask.cumsum(-1) - 1).clamp(min=0)
                logits = self.model(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    position_ids=positions.to(device),
                    logits_to_keep=1,
                ).logits[:, -1]
                logp = logits.float().log_softmax(-1)
                yes = torch.logsumexp(logp[:, self.yes_ids], dim=-1)
                no = torch.logsumexp(logp[:, self.no_ids], dim=-1)
                flat[rows] = torch.sigmoid(yes - no).cpu().numpy()
        return flat.reshape(len(hypotheses), len(texts))


class TrainedVerifier:
    """Logistic regression on features of the embeddings u of "this text <h>" and v of the text:
    [u * v, |u - v|, cos(u, v)] (the pair features of sentence-pair classifiers such as InferSent),
    fitted to yes/no judgements (hypothesis, text, label)."""

    name = "trained"
    FORMAT = "assay-describe-trained-verifier/1"

    def __init__(
        self,
        encoder_path: str | Path = DEFAULT_ENCODER,
        l2: float = 1.0,
        template: str = HYPOTHESIS_TEMPLATE,
        device: str | None = None,
    ):
        self.encoder_path = str(encoder_path)
        self.encoder = text_encoder(encoder_path, device)
        self.l2 = l2
        self.template = template
        self.model: LogisticModel | None = None
        self.n_train = 0

    def features(self, hypotheses: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Pair features of hypotheses[i] with texts[i], shape (len, 2 * dim + 1)."""
        u = self.encoder.embed([self.template.format(h=h) for h in hypotheses])
        v = self.encoder.embed(texts)
        return np.hstack([u * v, np.abs(u - v), np.sum(u * v, axis=1, keepdims=True)])

    def fit(self, judgments: Sequence[tuple[str, str, int]]) -> TrainedVerifier:
        labels = _labels(judgments)
        x = self.features([h for h, _, _ in judgments], [t for _, t, _ in judgments])
        self.model = fit_logistic(x, labels, l2=self.l2)
        self.n_train = len(labels)
        return self

    def scores(self, hypotheses: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("this TrainedVerifier is not fitted: call fit() or TrainedVerifier.load()")
        grid = np.zeros((len(hypotheses), len(texts)))
        for row, h in enumerate(hypotheses):  # one hypothesis against every text at a time
            grid[row] = self.model.predict_proba(self.features([h] * len(texts), texts))
        return grid

    def save(self, path: str | Path) -> Path:
        """Write the fitted weights and settings to one .npz file at `path`."""
        if self.model is None:
            raise RuntimeError("nothing to save: the verifier is not fitted")
        path = Path(path)
        meta = {
            "format": self.FORMAT,
            "encoder_path": self.encoder_path,
            "template": self.template,
            "l2": self.l2,
            "n_train": self.n_train,
        }
        with path.open("wb") as handle:  # a handle, so numpy does not append .npz to the name
            np.savez(
                handle, weights=self.model.weights, bias=np.array(self.model.bias), meta=json.dumps(meta)
            )
        return path

    @classmethod
    def load(
        cls, path: str | Path, encoder_path: str | Path | None = None, device: str | None = None
    ) -> TrainedVerifier:
        """A fitted verifier from `save`; `encoder_path` overrides the encoder recorded in the file
        (it must be the same model, moved)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no trained verifier at {path}")
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            if meta.get("format") != cls.FORMAT:
                raise ValueError(f"{path} is not a trained verifier file ({meta.get('format')!r})")
            weights, bias = saved["weights"], float(saved["bias"])
        verifier = cls(encoder_path or meta["encoder_path"], meta["l2"], meta["template"], device)
        if len(weights) != 2 * verifier.encoder.dim + 1:
            raise ValueError(f"{path} was fitted on another encoder ({len(weights)} weights)")
        verifier.model = LogisticModel(weights, bias)
        verifier.n_train = meta["n_train"]
        return verifier


def _labels(judgments: Sequence[tuple[str, str, int]]) -> np.ndarray:
    labels = np.array([float(label) for _, _, label in judgments])
    if not len(labels) or not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("judgements are (hypothesis, text, label) with label 0 or 1")
    return labels


def _embedding(encoder: str | Path = DEFAULT_ENCODER, device: str | None = None, **_: Any) -> Verifier:
    return EmbeddingVerifier(encoder, device=device)


def _lm(lm: str | Path = DEFAULT_LM, device: str | None = None, **_: Any) -> Verifier:
    return LMVerifier(lm, device=device)


def _trained(
    trained: str | Path | None = None, encoder: str | Path | None = None, device: str | None = None, **_: Any
) -> Verifier:
    if not trained:
        raise ValueError("the trained verifier needs the path of a file written by TrainedVerifier.save")
    return TrainedVerifier.load(trained, encoder_path=encoder, device=device)


# name -> factory(**paths): paths are encoder=, lm=, trained= (a saved TrainedVerifier), device=.
VERIFIERS: dict[str, Callable[..., Verifier]] = {"embedding": _embedding, "lm": _lm, "trained": _trained}


def make_verifier(name: str, **paths: Any) -> Verifier:
    """A verifier by registry name; each takes the paths it needs and ignores the others."""
    if name not in VERIFIERS:
        raise ValueError(f"unknown verifier {name!r}; expected one of {sorted(VERIFIERS)}")
    return VERIFIERS[name](**{k: v for k, v in paths.items() if v is not None})
