"""Wallet passes with certificates made for the test: the .pkpass is checked the way a
device would (manifest hashes, PKCS #7 signature with openssl), the web service as Apple
calls it, and the Google save link's JWT with the public key."""

import base64
import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from marktplatz.loyalty import services

PASS_TYPE = "pass.org.example.citycard"


@pytest.fixture
def dave(dave, town_a):
    """dave holds the city card of town A (joined it)."""
    services.member_join(city=town_a, user=dave)
    return dave


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, key, signer, ca=False):
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


@pytest.fixture
def wallet(settings, tmp_path):
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _cert("Test WWDR", "Test WWDR", ca_key, ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert(f"Pass Type ID: {PASS_TYPE}", "Test WWDR", key, ca_key)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(pem))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    google_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = {
        "client_email": "wallet@example.iam.gserviceaccount.com",
        "private_key_id": "k1",
        "private_key": google_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    }
    (tmp_path / "google.json").write_text(json.dumps(account))
    settings.WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE
    settings.WALLET_APPLE_TEAM_ID = "TEAM123456"
    settings.WALLET_APPLE_CERT = str(tmp_path / "cert.pem")
    settings.WALLET_APPLE_KEY = str(tmp_path / "key.pem")
    settings.WALLET_APPLE_WWDR = str(tmp_path / "ca.pem")
    settings.WALLET_GOOGLE_ISSUER_ID = "3388000000012345678"
    settings.WALLET_GOOGLE_SERVICE_ACCOUNT = str(tmp_path / "google.json")
    return {"dir": tmp_path, "google_public": google_key.public_key()}


def test_wallet_passes_are_off_without_certificates(client, dave, town_a):
    client.force_login(dave)
    assert client.get("/altdorf/card/wallet/apple.pkpass").status_code == 404
    assert client.get("/altdorf/card/wallet/google/").status_code == 404


def test_the_pkpass_is_signed_and_shows_the_balance(client, dave, town_a, wallet):
    client.force_login(dave)
    response = client.get("/altdorf/card/wallet/apple.pkpass")
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    for name, digest in manifest.items():
        assert hashlib.sha1(archive.read(name), usedforsecurity=False).hexdigest() == digest
    assert {"pass.json", "icon.png", "logo.png"} <= set(manifest)
    data = json.loads(archive.read("pass.json"))
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    assert data["serialNumber"] == card.code
    assert data["barcodes"][0]["message"] == card.qr_token
    assert data["storeCard"]["primaryFields"][0]["value"] == 100
    assert data["webServiceURL"] == "http://testserver/altdorf/wallet/apple/"
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to check the PKCS #7 signature")
    (wallet["dir"] / "manifest.json").write_bytes(archive.read("manifest.json"))
    (wallet["dir"] / "signature").write_bytes(archive.read("signature"))
    verify = subprocess.run(
        [
            "openssl",
            "smime",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(wallet["dir"] / "signature"),
            "-content",
            str(wallet["dir"] / "manifest.json"),
            "-CAfile",
            str(wallet["dir"] / "ca.pem"),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr


def test_the_pass_web_service_follows_apples_protocol(client, dave, town_a, shop_a, wallet):
    client.force_login(dave)
    pkpass = client.get("/altdorf/card/wallet/apple.pkpass").content
    data = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
    client.logout()
    base = "/altdorf/wallet/apple/v1"
    auth = {"HTTP_AUTHORIZATION": f"ApplePass {data['authenticationToken']}"}
    register = f"{base}/devices/dev1/registrations/{PASS_TYPE}/{data['serialNumber']}"
    body = json.dumps({"pushToken": "abc"})
    assert client.post(register, body, content_type="application/json").status_code == 401
    assert client.post(register, body, content_type="application/json", **auth).status_code == 201
    assert client.post(register, body, content_type="application/json", **auth).status_code == 200
    listing = client.get(f"{base}/devices/dev1/registrations/{PASS_TYPE}")
    assert listing.json()["serialNumbers"] == [data["serialNumber"]]
    tag = listing.json()["lastUpdated"]
    assert (
        client.get(
            f"{base}/devices/dev1/registrations/{PASS_TYPE}?passesUpdatedSince={tag}"
        ).status_code
        == 204
    )
    latest = client.get(f"{base}/passes/{PASS_TYPE}/{data['serialNumber']}", **auth)
    assert latest.status_code == 200
    assert (
        client.get(
            f"{base}/passes/{PASS_TYPE}/{data['serialNumber']}",
            HTTP_IF_MODIFIED_SINCE=latest["Last-Modified"],
            **auth,
        ).status_code
        == 304
    )
    assert (
        client.post(
            f"{base}/log", json.dumps({"logs": ["x"]}), content_type="application/json"
        ).status_code
        == 200
    )
    assert client.delete(register, **auth).status_code == 200


def test_the_google_save_link_carries_a_signed_loyalty_object(client, dave, town_a, wallet):
    client.force_login(dave)
    response = client.get("/altdorf/card/wallet/google/")
    assert response.status_code == 302
    jwt = response["Location"].removeprefix("https://pay.google.com/gp/v/save/")
    header, claims, signature = jwt.split(".")

    def decode(part):
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    wallet["google_public"].verify(
        decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    payload = json.loads(decode(claims))
    assert (payload["aud"], payload["typ"]) == ("google", "savetowallet")
    obj = payload["payload"]["loyaltyObjects"][0]
    assert obj["loyaltyPoints"]["balance"]["int"] == 100
    assert obj["barcode"]["type"] == "QR_CODE"


def test_a_pass_of_another_town_is_not_served(client, dave, town_a, town_b, wallet):
    client.force_login(dave)
    pkpass = client.get("/altdorf/card/wallet/apple.pkpass").content
    data = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
    auth = {"HTTP_AUTHORIZATION": f"ApplePass {data['authenticationToken']}"}
    url = f"/bergdorf/wallet/apple/v1/passes/{PASS_TYPE}/{data['serialNumber']}"
    assert client.get(url, **auth).status_code == 401


def test_the_card_page_offers_the_wallets_the_town_allows(client, dave, town_a, wallet):
    client.force_login(dave)
    content = client.get("/altdorf/card/").content.decode()
    assert "/altdorf/card/wallet/apple.pkpass" in content
    programme = services.programme_for(city=town_a)
    programme.google_wallet = False
    programme.save()
    content = client.get("/altdorf/card/").content.decode()
    assert "/altdorf/card/wallet/google/" not in content
    assert client.get("/altdorf/card/wallet/google/").status_code == 404


def test_the_pass_speaks_the_holders_language_also_in_later_updates(client, dave, town_a, wallet):
    client.force_login(dave)
    client.cookies["mp_language"] = "it"
    pkpass = client.get("/altdorf/card/wallet/apple.pkpass").content
    data = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
    fields = data["storeCard"]
    assert data["description"] == "Carta della città di Altdorf"
    assert fields["primaryFields"][0]["label"] == "Punti"
    assert fields["primaryFields"][0]["changeMessage"] == "Il Suo saldo è ora di %@ punti."
    assert fields["secondaryFields"][0]["label"] == "Valore"
    assert fields["backFields"][0]["label"] == "Numero della carta"
    # The device fetches the updated pass without the holder's session or cookie.
    client.logout()
    client.cookies.pop("mp_language", None)
    assert "mp_language" not in client.cookies
    auth = {"HTTP_AUTHORIZATION": f"ApplePass {data['authenticationToken']}"}
    latest = client.get(
        f"/altdorf/wallet/apple/v1/passes/{PASS_TYPE}/{data['serialNumber']}", **auth
    )
    updated = json.loads(zipfile.ZipFile(io.BytesIO(latest.content)).read("pass.json"))
    assert updated["storeCard"]["primaryFields"][0]["label"] == "Punti"
    # Added again in French: the pass follows.
    client.force_login(dave)
    client.cookies["mp_language"] = "fr"
    pkpass = client.get("/altdorf/card/wallet/apple.pkpass").content
    data = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
    assert data["storeCard"]["backFields"][0]["label"] == "Numéro de carte"


def test_the_google_pass_label_is_in_the_holders_language(client, dave, town_a, wallet):
    client.force_login(dave)
    client.cookies["mp_language"] = "it"
    jwt = client.get("/altdorf/card/wallet/google/")["Location"].rsplit("/", 1)[1]
    claims = jwt.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert payload["payload"]["loyaltyObjects"][0]["loyaltyPoints"]["label"] == "Punti"
