#!/usr/bin/env bash
# Logical backup of Bilten's PostgreSQL database: one pg_dump archive in custom format
# (compressed, restorable table by table, in parallel with pg_restore --jobs).
#
# Usage: deploy/backup.sh [OUT_FILE]
#   DATABASE_URL   the database to back up (required; the primary, or a replica — a dump is
#                  one consistent snapshot either way)
#   BACKUP_DIR     where OUT_FILE goes when not given [.]: bilten-<db>-<UTC time>.dump
#
# The archive is written under a temporary name and renamed when complete, then listed with
# `pg_restore --list` (a truncated or corrupt archive fails here, not on the day you need
# it). Prints the file's path on the last line. Encrypt and copy it off the account
# (docs/OPERATIONS.md, "PostgreSQL backup and restore"); deploy/restore.sh restores it.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
db_name="${DATABASE_URL##*/}"
db_name="${db_name%%\?*}"
out="${1:-${BACKUP_DIR:-.}/bilten-${db_name}-$(date -u +%Y%m%dT%H%M%SZ).dump}"
partial="$out.partial"
trap 'rm -f "$partial"' EXIT

# --no-owner/--no-privileges: the archive restores under whatever role restores it (a new
# instance's roles need not match). --serializable-deferrable is for a busy primary: the
# snapshot waits for a moment no concurrent transaction can make inconsistent.
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --serializable-deferrable --file="$partial" "$DATABASE_URL"
entries=$(pg_restore --list "$partial" | grep -cv '^;')
mv "$partial" "$out"
echo "backup: $db_name -> $out ($(du -h "$out" | cut -f1), $entries archive entries)"
echo "$out"
