#!/usr/bin/env bash
# Screenshots of built documentation pages, taken by headless Chromium
# (Debian: apt-get install -y chromium), to look at what a reader sees.
#
#   bash docs/build.sh                       # builds build/site
#   bash tools/docs_screenshots.sh [OUT_DIR] [PAGE.html ...]
#
# Default pages: the transforms gallery and the NDA-GAN guide; default
# OUT_DIR: build/screenshots. Each page gives OUT_DIR/<page>.png at
# 1280x2000 (what a reader sees first) and OUT_DIR/<page>_full.png,
# 1280 wide and SCREENSHOT_HEIGHT (default 6000) tall, for the rest of a
# long page (headless Chromium cannot size a screenshot to its page).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build/screenshots}
shift || true
pages=("$@")
if [ ${#pages[@]} -eq 0 ]; then
    pages=(transforms.html gan_training.html)
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "no chromium: apt-get install -y chromium" >&2
    exit 1
fi
site=$PWD/build/site
mkdir -p "$out"
for page in "${pages[@]}"; do
    if [ ! -f "$site/$page" ]; then
        echo "no $site/$page: build the site first (bash docs/build.sh)" >&2
        exit 1
    fi
    name=${page%.html}
    name=${name//\//_}
    for shot in "top 1280,2000" "full 1280,${SCREENSHOT_HEIGHT:-6000}"; do
        set -- $shot
        file="$out/$name.png"
        [ "$1" = full ] && file="$out/${name}_full.png"
        # --no-sandbox: CI and these machines run as root.
        "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --window-size="$2" --screenshot="$file" "file://$site/$page" \
            >/dev/null 2>&1
        echo "$file"
    done
done
