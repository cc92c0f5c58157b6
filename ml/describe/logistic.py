"""L2-regularised logistic regression, small and exact enough for the classifiers here.

scikit-learn is not a dependency, so the model is fitted with torch's L-BFGS (strong Wolfe line
search) on the convex objective

    sum_i log(1 + exp(-s_i (x_i . w + b))) + l2 / 2 * |w|^2        (s_i = +1 / -1; b unpenalised)

which is scikit-learn's LogisticRegression(C = 1 / l2). float64 keeps the optimum sharp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class LogisticModel:
    weights: np.ndarray  # (features,)
    bias: float

    def decision(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) @ self.weights + self.bias

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(label = 1) for each row of x."""
        return sigmoid(self.decision(x))


def sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only, so large |z| neither overflows nor warns.
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, max_iter: int = 200) -> LogisticModel:
    """Fit P(y = 1 | x) = sigmoid(x . w + b) to rows x (n, d) and labels y in {0, 1}."""
    features = torch.as_tensor(np.asarray(x, dtype=np.float64))
    labels = np.asarray(y, dtype=np.float64)
    if features.ndim != 2 or len(features) != len(labels):
        raise ValueError(
            f"need x of shape (n, d) and n labels, got {tuple(features.shape)} and {len(labels)}"
        )
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    if len(np.unique(labels)) < 2:
        raise ValueError("need examples of both labels to fit a classifier")
    if l2 <= 0:
        raise ValueError("l2 must be positive")
    signs = torch.as_tensor(labels * 2.0 - 1.0)
    w = torch.zeros(features.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    n = len(labels)
    optimizer = torch.optim.LBFGS(
        [w, b],
        lr=1.0,
        max_iter=max_iter,
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        # Divided by n so the tolerances mean the same for any data size; the optimum is unchanged.
        margin = signs * (features @ w + b)
        loss = (torch.nn.functional.softplus(-margin).sum() + 0.5 * l2 * (w @ w)) / n
        loss.backward()
        return loss

    optimizer.step(closure)
    return LogisticModel(w.detach().numpy().copy(), float(b.detach()))
