# Sourced by .ci/run (and by its test, test/unit/ciReleaseOutput.test.ts).
# Whatever a suite leaves running must not hold CI's output open after this script ends (a
# process that inherited our stdout keeps the reader waiting): on exit, name and stop any
# process that still writes to our stdout or stderr, other than this script and the
# processes that started it (they share that output and are waiting for us, not holding it).
ours=$(readlink /proc/$$/fd/1 || true)
ancestors() {
  local pid=$1
  while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
    echo "$pid"
    pid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $2}' || true)
  done
}
release_output() {
  local pid target keep
  keep=" $(ancestors $$ | tr '\n' ' ') "
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    case "$keep" in *" $pid "*) continue ;; esac
    for fd in 1 2; do
      target=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null || true)
      if [ -n "$ours" ] && [ "$target" = "$ours" ]; then
        echo "== left running, holding CI's output: pid $pid: $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | cut -c1-200)" >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
    done
  done
}
trap release_output EXIT
