"""Activities as Teams sends them, and a tiny Teams bot for adapter-level tests and benchmarks."""

from __future__ import annotations

import uuid
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema.teams import (
    MessagingExtensionAttachment,
    MessagingExtensionQuery,
    MessagingExtensionResponse,
    MessagingExtensionResult,
)

from tests.bot.kit import message as kit_message

APP_ID = "00000000-0000-0000-0000-00000000b07a"
TENANT_ID = "11111111-2222-3333-4444-555555555555"

ECHO_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Echo", "wrap": True}],
}


def message(
    service_url: str,
    text: str = "hilfe",
    *,
    conversation_id: str | None = None,
    user_id: str = "29:user-1",
    channel_id: str = "msteams",
) -> dict[str, Any]:
    """A personal-chat message to the app APP_ID (auth ON), built by the kit's one builder."""
    return kit_message(
        text,
        service_url,
        user="aad-user-1",
        tenant=TENANT_ID,
        conversation_id=conversation_id or f"a:conv-{uuid.uuid4().hex[:12]}",
        sender_id=user_id,
        bot_id=f"28:{APP_ID}",
        channel_id=channel_id,
    )


def compose_extension_query(service_url: str, text: str = "Radverkehr") -> dict[str, Any]:
    activity = message(service_url, "")
    activity.pop("text")
    activity.update(
        type="invoke",
        name="composeExtension/query",
        value={
            "commandId": "searchAllris",
            "parameters": [{"name": "query", "value": text}],
            "queryOptions": {"skip": 0, "count": 25},
        },
    )
    return activity


class EchoTeamsBot(TeamsActivityHandler):
    """Stock-SDK bot: replies to each message with one Adaptive Card, answers a search query."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(
            MessageFactory.attachment(CardFactory.adaptive_card(ECHO_CARD))
        )

    async def on_teams_messaging_extension_query(
        self, turn_context: TurnContext, query: MessagingExtensionQuery
    ) -> MessagingExtensionResponse:
        text = str(query.parameters[0].value) if query.parameters else ""
        attachment = MessagingExtensionAttachment(
            content_type="application/vnd.microsoft.card.thumbnail",
            content={"title": f"Treffer für {text}"},
        )
        return MessagingExtensionResponse(
            compose_extension=MessagingExtensionResult(
                type="result", attachment_layout="list", attachments=[attachment]
            )
        )
