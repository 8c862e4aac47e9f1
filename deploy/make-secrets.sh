#!/bin/sh
# Creates the secrets compose.yaml reads (deploy/secrets/, one file each) and deploy/.env with the
# Keycloak passwords; nothing is overwritten. Keep both out of version control (.gitignore does).
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
key() { python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'; }
make() { [ -s "secrets/$1" ] || printf '%s\n' "$2" > "secrets/$1"; }

make postgres_password "$(random)"
for service in registry alerts transfers; do
  make "${service}_db_password" "$(random)"
  password=$(cat "secrets/${service}_db_password")
  make "${service}_database_url" "postgresql://amparo_${service}:${password}@postgres:5432/${service}"
done
make registry_encryption_key "$(key)"
make registry_hashing_key "$(key)"
[ -s .env ] || printf 'KEYCLOAK_ADMIN_PASSWORD=%s\nKEYCLOAK_DB_PASSWORD=%s\n' "$(random)" "$(random)" > .env
echo "secrets in $(pwd)/secrets and $(pwd)/.env"
