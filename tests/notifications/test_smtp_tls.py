"""E-mail over STARTTLS with a login, against aiosmtpd with a certificate of its own: the
password travels only inside TLS, and a server the sender cannot verify gets nothing."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infra.settings import Settings
from services.notifications.render import Message
from services.notifications.transports import DeliveryError, SmtpTransport
from tests.notifications.support import EMAIL, _Handler
from tests.support import free_port

USER, PASSWORD = "claims", "s3cret-smtp-password"
MESSAGE = Message("Objet", "Bonjour", "<p>Bonjour</p>", "Bonjour")


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Authenticator:
    def __init__(self) -> None:
        self.logins: list[tuple[str, bool]] = []

    def __call__(
        self, _server: Any, session: Any, _envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == USER
            and data.password.decode() == PASSWORD
        )
        self.logins.append((mechanism, bool(session.ssl)))
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, _Handler, _Authenticator]]:
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    handler, authenticator = _Handler(), _Authenticator()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        yield port, cert_file, handler, authenticator
    finally:
        controller.stop()


def settings(port: int, ca_file: Path | None, password: str = PASSWORD) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="starttls",
        smtp_username=USER,
        smtp_password=password,
        smtp_ca_file=str(ca_file) if ca_file else None,
    )


def test_starttls_then_login_then_the_message(
    tls_server: tuple[int, Path, _Handler, _Authenticator],
) -> None:
    port, cert_file, handler, authenticator = tls_server
    SmtpTransport(settings(port, cert_file)).send(EMAIL, MESSAGE)
    assert len(handler.messages) == 1
    assert authenticator.logins
    assert all(tls for _, tls in authenticator.logins)  # the login only inside TLS


def test_a_wrong_password_is_a_delivery_error_that_names_no_secret(
    tls_server: tuple[int, Path, _Handler, _Authenticator],
) -> None:
    port, cert_file, handler, _ = tls_server
    with pytest.raises(DeliveryError) as error:
        SmtpTransport(settings(port, cert_file, password="wrong-password")).send(EMAIL, MESSAGE)
    assert error.value.reason == "smtp 535"
    assert handler.messages == []


def test_a_server_that_cannot_be_verified_gets_nothing(
    tls_server: tuple[int, Path, _Handler, _Authenticator],
) -> None:
    port, _, handler, authenticator = tls_server
    with pytest.raises(DeliveryError) as error:
        SmtpTransport(settings(port, None)).send(EMAIL, MESSAGE)  # the system's CAs only
    assert "SSL" in error.value.reason
    assert authenticator.logins == []
    assert handler.messages == []
