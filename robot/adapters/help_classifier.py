"""The understanding model's own opinion on whether an utterance is a call for help: a logistic regression on
sentence embeddings, learnt at load from the labelled examples in profiles/urgency/examples/.

Why a classifier and not only patterns: the urgency data (profiles/urgency/<lang>.yaml) is precise but only
hears phrasings someone wrote down; a resident's own words for "I don't feel right" or a dialect the data has
never seen still land near calls for help in the embedding space. The urgency detector uses this probability
only to ask ("Do you need help?") when no pattern matched, never to alert or to silence a pattern.

Fitting is Newton's method on the L2-penalised, class-balanced log-loss (about ten steps of a 385 x 385
solve): deterministic, well under a second for a few thousand examples, so it is refitted at every start
rather than stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

L2 = 1e-4
"""Penalty on the weights. Chosen by leave-one-set-out cross-validation over the three development sets
(2026-12-07): 1e-4 and 3e-5 ranked calls for help equally (AUC 0.946), 1e-3 worse (0.92)."""
_NEWTON_STEPS = 25
_TOLERANCE = 1e-8


class HelpClassifier:
    """P(call for help | embedding). Features are the embeddings centred on the examples' mean and
    re-normalised, so the direction that separates calls for help is not drowned by what all sentences share."""

    def __init__(self, embeddings: np.ndarray, urgent: Sequence[bool], l2: float = L2) -> None:
        labels = np.asarray(urgent, dtype=float)
        if embeddings.ndim != 2 or len(embeddings) != len(labels):
            raise ValueError(f"expected one embedding per label, got {embeddings.shape} for {len(labels)} labels")
        if labels.min(initial=1.0) == labels.max(initial=0.0):
            raise ValueError("the help classifier needs examples of both calls for help and other talk")
        self._centre = embeddings.mean(axis=0)
        self._weights = _fit(self._features(embeddings), labels, l2)

    def probability(self, embedding: np.ndarray) -> float:
        """The probability that the utterance with this embedding is a call for help."""
        return float(_sigmoid(self._features(embedding[None, :]) @ self._weights)[0])

    def _features(self, embeddings: np.ndarray) -> np.ndarray:
        centred = embeddings - self._centre
        normalised = centred / np.linalg.norm(centred, axis=-1, keepdims=True).clip(min=1e-6)
        return np.hstack([normalised, np.ones((len(normalised), 1))])      # the last weight is the bias


def _fit(features: np.ndarray, labels: np.ndarray, l2: float) -> np.ndarray:
    """Newton's method; each class weighs half of the loss, whatever its count."""
    positives = labels.mean()
    sample_weight = np.where(labels == 1.0, 0.5 / positives, 0.5 / (1.0 - positives)) / len(labels)
    penalty = np.full(features.shape[1], l2)
    penalty[-1] = 0.0                                                        # the bias is not penalised
    weights = np.zeros(features.shape[1])
    for _ in range(_NEWTON_STEPS):
        predicted = _sigmoid(features @ weights)
        gradient = features.T @ (sample_weight * (predicted - labels)) + penalty * weights
        curvature = (features * (sample_weight * predicted * (1.0 - predicted))[:, None]).T @ features
        step = np.linalg.solve(curvature + np.diag(penalty) + 1e-9 * np.eye(len(weights)), gradient)
        weights -= step
        if float(np.abs(step).max()) < _TOLERANCE:
            break
    return weights


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))
