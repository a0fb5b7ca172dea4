"""H2: HTTPS as the provider. The mock's own certificate authority in `tls_ca_dir` and, at each
start, a server certificate it signs for the provider's host names, the loopback names and
`tls_names`, as an `ssl.SSLContext` for aiohttp's site.

trustme makes the CA and the certificates (on cryptography); it is imported only when `tls` is
on, so a start without TLS costs what it did. The CA is kept as two files: `ca.pem`, the
certificate a client trusts, and `ca-key.pem`, its private key (mode 0600), so that a restart
with the same folder reuses the same CA. The key is read and written here only: no log line,
journal row or answer carries it. Files are created, never replaced: a folder that holds a
`ca.pem` without its key, a key without its `ca.pem`, or anything that does not load is refused
with one line naming the setting (a ConfigError), and left as it was.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ..config import ConfigError

if TYPE_CHECKING:
    import trustme

    from ..config import Settings

PROVIDER_NAMES: Final = ("freesoragenerator.com", "www.freesoragenerator.com")
LOOPBACK_NAMES: Final = ("localhost", "127.0.0.1", "::1")
CA_FILE: Final = "ca.pem"
KEY_FILE: Final = "ca-key.pem"
ORGANIZATION: Final = "sora-mock"

MSG_NOT_A_FOLDER: Final = "setting 'tls_ca_dir': {path} is not a folder"
MSG_CANNOT_USE: Final = "setting 'tls_ca_dir': cannot {what} {path}: {reason}"
MSG_NOT_OURS: Final = (
    "setting 'tls_ca_dir': {path} belongs to another user or others may write to it; "
    "name a folder of your own"
)
MSG_HALF: Final = (
    "setting 'tls_ca_dir': {folder} holds {present} but not {missing}; name an empty folder "
    "for a new CA, or put the CA's certificate and its key there as {cert} and {key}"
)
MSG_UNREADABLE: Final = (
    "setting 'tls_ca_dir': {path} is not a PEM {what}{extra}; name an empty folder for a new CA"
)
MSG_NOT_A_CA: Final = (
    "setting 'tls_ca_dir': {path} is not a CA's certificate (it may not sign others); "
    "name an empty folder for a new CA"
)
MSG_MISMATCH: Final = (
    "setting 'tls_ca_dir': {key} is not the key of the certificate {cert}; "
    "name an empty folder for a new CA"
)


def default_ca_dir() -> Path:
    """The mock's own folder under the system's temporary folder, one per user."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    return Path(tempfile.gettempdir()) / ("sora-mock-ca" if uid is None else f"sora-mock-ca-{uid}")


def ca_dir(settings: Settings) -> Path:
    """The CA's folder, absolute: the path printed at start is one to paste anywhere."""
    return Path(settings.tls_ca_dir).absolute() if settings.tls_ca_dir else default_ca_dir()


def host_names(settings: Settings) -> list[str]:
    """The names and addresses the server certificate covers, each once, in order."""
    return list(dict.fromkeys([*PROVIDER_NAMES, *LOOPBACK_NAMES, *settings.tls_names]))


def server_context(settings: Settings) -> tuple[ssl.SSLContext, Path]:
    """The server's TLS context and the path of the CA certificate that clients trust."""
    folder = ca_dir(settings)
    ca = _load_or_make(folder, own=not settings.tls_ca_dir)
    leaf = ca.issue_cert(*host_names(settings), organization_name=ORGANIZATION)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context, folder / CA_FILE


def _load_or_make(folder: Path, *, own: bool) -> trustme.CA:
    import trustme  # noqa: PLC0415 (only a TLS start pays for it and for cryptography)

    _make_folder(folder, own=own)
    with _locked(folder):  # two mocks starting at once with one folder make one CA
        cert_path, key_path = folder / CA_FILE, folder / KEY_FILE
        have_cert, have_key = cert_path.exists(), key_path.exists()
        if have_cert and have_key:
            return _load(cert_path, key_path)
        if have_cert or have_key:
            present, missing = (CA_FILE, KEY_FILE) if have_cert else (KEY_FILE, CA_FILE)
            raise ConfigError(
                MSG_HALF.format(
                    folder=folder, present=present, missing=missing, cert=CA_FILE, key=KEY_FILE
                )
            )
        ca = trustme.CA(organization_name=ORGANIZATION)
        _write_new(key_path, ca.private_key_pem.bytes(), mode=0o600)
        try:
            _write_new(cert_path, ca.cert_pem.bytes(), mode=0o644)
        except ConfigError:
            key_path.unlink()  # the key this start wrote a moment ago, alone it is of no use
            raise
        return ca


def _make_folder(folder: Path, *, own: bool) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(MSG_NOT_A_FOLDER.format(path=folder)) from None
    except OSError as exc:
        raise ConfigError(_cannot("create", folder, exc)) from None
    if not folder.is_dir():
        raise ConfigError(MSG_NOT_A_FOLDER.format(path=folder))
    if own and hasattr(os, "getuid"):
        # the default folder's name is known to every user of the machine: one made by another
        # user could hold a CA of theirs
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise ConfigError(MSG_NOT_OURS.format(path=folder))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl  # noqa: PLC0415 (POSIX only; elsewhere two starts at once are not guarded)
    except ImportError:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:  # a folder that can be entered but not read
        raise ConfigError(_cannot("read", folder, exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create `path` with `data`; an existing file is never opened for writing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise ConfigError(_cannot("write", path, exc)) from None
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _load(cert_path: Path, key_path: Path) -> trustme.CA:
    import trustme  # noqa: PLC0415 (imported already by _load_or_make)
    from cryptography import x509  # noqa: PLC0415 (trustme's own dependency)
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    cert_bytes, key_bytes = _read(cert_path), _read(key_path)
    try:
        cert = x509.load_pem_x509_certificate(cert_bytes)
    except ValueError:
        raise ConfigError(
            MSG_UNREADABLE.format(path=cert_path, what="certificate", extra="")
        ) from None
    try:
        key = serialization.load_pem_private_key(key_bytes, password=None)
    except (ValueError, TypeError):  # not a key, or one that wants a password
        raise ConfigError(
            MSG_UNREADABLE.format(path=key_path, what="private key", extra=" without a password")
        ) from None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ConfigError(MSG_NOT_A_CA.format(path=cert_path))
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if cert.public_key().public_bytes(der, spki) != key.public_key().public_bytes(der, spki):
        raise ConfigError(MSG_MISMATCH.format(key=key_path, cert=cert_path))
    return trustme.CA.from_pem(cert_bytes, key_bytes)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(_cannot("read", path, exc)) from None


def _cannot(what: str, path: Path, exc: OSError) -> str:
    reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
    return MSG_CANNOT_USE.format(what=what, path=path, reason=reason)
