# chat-dms: the FastAPI app (`dms serve`) and the background worker (`dms worker`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An image is a deployment: no open web chat (anyone could speak as any party), JSON logs,
# strong console tokens. `make demo` on a laptop stays in development.
ENV ENVIRONMENT=production

# Build from a scratch directory and delete it afterwards, so the installed package in
# site-packages is the only copy of the code inside the image.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY bot ./bot
COPY nlu ./nlu
COPY domain ./domain
RUN pip install . \
    && rm -rf /src

RUN groupadd --system --gid 10001 dms \
    && useradd --system --uid 10001 --gid dms --home-dir /app --create-home --shell /usr/sbin/nologin dms
WORKDIR /app
USER dms

EXPOSE 8000

# The slim image has no curl; Python's urllib raises (exit 1) on a refused connection or any
# 4xx/5xx, so a non-200 /healthz marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["dms", "serve", "--host", "0.0.0.0", "--port", "8000"]
