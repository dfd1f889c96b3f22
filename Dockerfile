# The portal's image: one image for the web server (gunicorn), the Celery worker and Celery beat.
# The role is the command: `web` (default), `worker`, `beat`, or any command (e.g.
# `python manage.py createsuperuser`); see docker/entrypoint.sh and docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings \
    PYTHONPATH=/app

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first (a layer that only changes with pyproject.toml). The project declares no
# importable packages (`[tool.setuptools] packages = []`): `pip install .` installs its
# dependencies, and the code runs from /app.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected into the image (whitenoise serves them, with hashed names, which
# needs the manifest built here). The settings refuse DEBUG=false without a long secret key and
# allowed hosts: both are dummies that exist only for this one command, never at run time.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=build-time-dummy-key-used-only-by-collectstatic-never-at-runtime \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var \
    && chmod 0755 docker/entrypoint.sh

USER app

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
