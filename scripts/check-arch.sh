#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The architecture check (docs/architecture.md, "The rules and their check"):
# the arrows of the source tree point down only, and files do not call each
# other round. It reads the #include lines of the sources and the defined and
# undefined symbols of the built objects (nm), and fails, one line per
# finding, on:
#
#  1. an include that points up or sideways in lib/. The layers, lowest first;
#     a file may include the public headers (udm/...), its own layer's and
#     those of the layers it stands on:
#        util     -                      small shared helpers
#        nbd      util                   NBD exports through libnbd
#        core     nbd util               the device-mapper core: names no
#                                        target, no verity type
#        verity   util                   hash trees, signatures: no devices
#        ipe      util                   the policy language
#        targets  core nbd verity util   one file per target
#        libudm   targets core nbd verity util   entry points needing every layer
#     lib/ includes nothing of cli/ or daemon/; cli/ and daemon/ include
#     nothing of each other.
#  2. the same between lib/ objects: a symbol one layer uses and another
#     defines must be defined below (a declaration without its header's
#     include does not get past this).
#  3. an include not written from its root: "layer/x.h" for lib/ (-Ilib),
#     "udm/x.h" (-Iinclude), "cli/x.h", "daemon/x.h", "tests/..." (-I.);
#     never "lib/...", never "../". (Bare names stay for a test's own folder,
#     tests/lib's helpers and the generated BPF skeletons *.skel.h.)
#  4. a circle of calls between the files of cli/ or of daemon/: file A uses
#     a symbol of file B while B, directly or through others, uses one of A.
#     What must flow back up goes through callbacks (function pointers), which
#     nm does not see as a use. scripts/arch-allow lists the daemon's circles
#     known when the check came; a circle passes only if all its files are
#     on one listed line, and a line no circle needs any more fails too, so
#     the list can only shrink. cli/ and lib/ have no line.
#  5. an object of libudm.a that no function of the installed headers reaches
#     (lib/libudm.map's list): what the library holds is its API's.
#
# Usage: scripts/check-arch.sh [BUILD_DIR]   (default $B, else build; after make)
#        ROOT=DIR scripts/check-arch.sh BUILD_DIR   checks another tree (the
#        check's own test feeds it synthetic ones: tests/t/t0104-arch-check.sh)
set -u
export LC_ALL=C
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${1:-${B:-build}}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
ALLOW=$ROOT/scripts/arch-allow
cd "$ROOT" || exit 2
[ -d "$BUILD/obj" ] || { echo "check-arch: no objects in $BUILD/obj (build first: make)" >&2; exit 2; }
command -v nm >/dev/null || { echo "check-arch: needs nm (binutils)" >&2; exit 2; }

fail=0
bad() { echo "check-arch: $*"; fail=1; }

# may LAYER include (or use) OTHER?
declare -A below=(
	[util]=" util "
	[nbd]=" nbd util "
	[core]=" core nbd util "
	[verity]=" verity util "
	[ipe]=" ipe util "
	[targets]=" targets core nbd verity util "
	[libudm]=" libudm targets core nbd verity util "
)

# --- 1 and 3: the #include lines ---------------------------------------------
# FILE:LINE:NAME for every quoted include of the tree's C sources
includes() {
	find lib cli daemon include tests bench fuzz -name '*.[ch]' -not -path 'daemon/bpf/*' 2>/dev/null | sort |
		xargs -r grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' |
		sed -E 's/^([^:]*):([0-9]*):[^"]*"([^"]*)".*/\1:\2:\3/'
}
while IFS=: read -r file line inc; do
	where="$file:$line: #include \"$inc\""
	root=${inc%%/*}
	top=${file%%/*}
	case $inc in
	lib/*|../*|*/../*|./*) bad "$where: write it from its root (\"layer/x.h\" for lib/, \"tests/...\")"; continue ;;
	*/*) ;;
	*.skel.h) continue ;;
	*) [ "$top" = tests ] || [ "$top" = fuzz ] || [ "$top" = bench ] ||
		bad "$where: write it from its root (\"${file%/*}/$inc\")"
		continue ;;
	esac
	if [ "$top" = lib ]; then
		layer=${file#lib/}; layer=${layer%%/*}
		if [ -z "${below[$layer]:-}" ]; then
			bad "$file: lib/$layer is not a layer this check knows (add it to scripts/check-arch.sh and docs/architecture.md)"
		elif [ "$root" = udm ]; then
			:
		elif [ -n "${below[$root]:-}" ]; then
			[[ ${below[$layer]} == *" $root "* ]] ||
				bad "$where: $layer may include only udm/,${below[$layer]% }/ (an upward or sideways arrow)"
		else
			bad "$where: lib/ includes only lib/ and include/ headers"
		fi
	elif [ -z "${below[$root]:-}" ] && [[ " udm cli daemon tests " != *" $root "* ]]; then
		bad "$where: write it from its root (udm/, a lib/ layer, cli/, daemon/ or tests/)"
	elif [ "$top" = cli ] && [ "$root" = daemon ]; then
		bad "$where: cli/ does not include daemon/ (they share lib/util/proto.h)"
	elif [ "$top" = daemon ] && [ "$root" = cli ]; then
		bad "$where: daemon/ does not include cli/"
	fi
done < <(includes)

# --- nm: each object's defined and used global symbols ------------------------
# prints "OBJ D SYM" and "OBJ U SYM" for the objects given
symbols() {
	local o
	for o in "$@"; do
		nm "$o" 2>/dev/null | awk -v o="$o" '
			NF == 2 && $1 == "U" { print o, "U", $2 }
			NF == 3 && $2 ~ /^[TDBRVWGSCi]$/ { print o, "D", $3 }'
	done
}
short() { local p=${1#"$BUILD"/obj/}; echo "${p%.o}.c"; }

# --- 2: symbols between lib/ layers -----------------------------------------
mapfile -t libobjs < <(ls "$BUILD"/obj/lib/*/*.o 2>/dev/null)
if [ ${#libobjs[@]} -gt 0 ]; then
	while read -r user layer sym def dlayer; do
		[[ ${below[$layer]:-} == *" $dlayer "* ]] ||
			bad "$(short "$user") uses $sym of $(short "$def"): $layer stands on${below[$layer]% } only (an upward or sideways arrow)"
	done < <(symbols "${libobjs[@]}" | awk -v b="$BUILD/obj/lib/" '
		function layer(o) { o = substr(o, length(b) + 1); sub(/\/.*/, "", o); return o }
		$2 == "D" { def[$3] = $1 }
		$2 == "U" { n++; uo[n] = $1; us[n] = $3 }
		END { for (i = 1; i <= n; i++) if (us[i] in def && layer(def[us[i]]) != layer(uo[i]))
			print uo[i], layer(uo[i]), us[i], def[us[i]], layer(def[us[i]]) }')
fi

# --- 4: circles between the files of a folder --------------------------------
# circles DIR: one line per circle (strongly connected set of more than one
# file), its files' base names sorted, space-separated
circles() {
	local objs
	mapfile -t objs < <(ls "$BUILD/obj/$1"/*.o 2>/dev/null)
	[ ${#objs[@]} -gt 0 ] || return 0
	symbols "${objs[@]}" | awk '
		function base(o) { sub(/.*\//, "", o); sub(/\.o$/, "", o); return o }
		$2 == "D" { def[$3] = base($1); node[base($1)] = 1 }
		$2 == "U" { n++; uo[n] = base($1); us[n] = $3; node[base($1)] = 1 }
		END {
			for (i = 1; i <= n; i++)
				if ((us[i] in def) && def[us[i]] != uo[i])
					edge[uo[i], def[us[i]]] = 1
			# reach[a,b]: b reachable from a (closure by repeated passes; few files)
			for (k in edge) reach[k] = 1
			do {
				changed = 0
				for (a in node) for (b in node) if ((a, b) in reach)
					for (c in node) if (((b, c) in edge) && !((a, c) in reach)) { reach[a, c] = 1; changed = 1 }
			} while (changed)
			for (a in node) {
				if (a in done) continue
				line = a
				for (b in node) if (b != a && ((a, b) in reach) && ((b, a) in reach)) { line = line " " b; done[b] = 1 }
				done[a] = 1
				if (line != a) print line
			}
		}' | while read -r -a files; do printf '%s\n' "${files[@]}" | sort | tr '\n' ' ' | sed 's/ $/\n/'; done | sort
}
# the allowlist's lines for a folder: "DIR: a b c"
allowed() { [ -f "$ALLOW" ] && sed -n "s/^$1:[[:space:]]*//p" "$ALLOW"; }
subset() {   # is every word of $1 in $2?
	local w
	for w in $1; do [[ " $2 " == *" $w "* ]] || return 1; done
}
for dir in cli daemon; do
	mapfile -t found < <(circles "$dir")
	mapfile -t allow < <(allowed "$dir")
	for c in "${found[@]}"; do
		ok=
		for a in "${allow[@]}"; do subset "$c" "$a" && ok=1 && break; done
		[ -n "$ok" ] || bad "$dir/ has a circle of calls between files: $c (each uses the next, round; turn an upward call into a callback or an event)"
	done
	for a in "${allow[@]}"; do
		used= grown=
		for c in "${found[@]}"; do
			[ "$c" = "$a" ] && used=1
			subset "$c" "$a" && used=1
			subset "$a" "$c" && grown=1   # said above: the circle grew
		done
		[ -z "$used" ] && [ -z "$grown" ] &&
			bad "scripts/arch-allow: '$dir: $a' is no longer a circle: remove the line (the list only shrinks)"
		# a listed circle that now holds fewer files must be listed as it is
		for c in "${found[@]}"; do
			subset "$c" "$a" && [ "$c" != "$a" ] &&
				bad "scripts/arch-allow: '$dir: $a' has shrunk to '$c': write that (the list only shrinks)"
		done
	done
done

# --- 5: libudm.a holds only what its API reaches -------------------------------
if [ -f "$BUILD/libudm.a" ] && [ -f lib/libudm.map ]; then
	while read -r o; do
		bad "$o (in libudm.a) is reached by no function of include/udm/*.h: move it out of libudm (PROG_SRCS in the Makefile)"
	done < <({ sed -n 's/^[[:space:]]*\(udm_[A-Za-z0-9_]*\);.*/API \1/p' lib/libudm.map
		   nm -A "$BUILD/libudm.a" | sed -E 's/^[^:]*:([^:]*):/\1 /'; } | awk '
		$1 == "API" { api[$2] = 1; next }
		NF == 3 && $2 == "U" { n++; uo[n] = $1; us[n] = $3; obj[$1] = 1 }
		NF == 4 && $3 ~ /^[TDBRVWGSCi]$/ { def[$4] = $1; obj[$1] = 1 }
		NF == 3 && $2 != "U" { obj[$1] = 1 }
		END {
			for (s in api) if (s in def) reach[def[s]] = 1
			do {
				changed = 0
				for (i = 1; i <= n; i++)
					if ((uo[i] in reach) && (us[i] in def) && !(def[us[i]] in reach)) { reach[def[us[i]]] = 1; changed = 1 }
			} while (changed)
			for (o in obj) if (!(o in reach)) print o
		}' | sort)
elif [ -f lib/libudm.map ]; then
	bad "no $BUILD/libudm.a to check (build first: make)"
fi

[ $fail -eq 0 ] && echo "check-arch: ok (lib/ layers, include roots, no circles in cli/, daemon/ within scripts/arch-allow, libudm.a reachable)"
exit $fail
