"""The worldsmith server: builds runtime and domains, registers every service, serves until stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from typing import NoReturn

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from worldsmith.api.adapter import ServiceAdapter
from worldsmith.api.auth import AuthInterceptor, Authenticator
from worldsmith.api.domains import DOMAINS
from worldsmith.api.http import HttpListener, serve_http
from worldsmith.api.services import Services
from worldsmith.config import ConfigError, Settings
from worldsmith.runtime import metrics

log = logging.getLogger(__name__)

# The longest a running stream's work takes to end once cancelled (a token, a diffusion step): kept out of the grace
# period given to streams, so the process exits within it.
STOP_ALLOWANCE_S = 2.0
# What the process needs to exit once it lets go of its workers.
EXIT_S = 0.25


class WorldsmithServer:
    """One process: the services (registry, engines, domains) behind the gRPC listener."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.core = Services(settings)
        self.registry = self.core.registry
        self.authenticator = Authenticator(settings.auth)
        self.health = health.aio.HealthServicer()
        self.port = 0
        self._grpc: grpc.aio.Server | None = None
        self.http: HttpListener | None = None

    @property
    def services(self) -> dict[str, object]:
        return self.core.by_name

    async def _publish_health(self) -> None:
        for name, status in self.core.statuses().items():
            serving = status.serving and name in self.services
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)

    def _on_registry_change(self) -> None:
        asyncio.get_running_loop().create_task(self._publish_health())

    async def start(self) -> None:
        settings = self.settings.server
        if self.settings.auth.enabled and not self.settings.auth.keys:
            raise ConfigError(
                "auth is on but no API keys are configured: set WORLDSMITH_API_KEYS=runtime:KEY,admin:KEY2 "
                "or add [[auth.keys]] entries, or set [auth] enabled = false for local development"
            )
        if not self.settings.auth.enabled:
            log.warning("authentication is DISABLED by the config: every caller has every scope")
        await self.core.start(load_models=False)

        self._grpc = grpc.aio.server(
            interceptors=[AuthInterceptor(self.authenticator)],
            maximum_concurrent_rpcs=settings.max_concurrent_streams,
            options=[
                ("grpc.max_receive_message_length", settings.max_message_bytes),
                ("grpc.max_send_message_length", settings.max_message_bytes),
                ("grpc.max_concurrent_streams", settings.max_concurrent_streams),
                ("grpc.so_reuseport", 0),
            ],
        )
        for domain in DOMAINS:
            if domain.name in self.services:
                self._grpc.add_generic_rpc_handlers([ServiceAdapter(domain.service, self.services[domain.name], self.authenticator).generic_handler()])
            else:
                # Registered with no methods: reflection lists it, every call is UNIMPLEMENTED.
                self._grpc.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(domain.name, {})])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._grpc)
        served = [domain.name for domain in DOMAINS]
        reflection.enable_server_reflection([*served, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], self._grpc)

        address = f"{settings.host}:{settings.port}"
        if settings.tls.enabled:
            self.port = self._grpc.add_secure_port(address, _server_credentials(settings.tls))
        else:
            self.port = self._grpc.add_insecure_port(address)
        await self._publish_health()
        await self._grpc.start()
        if settings.http_port:
            self.http = await serve_http(self.settings, self.services, self.authenticator)
        if settings.metrics_port:
            metrics.serve_metrics(settings.metrics_port, settings.host)
        log.info("worldsmith listening on %s:%d (%s)", settings.host, self.port, "TLS" if settings.tls.enabled else "plaintext")

        self.registry.on_change(self._on_registry_change)
        await self.registry.load_all()
        await self._publish_health()

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting calls, let running streams finish, then cancel them, all within the grace period.

        Streams get the grace period less the time their work needs to notice a cancel and end (a token or a step).
        """
        grace = self.settings.server.grace_period_s if grace is None else grace
        streams_grace = grace - min(STOP_ALLOWANCE_S, grace / 4)
        await self.health.enter_graceful_shutdown()
        stopping = [self._grpc.stop(streams_grace)] if self._grpc is not None else []
        if self.http is not None:
            stopping.append(self.http.stop(streams_grace))
        await asyncio.gather(*stopping)
        await self.core.stop()

    async def wait(self) -> None:
        await self._grpc.wait_for_termination()


def _server_credentials(tls) -> grpc.ServerCredentials:
    key, cert = tls.key_file.read_bytes(), tls.cert_file.read_bytes()
    client_ca = tls.client_ca_file.read_bytes() if tls.client_ca_file else None
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None)


async def serve(settings: Settings) -> float:
    """Run until SIGTERM or SIGINT, then shut down gracefully; returns the end of the grace period (monotonic), for
    `exit_within`."""
    server = WorldsmithServer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    await stop.wait()
    grace = settings.server.grace_period_s
    deadline = time.monotonic() + grace
    log.info("stopping: running streams have %.0f s to finish", grace)
    await server.stop(grace)
    log.info("stopped")
    return deadline


def exit_within(deadline: float) -> NoReturn:
    """Once the event loop has closed: wait for model steps still running in worker threads until `deadline`, then
    end the process at once. A cancelled step cannot be interrupted (past the deadline the process leaves without
    it), and everything stateful is closed by now, while tearing down resident models object by object would take
    seconds more (2.5 s measured with the tiny models on a busy machine)."""
    for thread in _busy_threads():
        thread.join(max(0.0, deadline - EXIT_S - time.monotonic()))
    busy = _busy_threads()
    if busy:
        log.warning("exiting at the end of the grace period with %d worker thread(s) still in a step: %s",
                    len(busy), ", ".join(thread.name for thread in busy))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _busy_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate()
            if thread.is_alive() and not thread.daemon and thread is not threading.main_thread()]
