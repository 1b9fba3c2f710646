#!/bin/sh
# mailsuite-entrypoint: runs one mailsuite process (or mailctl) as PID 1 of the container.
# Usage: mailsuite-entrypoint PROCESS [FLAGS...], e.g. `mailbox-store --log_level=debug`.
# Secrets as files (docker-compose secrets, Kubernetes secret volumes): libpq has no
# PGPASSWORD_FILE, so a readable $PGPASSWORD_FILE is exported as PGPASSWORD here.
set -eu
if [ -n "${PGPASSWORD_FILE:-}" ]; then
  if [ ! -r "$PGPASSWORD_FILE" ]; then
    echo "mailsuite-entrypoint: PGPASSWORD_FILE=$PGPASSWORD_FILE is not readable by uid $(id -u)" >&2
    exit 1
  fi
  PGPASSWORD=$(cat "$PGPASSWORD_FILE")
  export PGPASSWORD
fi
case "${1:-}" in
  smtp-ingress | outbound-relay | dns-resolver | mailbox-store | imap-access | pop3-access | mailctl)
    exec "/usr/local/bin/$@" ;;
  "")
    exec /usr/local/bin/mailctl help ;;
  *)
    # Anything else (sh for a look around) runs as given.
    exec "$@" ;;
esac
