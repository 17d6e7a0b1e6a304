#!/usr/bin/env bash
# docs.sh SYNACK DOCS_DIR VERSION — the command's own documentation:
#   1. `synack --version` and `synack version` print "synack VERSION";
#   2. each man page (synack.1, synack-<command>.1) renders with groff
#      without a warning, and every line of the --help text it was made from
#      appears in it (words compared, spacing aside);
#   3. the bash completion completes commands, each option the --help text
#      names, lab's scenario names, and nothing for an unknown command.
set -u
SYNACK=$1 DOCS=$2 VERSION=$3
FAILS=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
if ! command -v groff >/dev/null; then
    if [ "${CI:-}" = true ]; then echo "FAIL: docs cannot run in CI: needs groff (Debian: groff-base)" >&2; exit 1; fi
    echo "SKIP: docs: needs groff (Debian: groff-base)" >&2; exit 77
fi

for form in --version version; do
    out=$("$SYNACK" $form); rc=$?
    check "synack $form: exit 0, prints 'synack $VERSION' (got '$out')" [ "$rc" = 0 -a "$out" = "synack $VERSION" ]
done

squeeze() { tr -s ' \t' ' ' | sed 's/^ //; s/ $//'; }
for cmd in "" lab script serve connect get bulk trace; do
    page=$DOCS/synack${cmd:+-$cmd}.1
    if [ ! -f "$page" ]; then bad "man page $page exists"; continue; fi
    warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    check "$(basename "$page") renders without warnings ($warn)" [ -z "$warn" ]
    rendered=$(MANWIDTH=200 groff -man -Tascii -rLL=200n -P-cbou "$page" 2>/dev/null | squeeze)
    if [ -z "$cmd" ]; then help=$("$SYNACK" help); else help=$("$SYNACK" "$cmd" --help); fi
    missing=0
    while IFS= read -r line; do
        l=$(printf '%s' "$line" | sed 's/^usage: //' | squeeze)
        [ -z "$l" ] && continue
        grep -qF -- "$l" <<<"$rendered" || { missing=$((missing + 1)); echo "     not in $(basename "$page"): $l" >&2; }
    done <<<"$help"
    check "$(basename "$page") holds every line of synack${cmd:+ $cmd} --help" [ "$missing" = 0 ]
done

# Completion, as bash calls it.
# shellcheck source=/dev/null
. "$DOCS/synack.bash"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _synack; echo "${COMPREPLY[*]}"; }
got=$(complete_words "$SYNACK" la)
check "complete 'synack la' -> lab (got '$got')" [ "$got" = lab ]
got=$(complete_words "$SYNACK" ver)
check "complete 'synack ver' -> version (got '$got')" [ "$got" = version ]
got=$(complete_words "$SYNACK" lab --sce)
check "complete 'synack lab --sce' -> --scenario (got '$got')" [ "$got" = --scenario ]
got=$(complete_words "$SYNACK" lab --scenario lost-s)
check "complete 'synack lab --scenario lost-s' -> lost-syn lost-synack lost-server-fin (got '$got')" [ "$got" = "lost-syn lost-synack lost-server-fin" ]
got=$(complete_words "$SYNACK" frobnicate --)
check "complete 'synack frobnicate --' -> nothing (got '$got')" [ -z "$got" ]
for cmd in lab script serve connect get bulk trace; do
    all=" $(complete_words "$SYNACK" "$cmd" -) "
    miss=""
    for o in $("$SYNACK" "$cmd" --help | grep -oE -- '(^|[][ ,])--[a-z][a-z0-9_-]*' | tr -d '[], ' | sort -u); do
        [[ $all == *" $o "* ]] || miss="$miss $o"
    done
    check "completion offers every option of synack $cmd --help${miss:+ (missing:$miss)}" [ -z "$miss" ]
done

[ "$FAILS" -eq 0 ] || { echo "docs: $FAILS check(s) failed" >&2; exit 1; }
echo "docs: all checks passed"
