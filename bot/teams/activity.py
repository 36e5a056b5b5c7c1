"""What an incoming activity says about where it comes from: the conversation's scope, the
sender's Entra id, the tenant (and whether that tenant is allowed to use the bot)."""

from __future__ import annotations

import logging

from botbuilder.schema import Activity

from bot.settings import Settings
from skills.types import Scope

log = logging.getLogger("kiw.handler")


def conversation_scope(activity: Activity) -> Scope:
    kind = activity.conversation.conversation_type if activity.conversation else None
    if kind == "channel":
        return "team"
    if kind == "groupChat":
        return "groupChat"
    return "personal"


def aad_object_id(activity: Activity) -> str | None:
    sender = activity.from_property
    return (sender.aad_object_id or None) if sender else None


def tenant_claims(activity: Activity) -> tuple[str | None, str | None]:
    """(conversation.tenantId, channelData.tenant.id) as sent.

    botbuilder's ConversationAccount maps the key `tenantID`, but Teams sends `tenantId`, which
    the SDK leaves in `additional_properties`: read both spellings."""
    conversation = None
    if activity.conversation:
        extra = getattr(activity.conversation, "additional_properties", None) or {}
        conversation = activity.conversation.tenant_id or extra.get("tenantId")
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    channel_data = tenant.get("id") if tenant else None
    return (
        str(conversation) if conversation else None,
        str(channel_data) if channel_data else None,
    )


def tenant_conflict(activity: Activity) -> bool:
    """Both places name a tenant, and not the same one: a forged or confused activity."""
    conversation, channel_data = tenant_claims(activity)
    return bool(conversation and channel_data and conversation.lower() != channel_data.lower())


def tenant_id(activity: Activity) -> str | None:
    """The activity's tenant; None if it names none, or two different ones."""
    if tenant_conflict(activity):
        return None
    conversation, channel_data = tenant_claims(activity)
    return conversation or channel_data


def allowed_tenants(settings: Settings) -> frozenset[str] | None:
    """None = every tenant (local mode only). Outside local mode an empty list falls back to
    the app's own tenant; with neither, nobody is answered (fail closed)."""
    tenants = {t.lower() for t in settings.allowed_tenants}
    if not tenants and settings.local_mode:
        return None
    if not tenants and settings.microsoft_app_tenant_id:
        tenants = {settings.microsoft_app_tenant_id.lower()}
    if not tenants:
        log.error(
            "KIW_ALLOWED_TENANTS is empty and MicrosoftAppTenantId is not set: "
            "every activity will be rejected. Set KIW_ALLOWED_TENANTS."
        )
    return frozenset(tenants)


def tenant_allowed(allowed: frozenset[str] | None, activity: Activity) -> bool:
    """`allowed` from `allowed_tenants`."""
    if tenant_conflict(activity):
        return False  # refused even in local mode: no honest client sends two tenants
    if allowed is None:
        return True
    tenant = tenant_id(activity)
    return tenant is not None and tenant.lower() in allowed
