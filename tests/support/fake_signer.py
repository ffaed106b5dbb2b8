"""A signing callback, as a deployment whose key lives in an HSM would configure one."""

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

KEY_PEM: bytes = b""  # set by the test before the service starts
CALLS: list[int] = []


def sign(data: bytes) -> bytes:
    key = load_pem_private_key(KEY_PEM, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    CALLS.append(len(data))
    return key.sign(data, ec.ECDSA(hashes.SHA256()))
