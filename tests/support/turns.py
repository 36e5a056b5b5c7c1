"""Activities as Teams sends them, and a tiny Teams bot for adapter-level tests and benchmarks."""

from __future__ import annotations

import itertools
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

APP_ID = "00000000-0000-0000-0000-00000000b07a"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
_ids = itertools.count(1)

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
    """A personal-chat message activity as the Bot Connector posts it for Teams."""
    return {
        "type": "message",
        "id": f"activity-{next(_ids)}-{uuid.uuid4().hex[:8]}",
        "timestamp": "2026-11-27T06:00:00.000Z",
        "localTimestamp": "2026-11-27T07:00:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": channel_id,
        "from": {"id": user_id, "name": "Erika Mustermann", "aadObjectId": "aad-user-1"},
        "conversation": {
            "id": conversation_id or f"a:conv-{uuid.uuid4().hex[:12]}",
            "conversationType": "personal",
            "tenantId": TENANT_ID,
        },
        "recipient": {"id": f"28:{APP_ID}", "name": "KI-Assistent"},
        "textFormat": "plain",
        "locale": "de-DE",
        "text": text,
        "channelData": {"tenant": {"id": TENANT_ID}},
    }


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
