"""Domain errors a skill (or a request's options) raises: German words the user sees.

The turn pipeline (bot/pipeline.py) turns them into a reply and the code into the audit line's
reason; skills/types.py re-exports them beside the request and result.
"""

from __future__ import annotations


class SkillError(Exception):
    """A domain error with a German message the user sees; `code` goes to the audit log."""

    code = "skill_error"

    def __init__(self, user_message: str, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if code:
            self.code = code


class BadInput(SkillError):
    code = "bad_input"
