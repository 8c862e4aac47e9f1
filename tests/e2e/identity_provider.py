"""A real OpenID provider for the sign-in tests, and consoles that sign in through it.

The provider is panva's ``oidc-provider`` (npm, a dev dependency of the console, installed by
``make install``), run by ``oidc_provider.mjs`` on a free port with the clients and people a test
names. Consoles run in this process (``create_app`` in a server thread), so a test can look at
the sessions a console keeps.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

from services.console.app import ConsoleSettings, create_app
from services.console.oidc import OidcSettings, Provider
from services.console.oidc_routes import provider_of
from shared.broker import free_port

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parents[1] / "services" / "console" / "node_modules"


@dataclass
class IdentityProvider:
    """``oidc_provider.mjs`` in a process of its own; :meth:`start` waits until it answers."""

    folder: Path
    clients: list[dict[str, Any]]
    accounts: dict[str, dict[str, Any]]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> IdentityProvider:
        if not (NODE_MODULES / "oidc-provider").is_dir():
            raise RuntimeError("oidc-provider is missing: `make install` installs it from the npm registry")
        settings = self.folder / "provider.json"
        settings.write_text(
            json.dumps(
                {
                    "modules": str(NODE_MODULES),
                    "port": self.port,
                    "clients": self.clients,
                    "accounts": self.accounts,
                }
            )
        )
        log = (self.folder / "provider.log").open("wb")
        self.process = subprocess.Popen(
            ["node", str(HERE / "oidc_provider.mjs"), str(settings)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the provider stopped: {(self.folder / 'provider.log').read_text()}")
            try:
                requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).raise_for_status()
                return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("the provider did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class ThreadConsole:
    """A console signing in through ``provider`` as ``client_id``, forwarding to ``services``."""

    folder: Path
    services: dict[str, str]
    oidc: OidcSettings
    port: int
    server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadConsole:
        settings = ConsoleSettings(
            host="127.0.0.1",
            port=self.port,
            services=self.services,
            accounts_file=self.folder / "console-accounts.json",
            issuer_dir=self.folder / "dev-issuer",
            oidc=self.oidc,
        )
        self.app = create_app(settings)
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def provider(self) -> Provider:
        provider = provider_of(self.app)
        assert provider is not None
        return provider

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
