#!/bin/sh
# Split mode: one database per service, created on the PostgreSQL container's first start
# (docker-entrypoint-initdb.d runs only while the data volume is empty).
set -eu
for service in auth qr microsite analytics web; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE scanpage_${service}"
done
