#!/usr/bin/env bash
# Debian's Noto fonts for the printed PDF slips: names and reasons in scripts that Roboto
# lacks (web/staff/pdf_fonts.py lists which font serves which script). fonts-noto-core
# holds the non-CJK scripts (Arabic, Thai, Lao, Khmer, Devanagari, ...), fonts-noto-cjk
# Chinese, Japanese and Korean. Without them the slips still print, those letters blank.
set -euo pipefail
missing=()
for pkg in fonts-noto-core fonts-noto-cjk; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
