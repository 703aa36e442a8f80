#!/bin/sh
# Builds the libFuzzer harnesses with clang (-fsanitize=fuzzer,address,undefined)
# against the project's config and util sources, plus each harness's seed
# corpus and the dictionary. The normal build (gcc) is not involved.
#
#   tests/fuzz/build.sh OUTDIR [BUILDDIR]
#
# BUILDDIR: a meson build directory whose ignis-build.h to use (the sonames
# of the dlopen()ed libraries); without it the defaults of meson_options.txt.
# Writes OUTDIR/fuzz-NAME, OUTDIR/seeds/NAME/ and OUTDIR/ignis.dict.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=$1
BUILDDIR=${2:-}
CLANG=${CLANG:-$(command -v clang-14 || command -v clang || true)}
[ -n "$CLANG" ] || { echo "build.sh: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }

mkdir -p "$OUT/obj" "$OUT/include"
OUT=$(cd "$OUT" && pwd)
if [ -n "$BUILDDIR" ] && [ -f "$BUILDDIR/ignis-build.h" ]; then
        cp "$BUILDDIR/ignis-build.h" "$OUT/include/ignis-build.h"
else
        # Every soname from meson_options.txt's defaults, as meson would
        # write them.
        { echo '#pragma once'; echo '#define IGNIS_VERSION "fuzz"'
          sed -n "s/^option('lib\([a-z]*\)_soname'.*value : '\([^']*\)'.*/\1 \2/p" "$SRC/meson_options.txt" |
          while read -r lib soname; do
                  echo "#define IGNIS_LIB$(echo "$lib" | tr a-z A-Z)_SONAME \"$soname\""
          done; } >"$OUT/include/ignis-build.h"
fi

SAN="-fsanitize=address,undefined -fno-sanitize=function"
CFLAGS="-std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $SAN
        -I$OUT/include -I$SRC/include -I$SRC/src/config -I$SRC/src/fetch -I$SRC/src/providers $(pkg-config --cflags json-c zlib libcurl libcrypto)"
LIBS="$(pkg-config --libs json-c zlib) -ldl -lpthread"

# The pure part of ignis: config/ and the util/ pieces it calls; for
# fuzz-net the parsers of fetch/ and providers/ that read server bytes.
SOURCES="$SRC/src/config/*.c $SRC/src/util/log.c $SRC/src/util/fileio.c $SRC/src/util/dlopen-libs.c
         $SRC/src/fetch/proxy.c $SRC/src/fetch/url-message.c $SRC/src/fetch/http-response.c
         $SRC/src/providers/xml.c $SRC/src/providers/decode.c $SRC/src/providers/env.c
         $SRC/src/providers/dhcp-lease.c $SRC/src/providers/vmware-rpc.c $SRC/src/providers/vmware-guestinfo.c
         $SRC/src/providers/virtualbox-hgcm.c $SRC/src/providers/virtualbox-config.c"
# shellcheck disable=SC2086,SC2016  # $SOURCES is a glob list; the inner sh expands its own $1..$4
for f in $SOURCES; do echo "$f"; done | \
        xargs -P "$(nproc)" -I{} sh -c '"$1" $2 -fsanitize=fuzzer-no-link -c "$3" -o "$4/obj/$(basename "$3" .c).o"' \
        sh "$CLANG" "$CFLAGS" {} "$OUT"

for h in "$HERE"/fuzz-*.c; do
        name=$(basename "$h" .c)
        # shellcheck disable=SC2086
        "$CLANG" $CFLAGS -fsanitize=fuzzer -I"$HERE" "$h" "$OUT"/obj/*.o $LIBS -o "$OUT/$name.tmp"
        mv "$OUT/$name.tmp" "$OUT/$name"
done

# Dictionary: every key of the spec (from the schema tables), plus the
# values and URL pieces the validator looks for.
{
        grep -oE '^ *(STR|BOOL|INT|STRV|STRV_CONCAT|OBJ|LIST|LIST_CONCAT)\([^,]*, *"[A-Za-z0-9]+"' \
                "$SRC/src/config/schema.c" | sed -E 's/.*"([A-Za-z0-9]+)"$/"\\"\1\\""/' | sort -u
        cat "$HERE/values.dict"
} >"$OUT/ignis.dict"

# Seeds: the test cases and examples as they are; for data-url every data:
# URL in them; for merge, pairs of consecutive configs joined by a NUL.
rm -rf "$OUT/seeds"
mkdir -p "$OUT/seeds/json" "$OUT/seeds/data-url" "$OUT/seeds/merge"
n=0
prev=""
for f in "$SRC"/tests/config/valid/*.json "$SRC"/tests/config/invalid/*.json "$SRC"/examples/*.json \
         "$SRC"/tests/files/cases/*/config.json "$SRC"/tests/vm/scenarios/*/config.json; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        cp "$f" "$OUT/seeds/json/$n.json"
        case $f in
        */invalid/*) ;;
        *)
                [ -n "$prev" ] && { cat "$prev"; printf '\0'; cat "$f"; } >"$OUT/seeds/merge/$n"
                prev=$f
                ;;
        esac
done
grep -ohE '"data:[^"]*"' "$OUT"/seeds/json/*.json | sed 's/^"//; s/"$//' | sort -u | head -2000 | \
        while IFS= read -r url; do
                n=$((n + 1))
                printf '%s' "$url" >"$OUT/seeds/data-url/$n"
        done
python3 "$HERE/net-seeds.py" "$SRC" "$OUT/seeds/net"
for name in config json-index roundtrip; do
        ln -sfn json "$OUT/seeds/$name"
done
