# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2148
# bench/boot.sh: guest-side timing report, appended to the example scenario's
# checks and sourced by tests/vm/guest/vm-check in the booted root (after
# multi-user.target), with its helper "say". Prints:
#   VM-CHECK: bench-ts INITRD_US USERSPACE_US
#       systemd's InitRD/Userspace monotonic timestamps (µs): the
#       initrd's PID 1 start, the real root's PID 1 start (after switch-root)
#   VM-CHECK: bench-j {json}
#       every journal entry that PID 1 logged in this boot (the initrd's
#       entries included: /run/log/journal survives switch-root) about the
#       agent's units, the initrd-* units, sysroot.mount and systemd-udev*,
#       plus "Switching root.": MESSAGE, MESSAGE_ID, UNIT, JOB_TYPE,
#       JOB_RESULT and __MONOTONIC_TIMESTAMP (µs since boot).
#   VM-CHECK: bench-journal-entries N
say "bench-ts $(systemctl show -P InitRDTimestampMonotonic) $(systemctl show -P UserspaceTimestampMonotonic)"
# (No --merge: journalctl refuses it with -b. The initrd's journal is in
# /run/log/journal/<id>/ and this boot's journald reads it.)
journalctl -b -q _PID=1 -o json \
    --output-fields=MESSAGE,MESSAGE_ID,UNIT,JOB_TYPE,JOB_RESULT 2>/dev/null |
    grep -E '"UNIT":"(ignis-|ignition-|initrd-|sysroot\.mount|systemd-udev|systemd-networkd|basic\.target)|"MESSAGE":"Switching root' |
    sed 's/^/VM-CHECK: bench-j /' > /run/bench-journal
cat /run/bench-journal
say "bench-journal-entries $(wc -l < /run/bench-journal)"
# The agent's own log lines (its stderr, through journald), for where each
# unit's time goes: Starting -> first line -> last line -> Finished.
#   VM-CHECK: bench-l {json}   MESSAGE, _SYSTEMD_UNIT, __MONOTONIC_TIMESTAMP
journalctl -b -q -o json -t ignis -t ignition \
    --output-fields=MESSAGE,_SYSTEMD_UNIT 2>/dev/null |
    sed 's/^/VM-CHECK: bench-l /' > /run/bench-agent-log
cat /run/bench-agent-log
say "bench-agent-log-entries $(wc -l < /run/bench-agent-log)"
