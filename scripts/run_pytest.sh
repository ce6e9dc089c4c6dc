#!/usr/bin/env bash
# Run pytest and treat "no tests collected" (exit 5) as a failure with a clear message:
# a lane that silently runs nothing must not look green.
set -u
python=$1; shift
"$python" -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "run_pytest: pytest collected no tests for: $*" >&2
  exit 1
fi
exit "$rc"
