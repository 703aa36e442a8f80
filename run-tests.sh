#!/bin/sh
# Installs what is missing, builds ignis twice (plain with -Werror, and with
# ASan+UBSan), runs every test in both (the QEMU boot tests once), runs the
# unit tests under valgrind, and ends with one line:
# "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")"

./tools/install-deps.sh
./tests/vm/install-deps.sh

# No test may reach a real metadata service (a CI machine may sit on a
# cloud that answers at 169.254.169.254): every service address ignis knows
# points at a closed loopback port unless a test sets its own fake.
for v in IGNIS_AWS_IMDS_URL IGNIS_AWS_IMDS_URL_V6 IGNIS_GCP_METADATA_URL IGNIS_GCS_URL IGNIS_S3_ENDPOINT \
        IGNIS_ENDPOINT_OPENSTACK IGNIS_ENDPOINT_AZURE_IMDS IGNIS_ENDPOINT_AZURE_WIRESERVER \
        IGNIS_ENDPOINT_DIGITALOCEAN IGNIS_ENDPOINT_HETZNER IGNIS_ENDPOINT_VULTR IGNIS_ENDPOINT_EXOSCALE \
        IGNIS_ENDPOINT_ALIYUN IGNIS_ENDPOINT_UPCLOUD IGNIS_ENDPOINT_ORACLECLOUD IGNIS_ENDPOINT_AKAMAI \
        IGNIS_ENDPOINT_SCALEWAY IGNIS_ENDPOINT_SCALEWAY_V6; do
        export "$v=http://127.0.0.1:1"
done
# applehv's transport is a vsock address: this machine's vsock may be a real
# hypervisor channel, so it too points at a closed loopback port.
export IGNIS_APPLEHV_ENDPOINT=tcp:127.0.0.1:1
# Nor the host's Hyper-V KVP device (on a Hyper-V CI machine, registering
# there would take the host's pairs away from the machine's own daemon).
export IGNIS_HYPERV_KVP_DEVICE=/nonexistent/ignis-tests/hv_kvp

status=0
logs=""


# 1. Plain build, warnings are errors.
[ -d build ] || meson setup build -Dwerror_ci=true >/dev/null
ninja -C build
meson test -C build --print-errorlogs || status=1
cp build/meson-logs/testlog.json /tmp/ignis-testlog-plain.json
logs="$logs /tmp/ignis-testlog-plain.json"

# 2. Sanitizers (the VM suite boots the same binary in a guest: once is
#    enough, and it runs in step 1; the fuzz suite is clang with ASan+UBSan
#    whatever the build, and runs in step 1 too; the faults suite preloads
#    its own malloc, which cannot sit beside ASan's, and exists in plain
#    builds only).
[ -d build-asan ] || meson setup build-asan -Dwerror_ci=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debug >/dev/null
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --print-errorlogs --no-suite vm --no-suite package --no-suite fuzz --no-suite faults || status=1
cp build-asan/meson-logs/testlog.json /tmp/ignis-testlog-asan.json
logs="$logs /tmp/ignis-testlog-asan.json"

# 3. valgrind on the unit tests (the plain build).
meson test -C build --suite unit --print-errorlogs \
        --wrap='valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite' \
        || status=1
cp build/meson-logs/testlog-valgrind.json /tmp/ignis-testlog-valgrind.json
logs="$logs /tmp/ignis-testlog-valgrind.json"

# shellcheck disable=SC2086
./tools/tap-summary.py $logs || status=1
exit $status
