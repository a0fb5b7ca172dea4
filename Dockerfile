# sora-mock as a containerized stub: configure with SORA_MOCK_<SETTING> variables or mount a TOML
# file at /etc/sora-mock/config.toml (read when present; SORA_MOCK_CONFIG names another).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md ./
COPY sora_mock ./sora_mock
RUN pip install --no-cache-dir "/build[fast]" && rm -rf /build

WORKDIR /
USER 10001:10001
ENV SORA_MOCK_HOST=0.0.0.0 \
    SORA_MOCK_PORT=8000
EXPOSE 8000

# slim images have no curl: the check is Python's own urllib
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/__mock/health' % os.environ.get('SORA_MOCK_PORT', '8000'), timeout=2)"]

ENTRYPOINT ["sora-mock"]
