"""Acting as a GitHub App: the app's JWT, and its installations' tokens and clients.

An installation token lives an hour. Each process keeps the tokens it minted and reuses
one until `margin_s` before it expires; concurrent requests for the same installation
share one mint (single flight), and a token GitHub refuses (401) is dropped and minted
again on the spot. The cache is only a saving: another replica mints its own tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import OrderedDict
from typing import Any

import aiohttp
import msgspec
from gidgethub import sansio

from libs.github.client import GitHubClient, split_name
from libs.github.errors import Forbidden, NotFound, NotInstalled, guarded
from libs.github.transport import RateGate, Transport

# Conditional GETs remembered per installation (an ETag, the body and the next page).
_ETAGS_PER_INSTALLATION = 256


class InstallationToken(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    expires_at: float  # epoch seconds

    def __repr__(self) -> str:
        return f"InstallationToken(expires_at={self.expires_at!r})"


class _Bounded(OrderedDict[str, Any]):
    """A least-recently-stored mapping with a cap (gidgethub's ETag cache)."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self._cap = cap

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self._cap:
            self.popitem(last=False)


class GitHubApp:
    """One GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY), on the caller's session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: int,
        private_key: str,
        api_url: str = sansio.DOMAIN,
        timeout_s: float = 30.0,
        margin_s: float = 300.0,
        gate: RateGate | None = None,
    ) -> None:
        self.app_id = app_id
        self.api_url = api_url.rstrip("/")
        self._session = session
        self._timeout_s = timeout_s
        self._margin_s = margin_s
        self._gate = gate
        # gidgethub signs the app's JWT with the key and renews it before it expires.
        self._api = Transport(
            session,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            app_id=str(app_id),
            private_key=private_key,
            base_url=self.api_url,
            gate=gate,
            principal=f"app:{app_id}",
        )
        self._tokens: dict[int, InstallationToken] = {}
        self._minting: dict[int, asyncio.Task[InstallationToken]] = {}
        self._etags: dict[int, _Bounded] = {}
        self.mints = 0  # tokens minted by this process (tests and metrics read it)

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self.app_id!r})"

    async def installation_token(self, installation_id: int) -> str:
        """A token for the installation, valid at least `margin_s` more seconds."""
        cached = self._tokens.get(installation_id)
        if cached is not None and cached.expires_at - self._margin_s > time.time():
            return cached.token
        task = self._minting.get(installation_id)
        if task is None:
            task = asyncio.create_task(self._mint(installation_id))
            self._minting[installation_id] = task
            task.add_done_callback(lambda _: self._minting.pop(installation_id, None))
        # shield: a cancelled caller must not cancel the mint the others are waiting on.
        return (await asyncio.shield(task)).token

    def expired(self, installation_id: int, token: str) -> None:
        cached = self._tokens.get(installation_id)
        if cached is not None and cached.token == token:
            del self._tokens[installation_id]

    async def _mint(self, installation_id: int) -> InstallationToken:
        try:
            data = await guarded(
                self._api.post(
                    "/app/installations/{installation_id}/access_tokens",
                    {"installation_id": str(installation_id)},
                    data=b"",
                )
            )
        except (NotFound, Forbidden) as exc:
            self._tokens.pop(installation_id, None)
            raise NotInstalled(
                f"the GitHub App is not installed (or is suspended) as installation "
                f"{installation_id}: {exc.message}",
                exc.status,
            ) from exc
        expires = dt.datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00"))
        minted = InstallationToken(token=str(data["token"]), expires_at=expires.timestamp())
        self._tokens[installation_id] = minted
        self.mints += 1
        return minted

    async def installation_for(self, full_name: str) -> int:
        """The id of the app's installation that covers `full_name`; NotInstalled if none."""
        owner, repo = split_name(full_name)
        try:
            data = await guarded(
                self._api.getitem(
                    "/repos/{owner}/{repo}/installation", {"owner": owner, "repo": repo}
                )
            )
        except NotFound as exc:
            raise NotInstalled(f"the GitHub App is not installed on {full_name}", 404) from exc
        return int(data["id"])

    def client(self, installation_id: int) -> GitHubClient:
        """GitHub's REST API as the installation: its token, its rate limits, its ETags."""
        return GitHubClient(
            self._session,
            token=None,
            api_url=self.api_url,
            timeout_s=self._timeout_s,
            auth=_InstallationAuth(self, installation_id),
            gate=self._gate,
            principal=f"installation:{installation_id}",
            cache=self._etags.setdefault(installation_id, _Bounded(_ETAGS_PER_INSTALLATION)),
        )


class _InstallationAuth:
    """The `TokenSource` of one installation's client."""

    def __init__(self, app: GitHubApp, installation_id: int) -> None:
        self._app = app
        self._installation_id = installation_id

    async def token(self) -> str:
        return await self._app.installation_token(self._installation_id)

    def expired(self, token: str) -> None:
        self._app.expired(self._installation_id, token)
