# The floe image for the kind target: Dagster (webserver, daemon, code servers) with floe, dbt
# and the demo products compiled in. Built by `make image`; Kind loads it with `kind load`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    DAGSTER_HOME=/opt/dagster
WORKDIR /opt/floe

COPY requirements.lock ./
RUN pip install uv==0.13.9 && uv pip install --system -r requirements.lock

COPY pyproject.toml README.md ./
COPY floe ./floe
RUN uv pip install --system --no-deps .

# The demo products, compiled at build time: each code location serves target/<product>/.
COPY demo ./demo
RUN floe compile demo/customer-360 demo/iot-telemetry demo/financial-risk \
        --manifest demo/manifest.yaml --output-dir /opt/floe/target \
    && mkdir -p /opt/dagster && chown -R 10001:10001 /opt/floe/target /opt/dagster

USER 10001:10001
EXPOSE 3000 4000
