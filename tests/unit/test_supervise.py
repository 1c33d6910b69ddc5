"""`autodevops dev`'s supervisor: a child that dies is restarted with growing delays."""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass, field

from services.cli.supervise import (
    HEALTHY_AFTER_S,
    RESTART_MAX_S,
    ServiceChild,
    Supervisor,
    stop_services,
)


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Flaky:
    """A child whose start fails `failures` times before it works."""

    name: str = "flaky"
    failures: int = 0
    running: bool = False
    starts: int = field(default=0)

    def start(self) -> None:
        self.starts += 1
        if self.failures:
            self.failures -= 1
            raise OSError("address in use")
        self.running = True

    def alive(self) -> bool:
        return self.running

    def describe_exit(self) -> str:
        return "is not running"


def _sleeper() -> ServiceChild:
    return ServiceChild("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], {})


def test_a_killed_process_is_started_again_after_the_delay() -> None:
    clock, said = Clock(), list[str]()
    child = _sleeper()
    child.start()
    supervisor = Supervisor([child], clock=clock, log=said.append)
    try:
        supervisor.check()
        assert said == []
        assert child.proc is not None
        first = child.proc.pid
        child.proc.send_signal(signal.SIGKILL)
        child.proc.wait(timeout=10)

        supervisor.check()
        assert said == ["sleeper killed by SIGKILL; restarting in 1 s"]
        assert not child.alive()
        clock.now += 1.0
        supervisor.check()
        assert child.alive()
        assert child.proc.pid != first
        assert said[-1] == "sleeper restarted (restart 1 in a row)"
    finally:
        stop_services([child])
    assert not child.alive()


def test_failures_in_a_row_double_the_delay_up_to_a_cap_and_are_forgotten() -> None:
    clock, said = Clock(), list[str]()
    child = Flaky(failures=7)
    supervisor = Supervisor([child], clock=clock, log=said.append)
    supervisor.check()  # found dead: first delay
    delays = []
    while not child.alive():
        state = supervisor._states["flaky"]
        assert state.restart_at is not None
        delays.append(state.restart_at - clock.now)
        clock.now = state.restart_at
        supervisor.check()
    assert delays == [1, 2, 4, 8, 16, RESTART_MAX_S, RESTART_MAX_S, RESTART_MAX_S]
    assert child.starts == 8
    assert "did not start (OSError: address in use)" in said[1]

    clock.now += HEALTHY_AFTER_S
    supervisor.check()  # up long enough: the next failure starts from 1 s again
    child.running = False
    supervisor.check()
    assert said[-1] == "flaky is not running; restarting in 1 s"


def test_a_clean_exit_is_restarted_too() -> None:
    said: list[str] = []
    child = ServiceChild("quick", [sys.executable, "-c", "pass"], {})
    child.start()
    assert child.proc is not None
    child.proc.wait(timeout=10)
    Supervisor([child], clock=time.monotonic, log=said.append).check()
    assert said == ["quick exited with code 0; restarting in 1 s"]
