"""KIW_ALLRIS_HOST: one setting for link unfurling and the manifest, defaulted in local mode.

Under `make run` (local mode, no KIW_ALLRIS_HOST) a pasted link of the sample corpus unfurls
into its paper's card: the default is the host the samples link to.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.settings import SAMPLE_ALLRIS_HOST
from bot.settings_problems import load_settings
from tests.bot.audience_kit import (
    ALEX,
    REPO,
    TENANT,
    start_sample_bot,
)
from tests.bot.extension_kit import cards_in, invoke
from tests.manifest.conftest import APP_ID, BOT_DOMAIN, BOT_ID
from tests.support.connector import ConnectorRecorder

HAFEN = "https://allris.luebeck.de/public/vo020?VOLFDNR=14150"  # samples/council, VO/2026/14150


def test_the_default_is_the_host_the_samples_link_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIW_ALLRIS_HOST", raising=False)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    hosts = {
        m.group(1)
        for path in (REPO / "samples" / "council").glob("*.md")
        for m in re.finditer(r"^url: https://([^/\s]+)/", path.read_text("utf-8"), re.MULTILINE)
    }
    assert hosts == {SAMPLE_ALLRIS_HOST}
    assert load_settings(env_file=None).allris_host == SAMPLE_ALLRIS_HOST


def test_outside_local_mode_there_is_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment names its own ALLRIS; `kiw manifest build` then says the value is missing."""
    monkeypatch.delenv("KIW_ALLRIS_HOST", raising=False)
    for name, value in {
        "MicrosoftAppId": "00000000-0000-0000-0000-0000000000b0",
        "MicrosoftAppPassword": "secret",
        "MicrosoftAppTenantId": TENANT,
        "KIW_AUDIT_KEY": "k",
    }.items():
        monkeypatch.setenv(name, value)
    assert load_settings(env_file=None).allris_host == ""


@pytest.mark.parametrize(
    "given", ["Ratsinfo.Luebeck.de", "https://ratsinfo.luebeck.de/bi/", "ratsinfo.luebeck.de/bi"]
)
def test_a_url_or_a_host_with_path_is_reduced_to_the_host(given: str) -> None:
    assert load_settings(env_file=None, allris_host=given).allris_host == "ratsinfo.luebeck.de"


async def test_make_run_unfurls_a_sample_link(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    sample_data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KIW_ALLRIS_HOST", raising=False)
    bot = await start_sample_bot(aiohttp_client, connector, sample_data)  # no allris_host given
    activity = invoke("query_link.json", connector.service_url)
    activity["from"]["aadObjectId"] = ALEX
    activity["conversation"] = {
        "conversationType": "personal",
        "id": "a:alex-personal-chat",
        "tenantId": TENANT,
    }
    activity["channelData"] = {"tenant": {"id": TENANT}}
    activity["value"] = {"url": HAFEN}
    response = await bot.post(activity)
    assert response.status == 200, await response.text()
    [card] = cards_in(await response.json())
    assert card["body"][0]["text"] == "Mitteilung zur Hafenentwicklung Skandinavienkai"


def test_manifest_and_bot_read_the_same_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("KIW_TEAMS_APP_ID", "MicrosoftAppId", "KIW_BOT_DOMAIN", "KIW_ALLRIS_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    env = tmp_path / "prod.env"
    env.write_text(
        f"KIW_TEAMS_APP_ID={APP_ID}\nMicrosoftAppId={BOT_ID}\nKIW_BOT_DOMAIN={BOT_DOMAIN}\n"
        "KIW_ALLRIS_HOST=https://Allris.Example.de/bi/\n"
    )
    out = tmp_path / "pkg.zip"
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["manifest", "build", "--env", str(env), "--out", str(out), *data]) == 0, (
        capsys.readouterr().err
    )
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert "allris.example.de" in manifest["validDomains"]
    bot_settings = load_settings(
        env_file=env, microsoft_app_password="x", audit_key="k", microsoft_app_tenant_id=TENANT
    )
    assert bot_settings.allris_host == "allris.example.de"
