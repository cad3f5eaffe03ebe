#!/bin/sh
# One-shot job of docker-compose.yml: with the master key (which only this job and
# Meilisearch itself see), make Baton's own Meilisearch API key once, limited to Baton's
# indexes and to what Baton does (search, documents, index settings, tasks), and write it
# to the `meili-key` volume as /keys/baton_meili_key, readable only by the API's user. The
# API reads it through BATON_SECRETS_DIR; it never holds the master key.
set -eu
url="${MEILI_URL:-http://meilisearch:7700}"
uid="${BATON_MEILI_KEY_UID:-4f1b7a52-9d0e-4c3a-8b1e-62a7f0c0ba70}"
owner="${BATON_UID:-10001}"
auth="Authorization: Bearer ${MEILI_MASTER_KEY:?set MEILI_MASTER_KEY in secrets/meilisearch.env}"
body=$(cat <<JSON
{"uid": "$uid", "name": "baton", "description": "Baton API (docker compose)",
 "actions": ["search", "documents.*", "indexes.*", "settings.*", "tasks.get", "stats.get", "version"],
 "indexes": ["baton-assets*"], "expiresAt": null}
JSON
)
# A key made by an earlier run answers 409 (api_key_already_exists): it is reused.
curl -sS -o /dev/null -X POST "$url/keys" -H "$auth" -H 'Content-Type: application/json' \
  --data "$body"
key=$(curl -fsS "$url/keys/$uid" -H "$auth" | sed -n 's/.*"key" *: *"\([0-9a-f]*\)".*/\1/p')
if [ -z "$key" ]; then
  echo "meili-key: could not read Baton's key $uid from $url" >&2
  exit 1
fi
umask 077
printf '%s' "$key" > /keys/baton_meili_key.new
chown "$owner:$owner" /keys/baton_meili_key.new
chmod 0400 /keys/baton_meili_key.new
mv /keys/baton_meili_key.new /keys/baton_meili_key
echo "meili-key: Baton's Meilisearch key $uid is ready (indexes baton-assets*)"
