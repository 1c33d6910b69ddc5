"""What `autodevops dev` runs, kept running: a child that dies is started again with backoff.

A child is a service process (api, worker, scheduler) or an embedded server (PostgreSQL,
Valkey). The supervisor looks at each every tick; a dead one is logged and restarted
after a delay that doubles with each failure in a row (RESTART_INITIAL_S up to
RESTART_MAX_S) and is forgotten once the child has stayed up for HEALTHY_AFTER_S.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

RESTART_INITIAL_S = 1.0
RESTART_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0
STOP_TIMEOUT_S = 10.0


class Child(Protocol):
    name: str

    def start(self) -> None: ...
    def alive(self) -> bool: ...
    def describe_exit(self) -> str: ...


class Server(Protocol):
    """An embedded server: libs.common.embedded.EmbeddedPostgres or EmbeddedRedis."""

    @property
    def pid(self) -> int | None: ...
    def alive(self) -> bool: ...
    def restart(self) -> None: ...


def _die_with_parent() -> None:
    # Linux: a child gets SIGTERM if `autodevops dev` dies, so nothing is left running.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class ServiceChild:
    """A service process, started with `command` in `env`."""

    name: str
    command: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.command, env=self.env, preexec_fn=_die_with_parent)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def describe_exit(self) -> str:
        code = self.proc.returncode if self.proc is not None else None
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)


@dataclass
class ServerChild:
    """An embedded server that runs on its own (already started by the caller)."""

    name: str
    server: Server
    started: bool = True

    def start(self) -> None:
        self.server.restart()

    def alive(self) -> bool:
        return self.server.alive()

    def describe_exit(self) -> str:
        return "is not running"


def _log(message: str) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
    print(f"{stamp} [supervisor] {message}", file=sys.stderr, flush=True)


@dataclass
class _State:
    failures: int = 0
    since: float = field(default_factory=time.monotonic)  # started (or found dead) at
    restart_at: float | None = None


@dataclass
class Supervisor:
    children: list[Child]
    clock: Callable[[], float] = time.monotonic
    log: Callable[[str], None] = _log
    _states: dict[str, _State] = field(default_factory=dict)

    def delay(self, failures: int) -> float:
        return float(min(RESTART_INITIAL_S * 2 ** max(failures - 1, 0), RESTART_MAX_S))

    def check(self) -> None:
        """One look at every child: schedule a restart for the dead, do those now due."""
        now = self.clock()
        for child in self.children:
            state = self._states.setdefault(child.name, _State(since=now))
            if state.restart_at is None:
                if child.alive():
                    if state.failures and now - state.since >= HEALTHY_AFTER_S:
                        state.failures = 0
                    continue
                state.failures += 1
                state.restart_at = now + self.delay(state.failures)
                self.log(
                    f"{child.name} {child.describe_exit()}; restarting in"
                    f" {self.delay(state.failures):.0f} s"
                )
            elif now >= state.restart_at:
                self._restart(child, state)

    def _restart(self, child: Child, state: _State) -> None:
        try:
            child.start()
        except Exception as exc:  # tried again later, with a longer delay
            state.failures += 1
            state.restart_at = self.clock() + self.delay(state.failures)
            self.log(
                f"{child.name} did not start ({type(exc).__name__}: {exc}); trying again"
                f" in {self.delay(state.failures):.0f} s"
            )
            return
        state.restart_at = None
        state.since = self.clock()
        self.log(f"{child.name} restarted (restart {state.failures} in a row)")


def stop_services(children: list[ServiceChild]) -> None:
    """SIGTERM every service, then SIGKILL what is still running after STOP_TIMEOUT_S."""
    for child in children:
        child.stop()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        proc = child.proc
        if proc is None:
            continue
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(deadline - time.monotonic(), 0.1))
        if proc.poll() is None:
            proc.kill()
            proc.wait()
