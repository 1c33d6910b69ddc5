"""GCRA rate limiting in Redis, shared by every api replica (no fixed-window double burst).

Each policy allows `limit` requests per `window`, spread evenly: a client may use the whole
budget at once, then earns one request back every window/limit. The state is one
timestamp per (policy, subject) key (the "theoretical arrival time"), updated atomically
in Lua with the Redis server's clock, so replicas with skewed clocks agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from libs.common.redis import keys as redis_keys
from services.api.http.errors import AppError

# All buckets or none: a request refused by one policy spends nothing from the others.
GCRA_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local spend = ARGV[2 * #KEYS + 1] == '1'
local denied, retry, tightest, tightest_left, tightest_reset = 0, 0, 1, 1e18, 0
local tats = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local interval = period / limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if allow_at > now then
    denied = 1
    if allow_at - now > retry then retry = allow_at - now end
    new_tat = tat
  end
  tats[i] = new_tat
  local left = math.floor((period - (new_tat - now)) / interval)
  if left < tightest_left then
    tightest, tightest_left, tightest_reset = i, left, new_tat - now
  end
end
if denied == 0 and spend then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%.3f', tats[i]), 'PX', math.ceil(tats[i] - now) + 1)
  end
end
return {denied, math.ceil(retry), tightest, math.max(tightest_left, 0), math.ceil(tightest_reset)}
"""


class RateLimited(AppError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window_s: int

    @property
    def header(self) -> str:
        return f"{self.limit};w={self.window_s}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    policy: Policy
    remaining: int
    reset_s: int
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.policy.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": self.policy.header,
        }


async def check(
    redis: Redis, subject: str, chosen: list[Policy], *, spend: bool = True
) -> Decision:
    """Spend one request from every policy's bucket (or from none, when one is empty).

    With `spend=False` only look: would a request be allowed now?
    """
    script = redis.register_script(GCRA_SCRIPT)
    args: list[int] = []
    for policy in chosen:
        args += [policy.limit, policy.window_s * 1000]
    args.append(1 if spend else 0)
    reply = await script(keys=[redis_keys.rate_limit(p.name, subject) for p in chosen], args=args)
    denied, retry_ms, index, remaining, reset_ms = (int(v) for v in reply)
    return Decision(
        allowed=not denied,
        policy=chosen[index - 1],
        remaining=remaining,
        reset_s=math.ceil(reset_ms / 1000),
        retry_after_s=max(1, math.ceil(retry_ms / 1000)),
    )


def client_ip(request: web.Request, trusted_proxies: int) -> str:
    """The peer address, or the address our own proxies saw when there are any."""
    if trusted_proxies:
        # Every header line: some proxies add a line of their own rather than append to
        # the client's, and the client's first line would then be taken as the address.
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", ()))
        hops = [h.strip() for h in forwarded.split(",")]
        hops = [h for h in hops if h]
        if hops:
            return hops[-min(trusted_proxies, len(hops))]
    return request.remote or "unknown"


@dataclass(frozen=True)
class FailureBudget:
    """Failures (unknown tokens, bad signatures) one address may make per window.

    Only failures spend it, so good clients never notice: a credential is checked first,
    and only a failure is charged (429 once the budget is spent). Without Redis there is
    no budget.
    """

    redis: Redis
    subject: str
    policy: Policy

    async def charge(self, what: str) -> None:
        """Spend one failure; RateLimited once the budget is spent. For checks cheap
        enough to make first, so a good credential is never refused for others' failures
        from the same address (a NAT, a proxy)."""
        try:
            decision = await check(self.redis, self.subject, [self.policy])
        except (RedisError, OSError):
            return
        if not decision.allowed:
            error = RateLimited(
                f"Too many {what} from this address; retry in {decision.retry_after_s} s."
            )
            error.headers.update(decision.headers())
            error.headers["Retry-After"] = str(decision.retry_after_s)
            raise error
