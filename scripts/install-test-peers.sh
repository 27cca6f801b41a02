#!/usr/bin/env bash
# Installs the Debian packages the tests talk to (independent implementations used for interop checks).
# Does nothing when they are already installed; needs root (or sudo) otherwise.
set -euo pipefail

PACKAGES=(python3-spf python3-dnspython postsrsd libmail-srs-perl swaks python3-dkim python3-authres opendkim opendkim-tools nsd unbound ldnsutils libxml2-utils)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test peers: all installed (${PACKAGES[*]})"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "test peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
