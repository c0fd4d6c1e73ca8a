#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# udmd answers with data (records, lib/util/proto.h) and the CLI alone writes
# dmsetup's and veritysetup's text (docs/architecture.md, "Control path").
# Usage: check-daemon-text.sh [ROOT]. Fails, naming the file and the string,
# on a string literal of ROOT/daemon/*.[ch] (comments aside) that holds a piece
# of that text: dmsetup's info block, ls, deps and version lines; veritysetup's
# status lines and its sentences.
set -u
root=${1:-.}
CC=${CC:-cc}
pats=$(mktemp) && trap 'rm -f "$pats"' EXIT
cat >"$pats" <<'PATS'
Name:              
State:             
Tables present:
Open count:
Event number:
Major, minor:
Number of targets:
Library version:
Driver version:
No devices found
dependencies\t
\t(%u:%u)
 v%u.%u.%u
is active
is inactive
type:        VERITY
hash offset:
data device:
[512-byte units]
Device %s
Root hash signature required
Failed to load key in kernel keyring
scheduled for deferred removal
Could not cancel deferred
PATS
rc=0
for f in "$root"/daemon/*.c "$root"/daemon/*.h; do
	[ -e "$f" ] || continue
	# the preprocessor only drops the comments here (no include is read)
	src=$("$CC" -fpreprocessed -dD -E -P -x c "$f" 2>/dev/null) || {
		echo "${f#"$root"/}: cannot be read" >&2
		rc=1
		continue
	}
	hits=$(printf '%s\n' "$src" | grep -oE '"([^"\\]|\\.)*"' | grep -F -f "$pats")
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed "s|^|${f#"$root"/}: dmsetup or veritysetup text: |"
		rc=1
	fi
done
exit $rc
