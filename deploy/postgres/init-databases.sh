#!/bin/sh
# Run once by the postgres image on an empty data folder: one database and one owner per service
# (and Keycloak's), each password read from its secret file; nobody else may connect to them.
set -eu

create() {
  database=$1 owner=$2 password=$3
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v database="$database" -v owner="$owner" -v password="$password" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"owner";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
}

for service in registry alerts transfers; do
  create "$service" "amparo_$service" "$(cat "/run/secrets/${service}_db_password")"
done
create keycloak keycloak "$KEYCLOAK_DB_PASSWORD"
