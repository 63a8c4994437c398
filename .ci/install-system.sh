#!/usr/bin/env bash
# Debian packages the tests need: gnome-keyring + libsecret-tools + dbus (a real Secret Service),
# chromium (driven by npm playwright-core, never a browser download), jupyter-nbconvert +
# python3-nbclient + python3-ipykernel (real notebooks with the Deno kernel), redis-server (fleet
# store), xdg-utils (the platform opener). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(gnome-keyring libsecret-tools dbus dbus-x11 chromium jupyter-nbconvert python3-nbclient
  python3-ipykernel redis-server xdg-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "system packages present: ${packages[*]}"
