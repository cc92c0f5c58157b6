"""An oracle that answers from a list of recorded replies: a person playing the counterpart.

The web app rebuilds a game on every request by replaying it; the person's earlier replies are fed back
in order. When the env asks for a reply the person has not given yet, `NeedsReply` is raised: the game
is waiting for the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml.rl.envs.base import Turn


class NeedsReply(Exception):
    """The counterpart's next reply has not been recorded yet (the game waits for the person)."""

    def __init__(self, utterance: str):
        super().__init__(f"waiting for the counterpart's reply to {utterance!r}")
        self.utterance = utterance


class ScriptedOracle:
    def __init__(self, replies: Sequence[str] = ()):
        self.replies = list(replies)
        self.used = 0
        self.secret: dict[
            str, Any
        ] = {}  # the last secret seen, for showing the person what they answer about

    def reply(self, task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
        self.secret = dict(secret)
        if self.used >= len(self.replies):
            raise NeedsReply(utterance)
        text = self.replies[self.used]
        self.used += 1
        return text
