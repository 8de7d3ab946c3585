# bench-lib.sh - what the benchmarks share (sourced by bash): messages and
# argument checks named after the script ($bench_name, default its file name),
# the usage text taken from the script's header comment, and the wait for an
# idle machine (the caller sets wait_idle, in seconds).

bench_name=${bench_name:-$(basename "$0" .sh)}
say() { printf '%s: %s\n' "$bench_name" "$*" >&2; }
die() { printf '%s: error: %s\n' "$bench_name" "$*" >&2; exit 2; }
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
num() { case ${2:-} in '' | *[!0-9]*) die "$1 wants a whole number, not '${2:-}'" ;; esac; }

# Busy and total jiffies of all CPUs (/proc/stat).
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }

# Waits up to wait_idle seconds until the CPUs are under 10 % busy for 3 s
# in a row (other sessions on a shared machine distort timings).
wait_for_idle() {
    [ "$wait_idle" -gt 0 ] || return 0
    local waited=0 quiet=0 a b
    while [ "$waited" -lt "$wait_idle" ]; do
        a=$(cpu_jiffies)
        sleep 1
        b=$(cpu_jiffies)
        waited=$((waited + 1))
        if [ "$(echo "$a $b" | awk '{ print ($3 - $1) * 100 < 10 * ($4 - $2) }')" = 1 ]; then
            quiet=$((quiet + 1))
            [ "$quiet" -lt 3 ] || { [ "$waited" -le 3 ] || say "   the machine is idle after $waited s"; return 0; }
        else
            [ "$quiet" -gt 0 ] || [ "$waited" -ne 1 ] || say "   other processes are busy; waiting up to $wait_idle s for the machine to be idle"
            quiet=0
        fi
    done
    say "   WARNING: the machine is still busy after $wait_idle s; timings will be disturbed (see 'others' in the report)"
}
