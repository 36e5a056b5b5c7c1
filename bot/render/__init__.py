"""Renderers: an `Outcome` of the turn pipeline drawn for one surface, without the Bot Framework.

`chat.py`: the Teams chat message (text with citations, Adaptive Card 1.5, AI label, feedback),
as plain Bot Framework activity JSON; bot/teams/replies.py wraps it into an SDK `Activity`,
`kiw chat` prints it. `outlook.py`: the message-extension cards (Adaptive Card 1.4, `Action.OpenUrl` only),
which Outlook renders too.
"""
