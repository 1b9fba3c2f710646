#!/bin/sh
# deploy/make-secrets.sh: writes the secret files deploy/compose.yaml reads, if missing:
# random database, first-account and Grafana passwords and a self-signed TLS certificate
# (replace tls_cert.pem/tls_key.pem with real ones, e.g. from certbot, for production).
# The files are mode 0644 so that uid 10001 in the containers can read them through the
# bind mount; keep deploy/secrets/ itself private (0700) on a shared host.
set -eu
dir=$(dirname "$0")/secrets
hostname=${MAILSUITE_HOSTNAME:-mail.example.test}
mkdir -p "$dir"
chmod 0700 "$dir"
for name in db_password init_password grafana_admin_password; do
  if [ ! -s "$dir/$name" ]; then
    openssl rand -base64 24 | tr -d '\n' >"$dir/$name"
    echo "wrote $dir/$name"
  fi
done
if [ ! -s "$dir/tls_cert.pem" ] || [ ! -s "$dir/tls_key.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$hostname" \
    -addext "subjectAltName=DNS:$hostname" \
    -keyout "$dir/tls_key.pem" -out "$dir/tls_cert.pem" 2>/dev/null
  echo "wrote $dir/tls_cert.pem and $dir/tls_key.pem (self-signed for $hostname)"
fi
chmod 0644 "$dir"/*
