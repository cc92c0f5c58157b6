"""The oracle hook: who answers the agent in 20 Questions, Guess My City and Car Dealer.

The paper simulates these counterparts with fine-tuned LLMs; Assay's default oracles are knowledge-base
ones (attribute tables and a question parser). Anything with this one method can stand in for them,
including a local causal LM (LMOracle), or a person playing the counterpart in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ml.rl.envs.base import Turn


class Oracle(Protocol):
    def reply(self, task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
        """The counterpart's reply (one line, no trailing newline) to the agent's `utterance`, given the
        hidden `secret` (the object, the city, the buyer's profile) and the history so far."""
        ...
