#!/usr/bin/env bash
# Installs what the tests with real parts (tests/real/, and the keyring and redis store tests
# in tests/stores/) need on a fresh Debian machine: a
# Secret Service (gnome-keyring, secret-tool, a session bus), Debian's Chromium driven by npm
# playwright-core (never a browser download), Jupyter's nbconvert/nbclient for the Deno
# kernel, redis-server for the fleet store, and xdg-open. Idempotent: packages already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

packages=(
  gnome-keyring     # gnome-keyring-daemon --components=secrets
  libsecret-tools   # secret-tool, which the keyring store runs
  dbus              # dbus-run-session
  dbus-x11          # dbus-launch, as on desktops
  chromium          # /usr/bin/chromium for playwright-core
  jupyter-nbconvert # jupyter nbconvert --execute
  python3-nbclient
  python3-ipykernel # jupyter_client and its kernel machinery
  xdg-utils         # xdg-open, through which Latchkey opens a browser ($BROWSER)
  redis-server      # the fleet store's tests start their own server on loopback
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "install-real-parts: installing ${missing[*]}"
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo) # CI runs as root; a laptop may not
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "install-real-parts: Debian packages already installed"
fi

# playwright-core comes from npm, pinned in tests/test_deps.ts and tests/deno.lock (no browser
# download: it drives /usr/bin/chromium); caching it here keeps the tests from fetching it mid-run.
deno cache --quiet --lock=tests/deno.lock tests/test_deps.ts tests/real/browser_test.ts

# The Deno kernel is installed by the Jupyter test into its throwaway HOME; check it runs.
deno jupyter --help >/dev/null
/usr/bin/python3 -c "import nbconvert, nbclient, jupyter_client" # Debian's Python, not pyenv's
echo "install-real-parts: ready"
