"""The stream's timing on a clock the test moves (bot/teams/streaming.py): nothing before the
start delay, at most one update per interval with only the latest pending text sent, and the
final message keeping the same pace. Teams is a recording `send` here; the HTTP path is in
test_streaming.py."""

from __future__ import annotations

import asyncio

from botbuilder.schema import Activity, ResourceResponse

from bot.teams.streaming import TeamsStream
from tests.support.clock import ManualClock, settle


class Teams:
    """Records what the stream sends, with the clock's time; answers with a stream id."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, str, str]] = []  # (time, streamType, text)

    async def send(self, activity: Activity) -> ResourceResponse:
        info = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        self.sent.append((self.clock.time(), info.get("streamType", ""), activity.text or ""))
        return ResourceResponse(id="stream-1")

    def at(self) -> list[tuple[float, str, str]]:
        start = 1_000.0  # ManualClock's
        return [(round(t - start, 3), kind, text) for t, kind, text in self.sent]


async def test_nothing_goes_out_before_the_start_delay(clock: ManualClock) -> None:
    teams = Teams(clock)
    stream = TeamsStream(teams.send, interval=1.5, start_after=1.0, clock=clock)
    await stream.inform("Ich suche …")
    await clock.advance(0.9)
    assert teams.sent == []  # an answer now would be one ordinary message
    await clock.advance(0.1)
    assert teams.at() == [(1.0, "informative", "Ich suche …")]
    await stream.close()


async def test_updates_keep_the_interval_and_only_the_latest_text_goes_out(
    clock: ManualClock,
) -> None:
    teams = Teams(clock)
    stream = TeamsStream(teams.send, interval=1.5, start_after=0.5, clock=clock)
    await stream.inform("Ich suche …")
    await clock.advance(0.5)
    for text in ("Nein", "Nein, das", "Nein, das ist"):  # written faster than the interval
        await stream.preview(text)
        await clock.advance(0.2)
    await clock.advance(1.0)  # 1.5 s after the progress line
    await stream.preview("Nein, das ist nicht erlaubt.")
    await clock.advance(1.0)
    assert teams.at() == [
        (0.5, "informative", "Ich suche …"),
        (2.0, "streaming", "Nein, das ist"),  # the two before it were replaced while waiting
    ]
    await clock.advance(0.5)
    assert teams.at()[-1] == (3.5, "streaming", "Nein, das ist nicht erlaubt.")
    assert stream.sequence == 3
    await stream.close()


async def test_the_final_message_keeps_the_pace(clock: ManualClock) -> None:
    teams = Teams(clock)
    stream = TeamsStream(teams.send, interval=1.5, start_after=0, clock=clock)
    await stream.inform("Ich suche …")
    await settle()
    assert teams.at() == [(0.0, "informative", "Ich suche …")]
    final = asyncio.create_task(stream.finish(Activity(type="message", text="Nein.")))
    await settle()  # it waits for the pace
    assert clock.pending() == [1.5]
    await clock.advance(1.4)
    assert len(teams.sent) == 1  # not yet: 1.5 s after the last update
    await clock.advance(0.1)
    assert await final is True
    assert teams.at()[-1] == (1.5, "final", "Nein.")
