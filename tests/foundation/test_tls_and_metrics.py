"""TLS and mutual TLS from the config; Prometheus metrics on their own port."""

from __future__ import annotations

import asyncio
import subprocess
import urllib.request

import grpc
import pytest

from harness import auth, free_port, running, settings_for
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc


def openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    folder = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=folder)
    for name, extension in [("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")]:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=folder)
        (folder / f"{name}.ext").write_text(extension + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=folder)
    return folder


async def server_info(port: int, credentials: grpc.ChannelCredentials):
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
        return await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth(), timeout=10)


async def test_tls_serves_only_over_tls(certificates, tmp_path):
    tls = {"cert_file": str(certificates / "server.pem"), "key_file": str(certificates / "server.key")}
    async with running(settings_for(tmp_path, server={"tls": tls})) as server:
        trusted = grpc.ssl_channel_credentials(root_certificates=(certificates / "ca.pem").read_bytes())
        assert (await server_info(server.port, trusted)).version
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as plain:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await admin_pb2_grpc.AdminServiceStub(plain).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth(), timeout=5)
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_requires_a_client_certificate(certificates, tmp_path):
    tls = {"cert_file": str(certificates / "server.pem"), "key_file": str(certificates / "server.key"),
           "client_ca_file": str(certificates / "ca.pem")}
    ca = (certificates / "ca.pem").read_bytes()
    async with running(settings_for(tmp_path, server={"tls": tls})) as server:
        with_client_cert = grpc.ssl_channel_credentials(
            root_certificates=ca, private_key=(certificates / "client.key").read_bytes(),
            certificate_chain=(certificates / "client.pem").read_bytes())
        assert (await server_info(server.port, with_client_cert)).version
        with pytest.raises(grpc.aio.AioRpcError):
            await server_info(server.port, grpc.ssl_channel_credentials(root_certificates=ca))


async def test_metrics_count_requests_by_method_and_code(tmp_path):
    port = free_port()
    async with running(settings_for(tmp_path, server={"metrics_port": port})) as server:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            await stub.GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth())
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.LoadModel(admin_pb2.LoadModelRequest(), metadata=auth())
        text = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode())
    assert 'worldsmith_requests_total{code="OK",method="/worldsmith.v1.AdminService/GetServerInfo"}' in text
    assert 'worldsmith_requests_total{code="INVALID_ARGUMENT",method="/worldsmith.v1.AdminService/LoadModel"}' in text
    assert "worldsmith_request_seconds_bucket" in text
