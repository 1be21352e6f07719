"""A password-protected OpenDocument spreadsheet, encrypted the way LibreOffice does (ODF 1.2).

content.xml is deflated, then encrypted with AES-256-CBC under a key derived from the password
(SHA-256 start key, PBKDF2-HMAC-SHA1, 100,000 iterations), stored in the zip as is, and described
in META-INF/manifest.xml by its encryption data; the checksum (SHA-256 of the first 1 KB of the
deflated bytes) lets a reader tell a wrong password. Salt and IV are fixed so the bytes are the
same every time (a real writer draws them at random). `decrypt_content` reverses it, to show the
file really opens with its password.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
import zlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.support.ods_writer import _NS, content_xml

ITERATIONS = 100_000
SALT = bytes(range(16))
IV = bytes(range(16, 32))


def _key(password: str, salt: bytes) -> bytes:
    start = hashlib.sha256(password.encode("utf-8")).digest()
    return hashlib.pbkdf2_hmac("sha1", start, salt, ITERATIONS, 32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encrypted_ods(sheets: dict[str, list[list]], password: str) -> bytes:
    content = content_xml(sheets).encode("utf-8")
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = deflater.compress(content) + deflater.flush()
    pad = 16 - len(deflated) % 16
    padded = deflated + bytes(pad - 1) + bytes([pad])  # W3C xmlenc padding: the last byte counts it
    encryptor = Cipher(algorithms.AES(_key(password, SALT)), modes.CBC(IV)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    manifest = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest {_NS} manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="{len(content)}">
  <manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="{_b64(hashlib.sha256(deflated[:1024]).digest())}">
   <manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="{_b64(IV)}"/>
   <manifest:start-key-generation manifest:start-key-generation-name="http://www.w3.org/2000/09/xmldsig#sha256" manifest:key-size="32"/>
   <manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count="{ITERATIONS}" manifest:salt="{_b64(SALT)}"/>
  </manifest:encryption-data>
 </manifest:file-entry>
</manifest:manifest>"""
    out = io.BytesIO()
    fixed = (2025, 8, 1, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype", fixed), "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr(zipfile.ZipInfo("content.xml", fixed), encrypted, compress_type=zipfile.ZIP_STORED)
        archive.writestr(zipfile.ZipInfo("META-INF/manifest.xml", fixed), manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def decrypt_content(data: bytes, password: str) -> bytes:
    """content.xml of an encrypted spreadsheet made by `encrypted_ods`, given its password."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = archive.read("META-INF/manifest.xml").decode()
        encrypted = archive.read("content.xml")
    salt = base64.b64decode(re.search(r'manifest:salt="([^"]+)"', manifest).group(1))
    iv = base64.b64decode(re.search(r'manifest:initialisation-vector="([^"]+)"', manifest).group(1))
    checksum = base64.b64decode(re.search(r'manifest:checksum="([^"]+)"', manifest).group(1))
    decryptor = Cipher(algorithms.AES(_key(password, salt)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(encrypted) + decryptor.finalize()
    deflated = padded[: -padded[-1]]
    if hashlib.sha256(deflated[:1024]).digest() != checksum:
        raise ValueError("wrong password")
    return zlib.decompress(deflated, -15)
