#!/usr/bin/env bash
# One night of cutover's scheduled run: restore the history, restore the truststore to the path datacenters.toml
# names, run the gates, keep the reports (the certificates folders the fix plan names included) and the history
# for the next night. The same under GitHub Actions, GitLab CI, Jenkins and a host's own timer: the templates
# beside this file only set up and call it (docs/scheduled-runs.md). Copy it into your repository beside
# datacenters.toml (e.g. ci/cutover-nightly.sh).
#
# Run it from the folder that holds datacenters.toml. Settings, all optional, from the environment:
#   CUTOVER_DATACENTERS   the datacenters file (default datacenters.toml)
#   CUTOVER_SR            the service request the evidence is for; passed to pytest only when set
#   CUTOVER_PIN           what pip installs into ./.venv when there is no cutover yet (cutover @ git+...@<commit>)
#   CUTOVER_PYTEST        the pytest to run (default ./.venv/bin/pytest)
#   CUTOVER_HISTORY_DIR   the history folder the CI saves and restores (default cutover-history): JSON only
#   CUTOVER_HISTORY_KEEP  how many runs it keeps (default 60)
#   CUTOVER_HISTORY_FROM  an earlier job's artifacts (a zip file, or an https URL: GitLab's last successful
#                         pipeline's) whose history folder is restored first; fetched with the token in
#                         CUTOVER_HISTORY_TOKEN (a project access token, read_api: GitLab Free) else $CI_JOB_TOKEN
#   CUTOVER_REPORTS_DIR   where the report, JUnit XML, JSON evidence and certificates go (default reports)
#   CUTOVER_STORE_FILE    the truststore as the CI hands it over (a Jenkins secret file, a GitLab secure file):
#                         copied to the path datacenters.toml names, so every fix command names that path
#   CUTOVER_STORE_GPG     or: the truststore gpg-encrypted in the repository (GitHub's way for large secrets),
#                         decrypted to that path with the passphrase in CUTOVER_STORE_PASSPHRASE
# The store's password comes from the variable [truststore] password_env names (CUTOVER_TRUSTSTORE_PASSWORD).
# Arguments are passed on to pytest. Exit code: the gate run's (0 ready, 1 not ready, 6 not proven: a gate test
# was skipped; docs/exit-codes.md), or 4 when this script cannot set the night up.
set -uo pipefail

datacenters=${CUTOVER_DATACENTERS:-datacenters.toml}
history=${CUTOVER_HISTORY_DIR:-cutover-history}
keep=${CUTOVER_HISTORY_KEEP:-60}
reports=${CUTOVER_REPORTS_DIR:-reports}
pytest=${CUTOVER_PYTEST:-.venv/bin/pytest}

fail() { echo "cutover-nightly: $*" >&2; exit 4; }

if [ ! -x "$pytest" ]; then
  [ -n "${CUTOVER_PIN:-}" ] || fail "no $pytest: install cutover into ./.venv, or set CUTOVER_PIN (or CUTOVER_PYTEST)"
  python3 -m venv .venv && .venv/bin/pip install -q "$CUTOVER_PIN" || fail "pip could not install $CUTOVER_PIN"
fi
python=$(dirname "$pytest")/python
[ -x "$python" ] || python=python3
[ -f "$datacenters" ] || fail "no $datacenters in $(pwd): run this script from the folder that holds it"

# The history: what an earlier job kept, into a folder of its own (JSON only; the runs prune it).
mkdir -p "$history" "$reports"
if [ -n "${CUTOVER_HISTORY_FROM:-}" ]; then
  archive=$CUTOVER_HISTORY_FROM
  if [[ $archive == https://* ]]; then
    archive=$(mktemp)
    auth=()
    header=$(mktemp)  # the token goes in a file, so that it is never in the process list
    if [ -n "${CUTOVER_HISTORY_TOKEN:-}" ]; then
      printf 'PRIVATE-TOKEN: %s\n' "$CUTOVER_HISTORY_TOKEN" > "$header" && auth=(-H "@$header")
    elif [ -n "${CI_JOB_TOKEN:-}" ]; then
      printf 'JOB-TOKEN: %s\n' "$CI_JOB_TOKEN" > "$header" && auth=(-H "@$header")
    fi
    if ! curl -fsSL --max-time 120 -o "$archive" "${auth[@]}" "$CUTOVER_HISTORY_FROM"; then
      echo "cutover-nightly: no earlier artifacts at $CUTOVER_HISTORY_FROM (the first night?): starting a history"
      : > "$archive"
    fi
    rm -f "${header:-}"
  fi
  if [ -s "$archive" ]; then
    unpacked=$(mktemp -d)
    "$python" -m zipfile -e "$archive" "$unpacked" || fail "$CUTOVER_HISTORY_FROM is not a zip of an earlier job"
    find "$unpacked" -path "*/$(basename "$history")/*.json" -exec cp {} "$history"/ \;
    rm -rf "$unpacked"
  fi
fi
echo "cutover-nightly: $(find "$history" -maxdepth 1 -name '*.json' | wc -l) earlier run(s) in $history"

# The truststore, restored to the path datacenters.toml names (never another path: the fix plan names it).
store=$("$python" - "$datacenters" <<'EOF'
import pathlib, sys, tomllib
path = pathlib.Path(sys.argv[1])
name = tomllib.loads(path.read_text(encoding="utf-8")).get("truststore", {}).get("path", "")
print(path.parent / name if name else "")
EOF
) || fail "$datacenters cannot be read as TOML"
restored=""
if [ -n "${CUTOVER_STORE_FILE:-}${CUTOVER_STORE_GPG:-}" ]; then
  [ -n "$store" ] || fail "$datacenters names no [truststore] path to restore the store to"
  fresh=$(mktemp)
  if [ -n "${CUTOVER_STORE_GPG:-}" ]; then
    [ -n "${CUTOVER_STORE_PASSPHRASE:-}" ] || fail "CUTOVER_STORE_GPG is set but CUTOVER_STORE_PASSPHRASE is not"
    printf '%s' "$CUTOVER_STORE_PASSPHRASE" | gpg --quiet --batch --yes --pinentry-mode loopback \
      --passphrase-fd 0 --output "$fresh" --decrypt "$CUTOVER_STORE_GPG" \
      || fail "gpg could not decrypt $CUTOVER_STORE_GPG (is CUTOVER_STORE_PASSPHRASE its passphrase?)"
  else
    cp "$CUTOVER_STORE_FILE" "$fresh" || fail "cannot read CUTOVER_STORE_FILE ($CUTOVER_STORE_FILE)"
  fi
  if [ -e "$store" ] && ! cmp -s "$fresh" "$store"; then
    rm -f "$fresh"
    fail "$store exists and differs from the store the CI handed over: this script never overwrites a store"
  fi
  mkdir -p "$(dirname "$store")" && mv "$fresh" "$store" && chmod 600 "$store"
  restored=$store
  trap 'rm -f "$restored"' EXIT
fi

args=(--datacenters="$datacenters" --reports-dir="$reports" --history-dir="$history" --history-keep="$keep")
if [ -n "${CUTOVER_SR:-}" ]; then args+=(--sr="$CUTOVER_SR"); fi
"$pytest" "${args[@]}" "$@"
rc=$?
echo "cutover-nightly: gates exited $rc; keep $reports/ (reports, JUnit XML, JSON, the certificates folders) and $history/"
exit $rc
