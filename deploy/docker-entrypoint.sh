#!/bin/sh
# The image's entrypoint. A platform's volume (Railway's, for one) is mounted owned by root,
# which the unprivileged `scanpage` user cannot write. Started as root, this makes the data
# folder the scanpage user's, then runs scanpage as that user (setpriv, from util-linux, is in
# every Debian image). Started as any other user (`docker run --user`, RAILWAY_RUN_UID, or
# Kubernetes' runAsUser), it runs scanpage as it is.
set -eu
# A platform's start or pre-deploy command written as `scanpage migrate` arrives here as
# arguments: the program's name is not one of its subcommands.
if [ "${1:-}" = scanpage ]; then shift; fi
data="${SCANPAGE_DATA:-/data}"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$data"
    # Only the folder itself and what scanpage wrote; never a recursive walk of a large volume
    # that someone shares with other files.
    if [ "$(stat -c %u "$data")" != "$(id -u scanpage)" ]; then
        chown scanpage:scanpage "$data"
    fi
    exec setpriv --reuid=scanpage --regid=scanpage --init-groups --inh-caps=-all -- scanpage "$@"
fi
exec scanpage "$@"
