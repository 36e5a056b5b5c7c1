"""The help card's mention example uses the name Teams sends for the bot (issue 15 item 7): the
Playground calls it "Test Bot", a tenant may rename the app; the manifest name is only the
fallback when Teams sends no name."""

from __future__ import annotations

from typing import Any, cast

from bot.render.text import result_text
from skills import help as help_skill
from skills.context import SkillContext
from skills.registry import all_skills
from skills.types import SkillRequest
from tests.bot.kit import BotUnderTest
from tests.bot.teams.test_handler_playground import bot, replay  # noqa: F401 - the fixture

# Help needs nothing of the context but the registry the composition root passed on.
CTX = SkillContext(
    index=cast(Any, None), generator=cast(Any, None), directory=cast(Any, None), skills=all_skills()
)


def _card_text(reply_body: dict[str, Any]) -> str:
    card = reply_body["attachments"][0]["content"]
    return " ".join(str(el.get("text", "")) for el in card["body"])


async def test_channel_help_names_the_bot_as_the_mention_did(bot: BotUnderTest) -> None:  # noqa: F811
    await replay(bot, "channel-message-mention")  # "<at>Test Bot</at> hilfe"
    [reply] = bot.connector.messages()
    text = _card_text(reply.body)
    assert "„@Test Bot suche Radverkehr“" in text
    assert "@KI-Assistent" not in text


async def test_personal_help_names_the_bot_as_the_recipient(bot: BotUnderTest) -> None:  # noqa: F811
    activity = await replay(bot, "personal-message-hilfe")
    assert not [e for e in activity.get("entities", []) if e.get("type") == "mention"]
    [reply] = bot.connector.messages()
    assert "„@Test Bot suche Radverkehr“" in _card_text(reply.body)


async def test_help_falls_back_to_the_manifest_name() -> None:
    result = await help_skill.run(SkillRequest(text=""), ctx=CTX)
    assert "„@KI-Assistent suche Radverkehr“" in result_text(result)
    renamed = await help_skill.run(SkillRequest(text="", bot_name="Rathaus-KI"), ctx=CTX)
    assert "„@Rathaus-KI suche Radverkehr“" in result_text(renamed)
    assert renamed.as_json()["bot_name"] == "Rathaus-KI"
