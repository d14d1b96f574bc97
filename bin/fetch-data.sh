#!/usr/bin/env bash
# Fetches the two public samples the study runs on and lays them out as
#   <target>/dc1000/{images,masks}            center A (DC1000 test samples, Zzz512/MLUA)
#   <target>/cariesxrays/{images,annotations} center B (CariesXrays 0.5% sample,
#                                             Binz-Chen/AAAI2024_CariesXrays)
# Usage: npm run data [-- <target>]   or   bin/fetch-data.sh [<target>]
# Target: $1, else $DENTAL_DATA, else ../shared/data next to the project.
# Needs git and a network; it clones both repositories (--depth 1) into a temporary folder.
# Cite Wang et al. (Neurocomputing 540, 2023) and Chen et al. (AAAI 2024) when using them.
set -euo pipefail

project="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-${DENTAL_DATA:-$project/../shared/data}}"

MLUA_URL="https://github.com/Zzz512/MLUA.git"
CARIES_URL="https://github.com/Binz-Chen/AAAI2024_CariesXrays.git"

fail() { echo "fetch-data: $*" >&2; exit 1; }

command -v git >/dev/null || fail "git is not installed; install git and run again."

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

clone() { # url folder
  echo "fetch-data: cloning $1 ..."
  if ! git -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=60 \
      clone --quiet --depth 1 "$1" "$workdir/$2"; then
    fail "could not clone $1 (no network, or GitHub unreachable). Get the two samples on a
machine with a network (this script, or by hand from the repositories above), copy them into
$target in the layout shown at the top of bin/fetch-data.sh, or set DENTAL_DATA to their folder."
  fi
}

first_dir() { # the first existing folder among the arguments
  for candidate in "$@"; do
    if [ -d "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  fail "none of these folders exists in the clone: $*; the repository layout has changed."
}

copy_files() { # from to pattern...
  local from="$1" to="$2"; shift 2
  mkdir -p "$to"
  local copied=0
  for pattern in "$@"; do
    for file in "$from"/$pattern; do
      [ -f "$file" ] || continue
      cp "$file" "$to/"
      copied=$((copied + 1))
    done
  done
  [ "$copied" -gt 0 ] || fail "no files matching $* in $from"
  echo "fetch-data: $copied files -> $to"
}

clone "$MLUA_URL" mlua
clone "$CARIES_URL" cariesxrays

# DC1000: the *_cut folders hold the panoramics cropped to the dentition (1536x768), which the
# authors validate on; fall back to the uncut folders if a later commit renames them.
dc1000="$workdir/mlua/dataset/test"
from="$(first_dir "$dc1000/images_cut" "$dc1000/images")"
copy_files "$from" "$target/dc1000/images" '*.png'
from="$(first_dir "$dc1000/labels_cut" "$dc1000/labels")"
copy_files "$from" "$target/dc1000/masks" '*.png'

# CariesXrays: the image folder is spelled 'JEPGImages' in the repository.
caries="$workdir/cariesxrays/CariesXrays_Dataset(0.5%)"
from="$(first_dir "$caries/JEPGImages" "$caries/JPEGImages")"
copy_files "$from" "$target/cariesxrays/images" '*.jpg' '*.jpeg'
from="$(first_dir "$caries/Annotations")"
copy_files "$from" "$target/cariesxrays/annotations" '*.xml'

echo "fetch-data: done. Data folder: $(cd "$target" && pwd)"
echo "fetch-data: if it is not ../shared/data next to the project, export DENTAL_DATA=$target"
