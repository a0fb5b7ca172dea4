"""A deliberately sloppy test: it passes, yet its client breaks the provider's rules.

It is here to show what `--sora-mock-report` tells a team (docs/variants-and-report.md): the
fields the provider ignores, the values it normalizes, a VIP-only input silently dropped, the
tasks that were created and never polled to their end, and a webhook nobody acknowledged all
pass unseen by the assertions below.
"""

from __future__ import annotations

import pytest
from test_video_client import MODEL, PROMPT, FakeSleep, client_for
from video_client import BadRequest

from sora_mock.testing.client import SoraMock


async def test_three_videos_one_of_them_watched(sora_mock: SoraMock) -> None:
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep) as client:
        with pytest.raises(BadRequest):  # a typo the client's caller made: it is refused
            await client.create(model=MODEL, prompt=PROMPT, aspectRatio="wide")
        # `size` is for the Pro models only, and 12 frames are not offered: both pass quietly
        video = await client.generate(model=MODEL, prompt=PROMPT, size="high", nFrames=12)
        # a private video needs a VIP account: this one is not, so the video will be public
        await client.create(model=MODEL, prompt=PROMPT, style="noir", isPublic=False)  # not polled
        # a webhook whose endpoint fails: nobody looks at the delivery or polls the task
        inbox = sora_mock.webhook_receiver(status=500)
        await client.create_video(model="sora-2", prompt=PROMPT, webhook=inbox.url)
        await sora_mock.aio.advance(5)

    assert video[4:8] == b"ftyp"
