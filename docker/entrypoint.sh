#!/bin/sh
# Container entry point. The first argument picks the role:
#   web     migrate, create missing reference data (never overwrites an admin's edit), then
#           serve with gunicorn on :8000
#   worker  a Celery worker
#   beat    Celery beat (the periodic jobs, from the database: editable in the admin)
#   other   run as given, e.g. `python manage.py createsuperuser`
set -eu

role="${1:-web}"
case "$role" in
  web)
    python manage.py migrate --noinput
    python manage.py load_reference_data
    # WEB_CONCURRENCY (read by gunicorn) sets the number of workers; GUNICORN_CMD_ARGS adds
    # options, e.g. --forwarded-allow-ips for the reverse proxy's address.
    exec gunicorn portal.wsgi \
      --bind 0.0.0.0:8000 \
      --workers "${WEB_CONCURRENCY:-2}" \
      --no-control-socket \
      --access-logfile - \
      --graceful-timeout 20
    ;;
  worker)
    exec celery -A portal worker --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-2}"
    ;;
  beat)
    # Schedules live in the database (django-celery-beat), editable in the admin: no file.
    exec celery -A portal beat --loglevel "${CELERY_LOG_LEVEL:-INFO}"
    ;;
  *)
    exec "$@"
    ;;
esac
