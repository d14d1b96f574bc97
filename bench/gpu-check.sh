#!/usr/bin/env bash
# The GPU check (issue 7), each part time-boxed, the whole under 8 minutes:
#   device   nvidia-smi (GPU, driver, CUDA), the libraries and packages the GPU backends need,
#            the adapter Dawn (WebGPU) finds through Vulkan
#   parity   loss and every weight gradient of a small U-Net (64x128, depth 3, 4 filters) on
#            the GPU backend against wasm; relative error must stay below 1e-3
#   timing   training steps of the paper profile's network (352x704, batch 4, 16 filters,
#            depth 4): median of 10 after 3 warm-up; without a GPU, the laptop network on wasm
#   train    notebook 1 (experiment 1) in the smoke profile, end to end
# Results: gpu-check.log, gpu-check.json and one JSON a part, under $OUT when set, else
# bench/out/. Exit 0 when no part failed; parts that cannot run here are skipped with why.
#
#   bash bench/gpu-check.sh --prepare    with the npm registry: install the optional WebGPU
#                                        packages (npm install --no-save) and pack
#                                        .cache/gpu-check/ (Node, the packages the check loads,
#                                        smoke samples, the Vulkan loader) for a machine
#                                        without network: carry .cache/gpu-check there
#   bash bench/gpu-check.sh              the check; uses the kit where Node or node_modules
#                                        is missing
#   bash bench/gpu-check.sh --software   parity and timing on WebGPU through Mesa's llvmpipe
#                                        (Dawn's OpenGL ES backend): the code path, no GPU
#   --use-kit                            take Node and node_modules from the kit regardless
set -uo pipefail

root=$(cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root" || exit 1
kit=$root/.cache/gpu-check
prepare=0 software=0 use_kit=0
for argument in "$@"; do
  case $argument in
    --prepare) prepare=1 ;;
    --software) software=1 ;;
    --use-kit) use_kit=1 ;;
    *) echo "gpu-check: unknown option '$argument' (--prepare, --software, --use-kit)" >&2
       exit 2 ;;
  esac
done

if [[ $prepare == 1 ]]; then
  spec=$(node --import tsx bench/gpu-kit.ts install-spec) || exit 1
  missing=0
  for package in $spec; do
    [[ -f node_modules/${package%@*}/package.json ]] || missing=1
  done
  if [[ $missing == 1 ]]; then
    echo "gpu-check: npm install --no-save $spec"
    timeout 600 npm install --no-save --no-audit --no-fund $spec ||
      { echo "gpu-check: cannot install $spec (is the npm registry reachable?)" >&2; exit 1; }
  fi
  mkdir -p "$kit/debs"
  # The Vulkan loader, for a GPU machine whose image lacks it; unpacked there, not installed.
  (cd "$kit/debs" && rm -f libvulkan1_*.deb && apt-get download libvulkan1 >/dev/null 2>&1) ||
    echo "gpu-check: apt-get download libvulkan1 failed; the kit has no Vulkan loader" >&2
  node --import tsx bench/gpu-kit.ts pack "$kit" || exit 1
  du -sh "$kit"
  echo "gpu-check: prepared. On the GPU machine: carry .cache/gpu-check, run" \
    "bash bench/gpu-check.sh"
  exit 0
fi

out=${OUT:-$root/bench/out}
mkdir -p "$out"
log=$out/gpu-check.log
: > "$log"
exec > >(tee -a "$log") 2>&1
started=$SECONDS
scratch=${TMPDIR:-/tmp}/gpu-check-kit
echo "gpu-check: $(date -u +%FT%TZ) on $(hostname), results in $out"

node_fits() {
  command -v node >/dev/null && node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1);'
}
if [[ $use_kit == 1 ]] || ! node_fits; then
  [[ -f $kit/node.xz ]] || { echo "gpu-check: no Node >= 20.19 here and no kit" \
    "($kit/node.xz); run bash bench/gpu-check.sh --prepare where npm works" >&2; exit 1; }
  mkdir -p "$scratch/bin"
  xz -dc "$kit/node.xz" > "$scratch/bin/node" && chmod +x "$scratch/bin/node" || exit 1
  export PATH=$scratch/bin:$PATH
fi
if [[ ! -d node_modules/@tensorflow/tfjs ]]; then
  [[ -f $kit/node_modules.tar.xz ]] || { echo "gpu-check: node_modules missing and no kit" \
    "($kit/node_modules.tar.xz)" >&2; exit 1; }
  tar -xJf "$kit/node_modules.tar.xz" -C "$root" || exit 1
  echo "gpu-check: node_modules unpacked from the kit"
fi
echo "gpu-check: node $(node --version) at $(command -v node)"

# The Vulkan loader and the NVIDIA driver's Vulkan ICD, where the image does not list them.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  deb=$(ls "$kit"/debs/libvulkan1_*.deb 2>/dev/null | head -n 1)
  if [[ -n $deb ]] && dpkg -x "$deb" "$scratch/vulkan"; then
    loader=$scratch/vulkan/usr/lib/x86_64-linux-gnu
    export LD_LIBRARY_PATH=$loader${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    echo "gpu-check: Vulkan loader unpacked from the kit ($(basename "$deb"))"
  fi
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -f $icd && -z ${VK_ICD_FILENAMES:-} && ! -f /usr/share/vulkan/icd.d/nvidia_icd.json &&
      ! -f /etc/vulkan/icd.d/nvidia_icd.json ]]; then
  export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
  echo "gpu-check: Vulkan ICD $icd"
fi
for folder in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [[ -d $folder ]] && export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$folder
done

export STUDY_PROGRESS=lines
flags=()
[[ $software == 1 ]] && flags+=(--software)
codes=()
run_part() {
  local part=$1 limit=$2
  shift 2
  echo "== $part (time box ${limit} s, at $((SECONDS - started)) s) =="
  rm -f "$out/$part.json"
  timeout -k 5 "$limit" node --import tsx bench/gpu-check.ts "$part" "$out" "$@"
  codes+=("$part=$?")
}
run_part device 40 "${flags[@]}"
run_part parity 100 "${flags[@]}"
run_part timing 130 --budget-ms 90000 "${flags[@]}"
run_part train 160 "${flags[@]}"
echo "== summary (after $((SECONDS - started)) s) =="
node --import tsx bench/gpu-check.ts summary "$out" "${codes[@]}"
