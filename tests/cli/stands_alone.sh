#!/usr/bin/env bash
# The project stands alone (docs/HOSTILE.md, docs/SECURITY.md): no file of
# it cites documents or paths outside the repository — the hostile-input
# catalogue and the spec it was built from are restated in docs/. .ci/ and
# tests/upstream.cmake may search for a packetdrill tree at build time and
# are not checked.
set -uo pipefail
root=$1
cd "$root" || exit 1
hits=$(grep -rnE '/work/|\.\./shared|/shared/|HOSTILE-INPUTS|SPEC\.md|STYLE\.md' \
  src include tools tests docs examples bench fuzz README.md CMakeLists.txt cmake Makefile 2>/dev/null |
  grep -v '^tests/cli/stands_alone.sh:')
if [ -n "$hits" ]; then
  echo "FAIL: references to files outside the repository:"
  echo "$hits"
  exit 1
fi
echo "ok: no reference outside the repository"
