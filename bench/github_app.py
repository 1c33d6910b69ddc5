"""GitHub App mode's request economy, against the local GitHub fake (no timing targets).

- installation tokens: 100 concurrent requests for one installation's token mint once;
- API checks: the second analysis of an unchanged repository spends a fraction of the
  first's rate limit, its reads being conditional (ETag → 304, free on GitHub).

    python -m bench.github_app

Targets: 1 mint per 100 concurrent callers; the second run spends ≤ 10 % of the first.
"""

from __future__ import annotations

import asyncio

import aiohttp

from libs.github.app import GitHubApp
from services.worker.github_app.api_checks import api_checks
from tests.fakes.github import FakeGitHub
from tests.integration.github.test_api_checks import well_kept

CALLERS = 100
TARGET_SHARE = 0.10


async def main() -> None:
    fake = FakeGitHub()
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            key = fake.apps.create()
            app = GitHubApp(session, app_id=fake.apps.app_id, private_key=key, api_url=fake.api_url)
            installation = fake.apps.install("acme", [well_kept(fake)])
            await asyncio.gather(*(app.installation_token(installation.id) for _ in range(CALLERS)))
            mints = fake.apps.minted
            client = app.client(installation.id)
            before = fake.rate_remaining
            await api_checks(client, "acme/lib", "main")
            first = before - fake.rate_remaining
            before = fake.rate_remaining
            await api_checks(client, "acme/lib", "main")
            second = before - fake.rate_remaining
    finally:
        await fake.close()
    share = second / first
    print(f"{CALLERS} concurrent token requests: {mints} mint(s)")
    print(f"API checks: first run {first} requests counted, second run {second} ({share:.0%})")
    met = mints == 1 and share <= TARGET_SHARE
    verdict = "met" if met else "NOT met"
    print(f"targets (1 mint; second run ≤ {TARGET_SHARE:.0%} of the first): {verdict}")
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
