FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BEARMAN_ENV=production \
    BEARMAN_VAR_DIR=/var/lib/bearman \
    BEARMAN_STATIC_ROOT=/srv/bearman/static

WORKDIR /srv/bearman
COPY pyproject.toml README.md ./
COPY agent ./agent
COPY bearman ./bearman
COPY ipman ./ipman
# The server speaks the agent's wire types: install that package first.
RUN pip install --no-cache-dir ./agent . 
COPY manage.py Procfile gunicorn.conf.py ./
COPY ipxe_templates ./ipxe_templates
# collectstatic needs settings that load; these throwaway values never reach a running container.
RUN BEARMAN_SECRET_KEY=build BEARMAN_ENROLLMENT_TOKEN=build BEARMAN_FERNET_KEYS=$(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
    ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --no-input --verbosity 0

RUN useradd --system --home /var/lib/bearman bearman && mkdir -p /var/lib/bearman \
    && chown bearman /var/lib/bearman
USER bearman
EXPOSE 8000 50051
CMD ["gunicorn", "bearman.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
