"""A service asked to stop answers the request it is working on, then stops at once.

A real process serving a real HTTP port (:func:`shared.runner.serve`), with a kept-alive
connection open beside the request in flight: SIGTERM must neither cut the answer short nor
leave the process polling that idle connection.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

from shared.broker import free_port
from tests.conftest import wait_until

pytestmark = pytest.mark.integration

SERVICE = textwrap.dedent(
    """
    import sys, time
    from shared.runner import serve

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            time.sleep(1.0)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"answered " + environ["PATH_INFO"].encode()]

    serve(app, "127.0.0.1", int(sys.argv[1]), [])
    """
)


def test_a_request_in_flight_is_answered_and_the_process_ends_promptly():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVICE, str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        idle = requests.Session()  # keeps its connection open, as a browser or a client pool does
        wait_until(lambda: _answers(idle, base + "/ready"), timeout=30, interval=0.1, what="the service up")
        answer: dict[str, requests.Response] = {}
        slow = threading.Thread(target=lambda: answer.update(slow=requests.get(base + "/slow", timeout=10)))
        slow.start()
        time.sleep(0.3)  # the slow request is in flight
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        took = time.monotonic() - asked
        slow.join()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert answer["slow"].status_code == 200 and answer["slow"].text == "answered /slow"
    # The request needed 0.7 s more; the idle connection must not hold the process for long.
    assert took < 1.8, f"the process took {took:.2f} s to stop after its last answer"


def _answers(session: requests.Session, url: str) -> bool:
    try:
        return session.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
