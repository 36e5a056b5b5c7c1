"""Errors of the authentication boundary; the adapter maps them to HTTP statuses."""

from __future__ import annotations


class AuthError(PermissionError):
    """The request is not authenticated (-> HTTP 401). `reason` is plain English for the log.

    A subclass of PermissionError so SDK code paths that expect PermissionError (the only
    error type botbuilder maps to 401) treat it the same way.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SigningKeysUnavailable(Exception):
    """No signing keys could be loaded at all (metadata endpoint down at cold start -> 503)."""
