# same_losses RUN_A RUN_B: the train and test bits/dim of every log.csv row of
# two run directories agree within 1e-5 (relative). Sourced by script tests.
same_losses() {
  paste -d, <(tail -n +2 "$1/log.csv" | cut -d, -f1,3,4) <(tail -n +2 "$2/log.csv" | cut -d, -f1,3,4) |
    awk -F, -v a="$1" -v b="$2" '{ for (k = 2; k <= 3; k++) { d = $k - $(k + 3); if (d < 0) d = -d;
        if ($1 != $4 || d > 1e-5 * $k) { printf "%s vs %s: step %s differs: %s vs %s\n", a, b, $1, $k, $(k + 3); bad = 1 } } n++ }
      END { if (!n) { print "no log rows"; exit 1 } printf "%s vs %s: %d log rows agree within 1e-5\n", a, b, n; exit bad }'
}
