#!/bin/sh
# help2man runs this as the program: `--help` prints trawl's help and every
# subcommand's, so the man page documents each flag from the CLI itself.
# TRAWL_BIN names the binary.
set -e
bin=${TRAWL_BIN:?TRAWL_BIN must name the trawl binary}
case "$1" in
  --version) exec "$bin" --version ;;
  --help)
    "$bin" --help | sed 's|^Usage: [^ ]*trawl|Usage: trawl|'
    for sub in scan "report merge" retro "inventory stats" "inventory diff" iocs signatures sigma; do
      echo
      echo "trawl $sub:"
      # shellcheck disable=SC2086
      "$bin" $sub --help | sed 's|^Usage: [^ ]*trawl|Usage: trawl|'
    done
    ;;
  *) exit 2 ;;
esac
