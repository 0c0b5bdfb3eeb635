# Articula API: migrates the database, then serves on 0.0.0.0:8000.
# Configure with ARTICULA_* variables, e.g. ARTICULA_DATABASE_URL=postgresql+psycopg://...
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARTICULA_HOST=0.0.0.0 \
    ARTICULA_PORT=8000 \
    ARTICULA_DATABASE_URL=sqlite:////data/articula.db \
    ARTICULA_OUTBOX_DIR=/data/outbox

RUN useradd --create-home --uid 10001 articula \
    && mkdir -p /data /app \
    && chown articula:articula /data

WORKDIR /app
# The package and what `articula db upgrade` needs (migrations/, alembic.ini).
COPY pyproject.toml README.md ./
COPY app ./app
COPY solver ./solver
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install . \
    && cd / && python -c 'import solver.breaks.local as l; l.compile_kernels()' && cd /app \
    && chown -R articula:articula /app

USER articula
VOLUME ["/data"]
EXPOSE 8000

# `articula db upgrade` finds migrations/ in the working directory (/app).
CMD ["sh", "-c", "articula db upgrade && exec articula serve"]
