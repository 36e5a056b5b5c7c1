"""Personal things stay personal: a result about the person (KI-Pass status, refusal reasons,
open steps, access groups; `SkillResult.personal`) asked for in a channel or group chat goes to
that person's 1:1 chat with the bot; the shared conversation gets one neutral line that names no
status.

Why: a channel is read by all its members, and a colleague's expired KI-Pass or missing training
step there is the performance and behaviour monitoring the Dienstvereinbarung rules out.

How, as Teams does it: the Bot Connector's "create conversation" call (POST /v3/conversations)
with the bot, the user's Teams id and the tenant. For a 1:1 chat Teams hands back the existing
personal conversation (or starts one where the app is installed for the user), so there is no
id to remember. If the user never installed the app personally, or the connector refuses or is
slow, the shared line says how to open the personal chat — still nothing personal.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Final

from aiohttp import ClientError
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.pipeline import Outcome
from bot.withheld import (
    private_notice,
)
from skills.trace import Trace

log = logging.getLogger("kiw.personal")

# Inside Teams' budget for the turn; a slow connector gets the fallback line, not a hang.
PERSONAL_CHAT_DEADLINE_SECONDS: Final = 5.0


def tenant_of(activity: Activity) -> str | None:
    if activity.conversation and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    return str(tenant["id"]) if isinstance(tenant, dict) and tenant.get("id") else None


class PersonalChat:
    """Sends replies into the 1:1 chat of the person who wrote an activity."""

    def __init__(self, adapter: BotAdapter, bot_app_id: str) -> None:
        self.adapter = adapter
        self.bot_app_id = bot_app_id
        self.deadline_seconds = PERSONAL_CHAT_DEADLINE_SECONDS

    async def send(self, activity: Activity, reply: Activity) -> bool:
        """Send `reply` to the sender of `activity` in their 1:1 chat; False if that failed."""
        sender, bot = activity.from_property, activity.recipient
        if not sender or not sender.id or not bot or not bot.id or not activity.service_url:
            return False
        tenant = tenant_of(activity)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot.id, name=bot.name),
            members=[ChannelAccount(id=sender.id, aad_object_id=sender.aad_object_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )

        async def deliver(context: TurnContext) -> None:
            await context.send_activity(reply)

        try:
            async with asyncio.timeout(self.deadline_seconds):
                # CloudAdapter's signature (bot app id first), passed by position as it differs
                # from BotAdapter's parameter names.
                await self.adapter.create_conversation(
                    self.bot_app_id,
                    deliver,
                    parameters,
                    activity.channel_id,
                    activity.service_url,
                )
        except (HttpOperationError, ClientRequestError, ClientError, OSError, TimeoutError) as exc:
            # Typical: 403 when the app is not installed for the user personally. No user id in
            # the log line; the status says enough for the admin.
            status = getattr(getattr(exc, "response", None), "status_code", None)
            log.warning(
                "personal message not sent (%s%s); the shared conversation says how to open "
                "the 1:1 chat",
                type(exc).__name__,
                f", HTTP {status}" if status else "",
            )
            return False
        return True

    async def keep_private(
        self, output: Outcome, activity: Activity, personal_reply: Activity, trace: Trace
    ) -> Outcome:
        """For a personal result in a shared conversation: send `personal_reply` to the 1:1
        chat and return what the shared conversation gets instead (the neutral line)."""
        sent = await self.send(activity, personal_reply)
        trace.add("personal_chat", sent=sent)
        return replace(output, result=private_notice(sent, self.bot_app_id), withheld=False)
