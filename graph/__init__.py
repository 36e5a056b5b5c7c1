"""Identity: who is this user, which groups, KI-Pass status (local file or Microsoft Graph)."""
