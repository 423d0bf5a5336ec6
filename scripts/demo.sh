#!/usr/bin/env bash
# `make demo`: the weekly digest on the embedded defaults, in a fresh demo/ folder.
# No configuration file: SQLite state in demo/state, email to demo/outbox as .eml files,
# Mastodon and X as dry runs (their posts are shown, and written to demo/preview).
set -euo pipefail
repository="$(cd "$(dirname "$0")/.." && pwd)"
publisher="$repository/.venv/bin/publisher"
demo="$repository/demo"
sample="$repository/../shared/samples/open-source-compact.txt"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$demo"
mkdir -p "$demo/stories"
cp "$repository"/examples/stories/* "$demo/stories/"
lead=night-trains-return
if [ -f "$sample" ]; then cp "$sample" "$demo/stories/" && lead=open-source-compact; fi
cd "$demo"
# Stories without a date are dated by their files: make the lead story the newest.
touch -d "1 hour ago" stories/*
touch stories/"$lead".*
cat > subscribers.csv <<'CSV'
email,name
ada@example.org,Ada Lovelace
grace@example.org,Grace Hopper
not-an-address,Mistyped Row
ken@example.net,Ken Thompson
CSV

step "Subscribers for the newsletter (a bad row is reported, the rest imported)"
"$publisher" subscribers import subscribers.csv || true

step "How a story file was understood"
"$publisher" story "stories/$(ls stories | grep "^$lead\.")"

step "Checking the configuration (the embedded defaults) and each destination"
"$publisher" check

step "One story, published now"
"$publisher" publish --story "$lead"

step "The weekly digest: every story of the last 7 days"
"$publisher" digest

step "The digest again: nothing is sent twice"
"$publisher" digest

step "Preview of every destination"
"$publisher" preview --story "$lead" --out preview

step "Status"
"$publisher" status

step "Where to look"
cat <<TXT
  Newsletter (.eml files, open them in a mail client): $demo/outbox/
$(find "$demo/outbox" -name '*.eml' | sort | sed 's/^/    /')
  Every destination side by side:                      $demo/preview/index.html
  Dry-run social posts, part by part:                  $demo/preview/fediverse/, x/ and bluesky/
  The state database (ledger, subscribers, schedules): $demo/state/publisher.db
  Try: cd demo && ../.venv/bin/publisher publish --story tokyo-library-night --dry-run

  The archive, the sign-up form and the unsubscribe pages (Ctrl+C stops it):
    cd demo && ../.venv/bin/publisher serve
  then open http://127.0.0.1:8000/archive and http://127.0.0.1:8000/subscribe. The unsubscribe
  link of any .eml above works there too: replace https://brief.example.org with
  http://127.0.0.1:8000, open it, press the button, then run publisher subscribers list.
TXT
