"""How long a run keeps trying a part: bounded attempts, exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How long one run keeps trying a part before it records a failure and moves on."""

    attempts: int = 5  # tries per part, the first included
    first_pause: float = 2.0  # seconds; doubled on each retry, with jitter
    longest_pause: float = 120.0
    longest_wait: float = 900.0  # a rate limit that resets later than this ends the run

    def pause(self, attempt: int) -> float:
        """Exponential backoff with jitter, so that many clients do not retry in step."""
        ceiling = min(self.longest_pause, self.first_pause * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
