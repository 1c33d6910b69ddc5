"""`sudo` for a job whose steps run unprivileged: a runner's user has passwordless sudo.

This machine may have no sudo, and the rehearsal's user has no sudoers entry either way,
so the job's `sudo` is a small client (`CLIENT`, first on PATH) that hands its command,
working directory, environment and standard streams over a Unix socket to a broker in
the rehearsal (root), which runs the command as root. The socket belongs to the job's
user alone (mode 600, and the broker checks the peer's uid). As sudo's `env_reset` and
`secure_path` do on GitHub's image, the command gets root's HOME, USER and a system PATH;
the rest of the step's environment is kept (workflows pass -E). When the client dies (the
step killed at its time limit), the broker kills the command.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import threading
from pathlib import Path

SECURE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin"

CLIENT = r"""#!/usr/bin/python3 -I
# sudo (rehearsal): runs the command as root through the rehearsal's broker.
import json, os, socket, sys
args = sys.argv[1:]
while args:
    a = args[0]
    if a in ("-E", "-H", "-n", "-S", "-k", "--preserve-env") or a.startswith("--preserve-env="):
        args = args[1:]
    elif a == "-u":
        if args[1:2] not in (["root"], ["#0"]):
            sys.exit("sudo (rehearsal): only -u root")
        args = args[2:]
    elif a == "--":
        args = args[1:]
        break
    else:
        break
if not args:
    sys.exit("usage: sudo command")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(SOCKET)
socket.send_fds(s, [b"x"], [0, 1, 2])
body = json.dumps({"argv": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
s.sendall(len(body).to_bytes(8, "big") + body)
answer = b""
while not answer.endswith(b"\n") and (chunk := s.recv(64)):
    answer += chunk
sys.exit(int(answer.strip() or b"1"))
"""


class Broker:
    """Runs the job's `sudo` commands as root while the job lasts."""

    def __init__(self, socket_path: Path, uid: int, gid: int) -> None:
        """`socket_path`: short, a Unix socket's path has at most 107 bytes."""
        self.uid = uid
        self.socket_path = socket_path
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.socket_path))
        os.chown(self.socket_path, uid, gid)
        os.chmod(self.socket_path, 0o600)
        self._server.listen(16)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def client(self, shims: Path) -> None:
        """Put the `sudo` client in `shims`."""
        shims.mkdir(parents=True, exist_ok=True)
        target = shims / "sudo"
        target.write_text(CLIENT.replace("SOCKET", repr(str(self.socket_path)), 1))
        target.chmod(0o755)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with contextlib.suppress(OSError):
            self.socket_path.unlink()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        fds: list[int] = []
        with connection:
            try:
                credentials = connection.getsockopt(
                    socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
                )
                _, peer_uid, _ = struct.unpack("3i", credentials)
                if peer_uid not in (self.uid, 0):
                    return
                _, fds, _, _ = socket.recv_fds(connection, 1, 3)
                size = int.from_bytes(_exactly(connection, 8), "big")
                request = json.loads(_exactly(connection, size))
                code = self._run(request, fds, connection)
                connection.sendall(f"{code}\n".encode())
                connection.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError, KeyError, TypeError):
                return
            finally:
                for fd in fds:
                    with contextlib.suppress(OSError):
                        os.close(fd)

    def _run(self, request: dict[str, object], fds: list[int], connection: socket.socket) -> int:
        argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
        given = request.get("env")
        env = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
        env.update(
            {
                "PATH": SECURE_PATH,
                "HOME": "/root",
                "USER": "root",
                "LOGNAME": "root",
                "SUDO_USER": env.get("USER", ""),
                "SUDO_UID": str(self.uid),
                "SUDO_COMMAND": " ".join(argv),
            }
        )
        try:
            process = subprocess.Popen(
                argv,
                cwd=str(request.get("cwd") or "/"),
                env=env,
                stdin=fds[0],
                stdout=fds[1],
                stderr=fds[2],
                start_new_session=True,
            )
        except OSError as exc:
            os.write(fds[2], f"sudo: {argv[0]}: {exc.strerror or exc}\n".encode())
            return 1

        def watch() -> None:
            # The client closing its end (killed with the step) ends the command too.
            with contextlib.suppress(OSError):
                connection.recv(1)
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)

        threading.Thread(target=watch, daemon=True).start()
        code = process.wait()
        return code if code >= 0 else 128 - code


def _exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise ValueError("the sudo client went away")
        data += chunk
    return data
