"""A push service stand-in for tests (RFC 8030): it hands out subscriptions with keys of
its own, and for each push checks the VAPID authorisation (RFC 8292: an ES256 JWT whose
audience is this service's origin, not expired, with a contact, signed by the key named
in ``k``) and decrypts the message (RFC 8291 with RFC 8188 aes128gcm) with the
subscription's private key and auth secret, as a browser would. Written from the RFCs;
it shares no code with the library that encrypts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _raw_public(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def decrypt_aes128gcm(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """RFC 8291 §3.4 and RFC 8188 §2: the header (salt, record size, the sender's public
    key), the keys from ECDH and HKDF, then each record opened and its padding removed."""
    salt, record_size, id_length = body[:16], struct.unpack(">I", body[16:20])[0], body[20]
    as_public_raw = body[21 : 21 + id_length]
    ciphertext = body[21 + id_length :]
    as_public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public_raw)
    shared = ua_private.exchange(ec.ECDH(), as_public)
    ua_public_raw = _raw_public(ua_private.public_key())
    prk_key = _hmac(auth, shared)
    ikm = _hmac(prk_key, b"WebPush: info\x00" + ua_public_raw + as_public_raw + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    base_nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    plain = b""
    records = [ciphertext[i : i + record_size] for i in range(0, len(ciphertext), record_size)]
    for index, record in enumerate(records):
        nonce = (int.from_bytes(base_nonce, "big") ^ index).to_bytes(12, "big")
        opened = AESGCM(cek).decrypt(nonce, record, None).rstrip(b"\x00")
        last = index == len(records) - 1
        if not opened or opened[-1:] != (b"\x02" if last else b"\x01"):
            raise ValueError("bad padding delimiter")
        plain += opened[:-1]
    return plain


def vapid_problem(authorization: str, origin: str, now: float | None = None) -> str | None:
    """What is wrong with ``Authorization: vapid t=<JWT>, k=<key>`` (None: nothing)."""
    now = time.time() if now is None else now
    if not authorization.lower().startswith("vapid "):
        return "not the vapid scheme"
    params = dict(
        part.strip().split("=", 1) for part in authorization[6:].split(",") if "=" in part
    )
    token, key = params.get("t", ""), params.get("k", "")
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
        signature = b64url_decode(signature_b64)
    except (ValueError, TypeError):
        return "unreadable token or key"
    if header.get("alg") != "ES256" or len(signature) != 64:
        return "not ES256"
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "bad signature"
    if claims.get("aud") != origin:
        return f"audience {claims.get('aud')!r} is not {origin!r}"
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + 24 * 3600:
        return "expiry missing, past or more than 24 hours ahead"
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        return "no contact (sub)"
    return None


@dataclass
class _Subscription:
    private: ec.EllipticCurvePrivateKey
    auth: bytes
    status: int
    received: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class PushService:
    """``subscribe(status)``: a subscription this service answers with ``status`` (201
    accepted; 404/410 gone); ``received(endpoint)``: the decrypted messages."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, _Subscription] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = service._take(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def subscribe(self, status: int = 201) -> dict:
        name = f"/push/{b64url(os.urandom(12))}"
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self._subscriptions[name] = _Subscription(private=private, auth=auth, status=status)
        return {"endpoint": self.origin + name,
                "keys": {"p256dh": b64url(_raw_public(private.public_key())), "auth": b64url(auth)}}  # fmt: skip

    def received(self, endpoint: str) -> list[dict]:
        return self._subscriptions[endpoint.removeprefix(self.origin)].received

    def refused(self, endpoint: str) -> list[str]:
        return self._subscriptions[endpoint.removeprefix(self.origin)].refused

    def _take(self, path: str, headers: dict, body: bytes) -> int:
        subscription = self._subscriptions.get(path)
        if subscription is None:
            return 404
        problem = vapid_problem(headers.get("authorization", ""), self.origin)
        if problem:
            subscription.refused.append(problem)
            return 401
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            subscription.refused.append("not aes128gcm, or no TTL")
            return 400
        try:
            plain = decrypt_aes128gcm(body, subscription.private, subscription.auth)
        except (ValueError, InvalidTag) as error:
            subscription.refused.append(f"cannot decrypt: {error!r}")
            return 400
        if subscription.status < 300:
            subscription.received.append(json.loads(plain))
        return subscription.status

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
