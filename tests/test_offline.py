"""Nothing reaches the network at run time: indexing and asking work with every outbound socket refused."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import socket, sys
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or "/" in host):
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"network refused in test: {address!r}")

    socket.socket.connect = guarded
    socket.create_connection = lambda address, *a, **k: guarded(socket.socket(), address)
    from rag import Assistant
    a = Assistant(home=sys.argv[1])
    ans = a.ask("How long do Chinese rare-earth export licences last today?")
    assert not ans.abstained, ans.text
    print("attempts", attempts)
    sys.exit(1 if attempts else 0)
    """
)


def test_index_and_ask_without_network(tmp_path: Path, repo: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "home")], capture_output=True, text=True, cwd=repo, timeout=600
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "attempts []" in out.stdout
