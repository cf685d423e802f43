#!/bin/sh
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): the gateway's login role.
# POSTGRES_USER (the table owner) runs the migrations; gateway_app, a member of gateway_runtime
# only, is what the gateway connects as. The migrations create gateway_runtime when it is missing
# and grant it its privileges; it is created here first so the membership can be granted now.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$GATEWAY_DB_PASSWORD" <<'SQL'
CREATE ROLE gateway_runtime NOLOGIN;
CREATE ROLE gateway_app LOGIN PASSWORD :'app_password';
GRANT gateway_runtime TO gateway_app;
SQL
