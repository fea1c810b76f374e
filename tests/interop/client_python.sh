# Sourced by the interop tests: client_python MODULES sets $python to the Python with the real
# clients (GEN_CLIENT_PYTHON, set by ctest: the checkout's .venv/), and ends the test when it
# cannot import MODULES (comma-separated): exit 1 under CI, else 77 (ctest: skipped).
client_python() {
  python=${GEN_CLIENT_PYTHON:-python3}
  "$python" -c "import $1" 2>/dev/null && return 0
  if [[ -n ${CI:-} ]]; then echo "$python cannot import $1: scripts/setup.sh installs it into .venv"; exit 1; fi
  echo "skipped: $python cannot import $1 (scripts/setup.sh installs it into .venv)"
  exit 77
}
