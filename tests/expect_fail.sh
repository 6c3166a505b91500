# expect_fail RC CMD...: CMD must exit with RC and print exactly one line on
# stderr (and the script stops if not). Sourced by script tests.
expect_fail() {
  local want_rc=$1; shift
  set +e; err=$("$@" 2>&1 >/dev/null); rc=$?; set -e
  [ "$rc" = "$want_rc" ] || { echo "expected exit $want_rc, got $rc: $*"; exit 1; }
  [ "$(wc -l <<<"$err")" = 1 ] || { echo "expected one line of error, got: $err"; exit 1; }
  echo "refused ($rc): $err"
}
