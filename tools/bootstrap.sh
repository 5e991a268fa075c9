#!/usr/bin/env bash
# Creates .venv for this checkout without installing torch twice.
#
# Third-party dependencies (torch's CUDA build alone is several GB) live in a venv under
# $AUTOGRADER_CACHE keyed by the hash of the dependency list, so every clone and every CI
# run on the machine shares one install. The checkout's own .venv is a light venv that
# sees that cache through a .pth file and holds only an editable install of the project.
set -euo pipefail
cd "$(dirname "$0")/.."

# The sandbox is bubblewrap: without it grading refuses to start and the sandbox tests fail.
if ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing bubblewrap (the sandbox) with apt-get"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap
    else
        echo "bootstrap: bubblewrap (the sandbox) is not installed; install it, then run this again:" >&2
        echo "    sudo apt-get install bubblewrap      # Debian, Ubuntu" >&2
        echo "    sudo dnf install bubblewrap          # Fedora" >&2
        exit 1
    fi
fi
# The review app's browser tests drive the system's Chromium; without it they skip, saying why.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing chromium and chromium-driver (the review app's browser tests) with apt-get"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
            || echo "bootstrap: chromium could not be installed; the browser tests will skip" >&2
    else
        echo "bootstrap: no chromium/chromedriver; the browser tests will skip (sudo apt-get install chromium chromium-driver)" >&2
    fi
fi
python=${PYTHON:-python3}
cache=${AUTOGRADER_CACHE:-$HOME/.cache/autograder}
requirements=$("$python" tools/requirements.py)
key=$(printf '%s\n' "$requirements" "$("$python" -c 'import sys; print(sys.version)')" | sha256sum | cut -c1-16)
deps="$cache/deps-$key"

if [ ! -f "$deps/.complete" ]; then
    echo "bootstrap: installing dependencies into $deps (once per dependency list)"
    rm -rf "$deps"
    mkdir -p "$cache"
    "$python" -m venv "$deps"
    printf '%s\n' "$requirements" > "$deps/requirements.txt"
    "$deps/bin/python" -m pip install --quiet --upgrade pip "setuptools>=69"
    "$deps/bin/python" -m pip install --quiet -r "$deps/requirements.txt"
    touch "$deps/.complete"
fi

if [ ! -f .venv/.deps ] || [ "$(cat .venv/.deps)" != "$deps" ]; then
    rm -rf .venv
    "$python" -m venv --without-pip .venv
    site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    depsite=$("$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    # An "import" line makes site process the cache's own .pth files too.
    echo "import site; site.addsitedir('$depsite')" > "$site/_autograder_deps.pth"
    "$deps/bin/python" -m pip --python .venv/bin/python install --quiet --no-deps --no-build-isolation -e .
    echo "$deps" > .venv/.deps
fi
touch .venv/.deps  # up to date, for make, even when nothing needed installing
