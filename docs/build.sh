#!/usr/bin/env bash
# Builds the documentation site into build/site, strictly: a broken link,
# a cross-reference that does not resolve, a page missing from the
# navigation or a docstring the parser rejects fails the build. Then
# checks that every public name of nda_tf is in the built reference.
#
#   .venv/bin/pip install ".[docs]"     # once
#   bash docs/build.sh [PYTHON]         # default: .venv/bin/python
#
# Needs no GPU and no network: mkdocstrings reads the sources, the
# generated pages import nda_tf (TensorFlow on the CPU) and draw the
# transforms gallery from scikit-image's bundled photos.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv/bin/python}

export CUDA_VISIBLE_DEVICES=""
export NDA_TF_NO_DOWNLOAD=1
export TF_CPP_MIN_LOG_LEVEL=3
# MkDocs' plugins print notices about their futures on every build.
export NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true

start=$(date +%s)
"$python" -m mkdocs build --strict --site-dir build/site
"$python" tools/check_docs_inventory.py build/site/objects.inv
echo "docs: build/site/index.html ($(($(date +%s) - start)) s)"
