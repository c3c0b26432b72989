"""Pass updates pushed the way APNs takes them: HTTP/2 over TLS with the pass certificate
as client certificate, to a local HTTP/2 server that stands in for Apple's."""

import datetime as dt
import ipaddress
import socket
import ssl
import threading

import h2.config
import h2.connection
import h2.events
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command

from marktplatz.loyalty import services
from marktplatz.wallet.models import DeviceRegistration, WalletPass
from marktplatz.wallet.tests.test_wallet import PASS_TYPE, _name, wallet  # noqa: F401


def _server_cert(tmp_path):
    """A CA and a certificate for 127.0.0.1 signed by it (what the client must trust)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def build(subject, public_key, ca, extra=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name("Test APNs CA"))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if extra is not None:
            builder = builder.add_extension(extra, critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    ca = build("Test APNs CA", ca_key.public_key(), True)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = build("127.0.0.1", key.public_key(), False, san)
    pem = serialization.Encoding.PEM
    (tmp_path / "apns-ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "apns-cert.pem").write_bytes(cert.public_bytes(pem))
    (tmp_path / "apns-key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


class Apns:
    """An HTTP/2 TLS server that requires a client certificate of the pass CA and answers
    like APNs: 200 per notification, 410 for the device token "gone"."""

    def __init__(self, directory):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(directory / "apns-cert.pem", directory / "apns-key.pem")
        context.load_verify_locations(directory / "ca.pem")  # the pass certificate's CA
        context.verify_mode = ssl.CERT_REQUIRED
        context.set_alpn_protocols(["h2"])
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[dict] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                raw, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw):
        try:
            tls = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        client = dict(item[0] for item in tls.getpeercert()["subject"])["commonName"]
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        tls.sendall(conn.data_to_send())
        streams: dict[int, dict] = {}
        with tls:
            while data := tls.recv(65535):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = {"headers": dict(event.headers), "body": b""}
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        conn.acknowledge_received_data(len(event.data), event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        request = {**streams.pop(event.stream_id), "client": client}
                        self.requests.append(request)
                        gone = request["headers"][":path"].endswith("/gone")
                        conn.send_headers(
                            event.stream_id,
                            [(":status", "410" if gone else "200")],
                            end_stream=True,
                        )
                tls.sendall(conn.data_to_send())

    def close(self):
        self.listener.close()


@pytest.fixture
def apns(wallet, settings):  # noqa: F811
    _server_cert(wallet["dir"])
    server = Apns(wallet["dir"])
    settings.WALLET_APPLE_APNS_URL = server.url
    settings.WALLET_APPLE_APNS_CA = str(wallet["dir"] / "apns-ca.pem")
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
def test_a_purchase_pushes_the_pass_update_to_the_holders_devices(
    apns, town_a, shop_a, dave, django_capture_on_commit_callbacks
):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    wallet_pass = WalletPass.objects.create(city=town_a, card=card, auth_token="t" * 32)
    for device, token in (("phone", "tok-phone"), ("old-watch", "gone")):
        DeviceRegistration.objects.create(
            city=town_a, wallet_pass=wallet_pass, device_library_id=device, push_token=token
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.earn(
            city=town_a, merchant=shop_a, card=card, purchase_minor=1200, currency="EUR",
            idempotency_key="push-1",
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        call_command("db_worker", "--batch", "--no-startup-delay")
    paths = sorted(r["headers"][":path"] for r in apns.requests)
    assert paths == ["/3/device/gone", "/3/device/tok-phone"]
    for request in apns.requests:
        assert request["headers"][":method"] == "POST"
        assert request["headers"]["apns-topic"] == PASS_TYPE
        assert request["body"] == b"{}"
        assert request["client"] == f"Pass Type ID: {PASS_TYPE}"
    # APNs said the watch's token is gone: that registration is removed, the phone's kept.
    assert list(DeviceRegistration.objects.values_list("push_token", flat=True)) == ["tok-phone"]


@pytest.mark.django_db
def test_nothing_is_pushed_without_registered_devices(
    apns, town_a, shop_a, dave, django_capture_on_commit_callbacks
):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.earn(
            city=town_a, merchant=shop_a, card=card, purchase_minor=1200, currency="EUR",
            idempotency_key="push-2",
        )  # fmt: skip
    assert apns.requests == []
    assert all("wallet_push" not in repr(callback) for callback in callbacks)
