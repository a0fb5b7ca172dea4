# sora-mock as a containerized stub: configure with SORA_MOCK_<SETTING> variables or mount a TOML
# file at /etc/sora-mock/config.toml (read when present; SORA_MOCK_CONFIG names another).
# HTTPS as the provider (H2): SORA_MOCK_TLS=true, with a volume at /ca (SORA_MOCK_TLS_CA_DIR): the
# CA is made there on first start and reused after; other containers trust /ca/ca.pem.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md ./
COPY sora_mock ./sora_mock
# /ca belongs to the server's user, so that a new named volume there (which takes the folder's
# owner) is writable; others may read ca.pem from it, never the key (0600)
RUN pip install --no-cache-dir "/build[fast]" && rm -rf /build \
    && mkdir -m 0755 /ca && chown 10001:10001 /ca

WORKDIR /
USER 10001:10001
ENV SORA_MOCK_HOST=0.0.0.0 \
    SORA_MOCK_PORT=8000 \
    SORA_MOCK_TLS_CA_DIR=/ca
EXPOSE 8000

# slim images have no curl: the check is Python's own urllib, over http, else over https (the
# server speaks one of them, whether TLS was turned on by SORA_MOCK_TLS, a flag or the config
# file); a liveness check on the container's own loopback, so it does not verify the certificate
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, ssl, urllib.request\nurl = '127.0.0.1:%s/__mock/health' % os.environ.get('SORA_MOCK_PORT', '8000')\ntry:\n    urllib.request.urlopen('http://' + url, timeout=1)\nexcept Exception:\n    c = ssl.create_default_context()\n    c.check_hostname = False\n    c.verify_mode = ssl.CERT_NONE\n    urllib.request.urlopen('https://' + url, timeout=1, context=c)"]

ENTRYPOINT ["sora-mock"]
