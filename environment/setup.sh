#!/usr/bin/env bash
# Sets up everything the notebooks need on a Debian machine; safe to run again.
#   1. Jupyter from Debian's packages (no pip): notebook, nbconvert, ipykernel, jupyter-client;
#      and Debian's chromium, in which the browser test opens the reports headless.
#   2. The project's npm packages, exactly as locked.
#   3. The tslab kernel, registered against Debian's Python (where Jupyter lives) and
#      started through environment/tslab-kernel, which runs this clone's own tslab.
set -euo pipefail
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

say() { printf 'setup: %s\n' "$*"; }

# Node.js 20.9 or newer (sharp and the test runner need it); Debian 12's own nodejs is 18.
if ! command -v node >/dev/null 2>&1; then
  say "Node.js is missing: install Node.js 20 (for example from NodeSource) and run again." >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=9)?0:1)' || {
  say "Node.js $(node --version) is too old: 20.9 or newer is needed." >&2
  exit 1
}

packages=(jupyter-notebook jupyter-nbconvert python3-ipykernel jupyter-client chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${missing[*]} from Debian's packages"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "Jupyter packages and chromium already installed"
fi

# npm ci only when the installed tree does not match the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
else
  say "npm packages up to date"
fi

# The kernel spec: one inside the clone (the main job points JUPYTER_PATH at it, so it always
# runs this clone's code) and one for the user, so `jupyter notebook` offers TypeScript too.
# The user-wide one is shared by every clone; its launcher runs the clone that holds the
# notebook (see environment/tslab-kernel), so registering a second clone changes nothing.
python=/usr/bin/python3
kernel="$root/environment/tslab-kernel"
chmod +x "$kernel"
"$root/node_modules/.bin/tslab" install --python="$python" --binary="$kernel" \
  --prefix="$root/.jupyter" >/dev/null
"$root/node_modules/.bin/tslab" install --python="$python" --binary="$kernel" --user >/dev/null
say "tslab kernel registered (python: $python, kernel: $kernel)"
say "done. Run the study with: npm run study   (tests: npm test)"
