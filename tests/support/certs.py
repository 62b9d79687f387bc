"""Throw-away TLS certificates for tests: a CA and a server certificate it signed, made with the openssl CLI."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TestCerts:
    ca: Path
    cert: Path
    key: Path


def make_certs(folder: Path, ip: str = "127.0.0.1") -> TestCerts:
    """A CA, and a certificate for this IP address (subjectAltName) signed by it; EC keys, valid two days."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    ext = folder / "server.ext"
    ext.write_text(f"subjectAltName = IP:{ip}\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for argv in (["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=TongDai test CA"],
                 ["req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={ip}"],
                 ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
                  "-days", "2", "-extfile", ext]):
        subprocess.run(["openssl", *map(str, argv)], check=True, capture_output=True, timeout=30)
    for path in (key, ca_key):
        path.chmod(0o600)
    return TestCerts(ca=ca, cert=cert, key=key)
