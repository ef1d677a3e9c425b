# Sourced by the infopro launcher and benchmarks/side_by_side.sh: where gperftools' tcmalloc is installed
# (Debian/Ubuntu: libtcmalloc-minimal4), prints its library for LD_PRELOAD; prints nothing where it is not, off
# Linux, or with INFOPRO_MALLOC=glibc. glibc's malloc keeps fragmented native memory resident
# (docs/benchmarks/memory.md, section 9).
tcmalloc_library() {
  [ "${INFOPRO_MALLOC:-tcmalloc}" != "glibc" ] && [ "$(uname -s)" = "Linux" ] || return 0
  local lib
  for lib in /usr/lib/"$(uname -m)"-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib64/libtcmalloc_minimal.so.4 \
             /usr/lib/libtcmalloc_minimal.so.4; do
    if [ -f "$lib" ]; then
      echo "$lib"
      return 0
    fi
  done
}
