"""PKCS12 read the way Java's PKCS12KeyStore reads it, bag attributes included.

cryptography opens PKCS12 files but hides the bag attributes, and one of them decides what Java does
with a certificate: only a certificate bag carrying Oracle's trusted-key-usage attribute
(2.16.840.1.113894.746875.1.1) becomes a trustedCertEntry. A certificate put there by
``openssl pkcs12 -export`` has none, and Java ignores it: a store holding only such certificates
lists zero entries in keytool. So we walk the structure ourselves (pyasn1 parses the DER, pyasn1 and
cryptography are already what pyjks and we depend on) and decrypt with cryptography's primitives:
PBES2 (PBKDF2 + AES or 3DES) as keytool 9+ writes, and the PKCS#12 PBEs (RC2-40, 3DES) of the
legacy form (``-J-Dkeystore.pkcs12.legacy``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pyasn1.codec.der import decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, tag, univ

ORACLE_TRUSTED_KEY_USAGE = "2.16.840.1.113894.746875.1.1"
_DATA, _ENCRYPTED_DATA = "1.2.840.113549.1.7.1", "1.2.840.113549.1.7.6"
_KEY_BAG, _SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.1", "1.2.840.113549.1.12.10.1.2"
_CERT_BAG, _SECRET_BAG, _SAFE_CONTENTS_BAG = (
    "1.2.840.113549.1.12.10.1.3", "1.2.840.113549.1.12.10.1.5", "1.2.840.113549.1.12.10.1.6")
_X509 = "1.2.840.113549.1.9.22.1"
_FRIENDLY_NAME, _LOCAL_KEY_ID = "1.2.840.113549.1.9.20", "1.2.840.113549.1.9.21"
_PBES2, _PBKDF2 = "1.2.840.113549.1.5.13", "1.2.840.113549.1.5.12"
_DIGESTS = {
    "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.4": "sha224", "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512",
}
_PRFS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "1.2.840.113549.2.7": hashes.SHA1, "1.2.840.113549.2.8": hashes.SHA224, "1.2.840.113549.2.9": hashes.SHA256,
    "1.2.840.113549.2.10": hashes.SHA384, "1.2.840.113549.2.11": hashes.SHA512,
}
# pyasn1 ships no types: its decoded values, and the ciphers below (a class or a name), are Any here.
_PBES2_CIPHERS = {  # oid: (key bytes, cipher)
    "2.16.840.1.101.3.4.1.2": (16, algorithms.AES), "2.16.840.1.101.3.4.1.22": (24, algorithms.AES),
    "2.16.840.1.101.3.4.1.42": (32, algorithms.AES), "1.2.840.113549.3.7": (24, "3DES"),
}
_PKCS12_PBES = {  # oid: (key bytes, cipher)  from RFC 7292 appendix C
    "1.2.840.113549.1.12.1.3": (24, "3DES"), "1.2.840.113549.1.12.1.4": (16, "3DES"),
    "1.2.840.113549.1.12.1.5": (16, "RC2"), "1.2.840.113549.1.12.1.6": (5, "RC2"),
}


# -- the few ASN.1 types a PKCS12 file is read with ----------------------------------------------------------
# As pyasn1_modules' rfc7292 and rfc5652 define them, minus the open-type maps we never decode through.
# Importing those modules costs more than anything else a gate run imports (rfc5652 pulls rfc5280, rfc3280
# and rfc3281: 90 ms under -X importtime, a fifth of the run's imports), for five SEQUENCEs. Only a JKS or
# JCEKS store still loads pyasn1_modules, through pyjks, when it is read.

def _explicit0(asn1: Any) -> Any:
    return asn1.subtype(explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0))


class _AlgorithmIdentifier(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("parameters", univ.Any()))


class _ContentInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("contentType", univ.ObjectIdentifier()),
        namedtype.NamedType("content", _explicit0(univ.Any())))


class _DigestInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("digestAlgorithm", _AlgorithmIdentifier()),
        namedtype.NamedType("digest", univ.OctetString()))


class _MacData(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("mac", _DigestInfo()),
        namedtype.NamedType("macSalt", univ.OctetString()),
        namedtype.DefaultedNamedType("iterations", univ.Integer(1)))


class _PFX(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("authSafe", _ContentInfo()),
        namedtype.OptionalNamedType("macData", _MacData()))


class _AuthenticatedSafe(univ.SequenceOf):
    componentType = _ContentInfo()


class _Attribute(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("attrType", univ.ObjectIdentifier()),
        namedtype.NamedType("attrValues", univ.SetOf(componentType=univ.Any())))


class _SafeBag(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("bagId", univ.ObjectIdentifier()),
        namedtype.NamedType("bagValue", _explicit0(univ.Any())),
        namedtype.OptionalNamedType("bagAttributes", univ.SetOf(componentType=_Attribute())))


class _SafeContents(univ.SequenceOf):
    componentType = _SafeBag()


class _CertBag(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("certId", univ.ObjectIdentifier()),
        namedtype.NamedType("certValue", _explicit0(univ.Any())))


class _EncryptedContentInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("contentType", univ.ObjectIdentifier()),
        namedtype.NamedType("contentEncryptionAlgorithm", _AlgorithmIdentifier()),
        namedtype.OptionalNamedType("encryptedContent", univ.OctetString().subtype(
            implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0))))


class _EncryptedData(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("encryptedContentInfo", _EncryptedContentInfo()),
        namedtype.OptionalNamedType("unprotectedAttrs", univ.SetOf(componentType=_Attribute()).subtype(
            implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 1))))


class PKCS12Error(Exception):
    """Why the file cannot be read; `wrong_password` tells a bad password from a damaged file."""

    def __init__(self, message: str, wrong_password: bool = False) -> None:
        super().__init__(message)
        self.wrong_password = wrong_password


@dataclass(frozen=True)
class Bag:
    """One certificate, key or secret bag.

    Attributes:
        kind: ``cert``, ``key`` or ``secret``.
        alias: the friendlyName attribute (Java's alias), lower-cased; None when absent.
        local_key_id: pairs a key with its certificate.
        der: the certificate's DER for a cert bag.
        trusted: the cert bag carries Oracle's trusted-key-usage attribute.
    """

    kind: str
    alias: str | None
    local_key_id: bytes | None
    der: bytes | None = None
    trusted: bool = False


def pkcs12_kdf(hash_name: str, password: bytes, salt: bytes, purpose: int, iterations: int, size: int) -> bytes:
    """RFC 7292 appendix B.2: key (1), IV (2) or MAC key (3) from a BMPString password."""
    h = hashlib.new(hash_name)
    u, v = h.digest_size, h.block_size

    def fill(data: bytes) -> bytes:  # repeat to a whole number of v-byte blocks
        if not data:
            return b""
        n = v * ((len(data) + v - 1) // v)
        return (data * (n // len(data) + 1))[:n]

    block = bytes([purpose]) * v
    i = fill(salt) + fill(password)
    out = b""
    while len(out) < size:
        a = block + i
        for _ in range(iterations):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big") + 1
        i = b"".join(((int.from_bytes(i[j:j + v], "big") + b) % (1 << (8 * v))).to_bytes(v, "big")
                     for j in range(0, len(i), v))
    return out[:size]


def _bmp(password: str | None) -> bytes:
    return b"" if password is None else password.encode("utf-16-be") + b"\x00\x00"


def _decrypt(algorithm: Any, ciphertext: bytes, password: str | None) -> bytes:
    oid = str(algorithm["algorithm"])
    params, _ = decoder.decode(algorithm["parameters"])
    if oid == _PBES2:
        kdf, scheme = params[0], params[1]
        if str(kdf[0]) != _PBKDF2:
            raise PKCS12Error(f"unsupported key derivation {kdf[0]}")
        kdf_params = kdf[1]
        salt, iterations = bytes(kdf_params[0]), int(kdf_params[1])
        prf: Callable[[], hashes.HashAlgorithm] = hashes.SHA1  # the default when the optional prf field is absent
        for i in range(2, len(kdf_params)):  # optional keyLength INTEGER, then prf AlgorithmIdentifier
            field = kdf_params[i]
            if isinstance(field, univ.Sequence) and len(field) and str(field[0]) in _PRFS:
                prf = _PRFS[str(field[0])]
        cipher_oid = str(scheme[0])
        if cipher_oid not in _PBES2_CIPHERS:
            raise PKCS12Error(f"unsupported cipher {cipher_oid}")
        key_len, cipher = _PBES2_CIPHERS[cipher_oid]
        iv = bytes(scheme[1])
        key = PBKDF2HMAC(prf(), key_len, salt, iterations).derive((password or "").encode("utf-8"))
        return _cbc(cipher, key, iv, ciphertext)
    if oid in _PKCS12_PBES:
        salt, iterations = bytes(params[0]), int(params[1])
        key_len, cipher = _PKCS12_PBES[oid]
        key = pkcs12_kdf("sha1", _bmp(password), salt, 1, iterations, key_len)
        iv = pkcs12_kdf("sha1", _bmp(password), salt, 2, iterations, 8)
        return _cbc(cipher, key, iv, ciphertext)
    raise PKCS12Error(f"unsupported encryption algorithm {oid}")


def _cbc(cipher: Any, key: bytes, iv: bytes, data: bytes) -> bytes:
    if cipher == "RC2":
        # cryptography's RC2 takes 128-bit keys only; the legacy form uses 40-bit RC2.
        from Cryptodome.Cipher import ARC2

        # pycryptodomex's stub omits effective_keylen, which ARC2.new takes (and 40-bit RC2 needs).
        plain = ARC2.new(key, ARC2.MODE_CBC, iv=iv, effective_keylen=len(key) * 8).decrypt(data)  # type: ignore[call-arg]
        block = 64
    else:
        if cipher == "3DES":
            from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

            algo = TripleDES(key if len(key) == 24 else key + key[:8])
        else:
            algo = cipher(key)
        decryptor = Cipher(algo, modes.CBC(iv)).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        block = algo.block_size
    unpadder = padding.PKCS7(block).unpadder()
    return unpadder.update(plain) + unpadder.finalize()


def _verify_mac(pfx: Any, content: bytes, password: str | None) -> None:
    mac_data = pfx["macData"]
    if not mac_data.isValue:
        return  # password-less store (newer JDKs' cacerts): no integrity check to make
    digest_oid = str(mac_data["mac"]["digestAlgorithm"]["algorithm"])
    name = _DIGESTS.get(digest_oid)
    if name is None:
        raise PKCS12Error(f"unsupported MAC digest {digest_oid}")
    iterations = int(mac_data["iterations"]) if mac_data["iterations"].isValue else 1
    size = hashlib.new(name).digest_size
    key = pkcs12_kdf(name, _bmp(password or ""), bytes(mac_data["macSalt"]), 3, iterations, size)
    if not hmac.compare_digest(hmac.new(key, content, name).digest(), bytes(mac_data["mac"]["digest"])):
        raise PKCS12Error("keystore password was incorrect", wrong_password=True)


def _attributes(bag: Any) -> tuple[str | None, bytes | None, bool]:
    alias, key_id, trusted = None, None, False
    attrs = bag["bagAttributes"]
    for attr in attrs if attrs.isValue else []:
        oid = str(attr["attrType"])
        values = list(attr["attrValues"])
        if oid == _FRIENDLY_NAME and values:
            alias = str(decoder.decode(values[0])[0]).lower()
        elif oid == _LOCAL_KEY_ID and values:
            key_id = bytes(decoder.decode(values[0])[0])
        elif oid == ORACLE_TRUSTED_KEY_USAGE:
            trusted = True
    return alias, key_id, trusted


def _bags(safe_contents: bytes, password: str | None, depth: int = 0) -> list[Bag]:
    out: list[Bag] = []
    contents, _ = decoder.decode(safe_contents, asn1Spec=_SafeContents())
    for bag in contents:
        bag_id = str(bag["bagId"])
        alias, key_id, trusted = _attributes(bag)
        if bag_id == _CERT_BAG:
            cert_bag, _ = decoder.decode(bag["bagValue"], asn1Spec=_CertBag())
            if str(cert_bag["certId"]) != _X509:
                continue
            der = bytes(decoder.decode(cert_bag["certValue"])[0])
            out.append(Bag("cert", alias, key_id, der, trusted))
        elif bag_id in (_KEY_BAG, _SHROUDED_KEY_BAG):
            out.append(Bag("key", alias, key_id))
        elif bag_id == _SECRET_BAG:
            out.append(Bag("secret", alias, key_id))
        elif bag_id == _SAFE_CONTENTS_BAG and depth < 4:
            out += _bags(bytes(bag["bagValue"]), password, depth + 1)
    return out


def read_bags(data: bytes, password: str | None) -> list[Bag]:
    """Every bag of the file, after the MAC check; raise PKCS12Error on a wrong password or damage."""
    try:
        pfx, _ = decoder.decode(data, asn1Spec=_PFX())
        if str(pfx["authSafe"]["contentType"]) != _DATA:
            raise PKCS12Error("public-key integrity mode is not supported")
        content = bytes(decoder.decode(pfx["authSafe"]["content"])[0])
        _verify_mac(pfx, content, password)
        auth_safe, _ = decoder.decode(content, asn1Spec=_AuthenticatedSafe())
        bags: list[Bag] = []
        for info in auth_safe:
            kind = str(info["contentType"])
            if kind == _DATA:
                bags += _bags(bytes(decoder.decode(info["content"])[0]), password)
            elif kind == _ENCRYPTED_DATA:
                encrypted, _ = decoder.decode(info["content"], asn1Spec=_EncryptedData())
                eci = encrypted["encryptedContentInfo"]
                try:
                    plain = _decrypt(eci["contentEncryptionAlgorithm"], bytes(eci["encryptedContent"]), password)
                except ValueError:  # bad padding: the password opened the MAC but not this part
                    raise PKCS12Error("keystore password was incorrect", wrong_password=True) from None
                bags += _bags(plain, password)
        return bags
    except PKCS12Error:
        raise
    except (PyAsn1Error, ValueError, TypeError, IndexError, KeyError) as e:
        raise PKCS12Error(f"malformed PKCS12 structure ({type(e).__name__}: {str(e)[:200]})") from None
