#!/usr/bin/env bash
# Fails unless every loadable segment of the given ELF libraries is aligned on 16 KB (or more):
# Android 15+ phones with 16 KB pages refuse 4 KB-aligned libraries and Google Play requires it.
set -euo pipefail
for lib in "$@"; do
    aligns=$(readelf -lW "$lib" | awk '$1 == "LOAD" { print $NF }')
    [ -n "$aligns" ] || { echo "$lib: no LOAD segment (not an ELF library?)" >&2; exit 1; }
    for a in $aligns; do
        if [ $((a)) -lt 16384 ]; then
            echo "$lib: a LOAD segment is aligned on $((a)) bytes, not 16 KB (link with -z max-page-size=16384)" >&2
            exit 1
        fi
    done
    echo "$lib: every LOAD segment aligned on 16 KB or more ($(echo $aligns | tr '\n' ' '))"
done
