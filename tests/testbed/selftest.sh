#!/bin/bash
# selftest.sh - TAP self-test of the QEMU testbed (testbed-run).
#
# Boots the testbed four times (about 20 s in all once the kernel is cached)
# and checks exit-status propagation, read-write shares, the working
# directory, nested /dev/kvm, /dev/vfio and an emulated `edu` device in its
# own IOMMU group that vfio-pci can take.
#
# Environment: TESTBED_RUN (default: testbed-run next to this script),
# CC (default: cc), PASSTHRU_TESTBED_CACHE (passed on to testbed-run).

set -u

here=$(cd "$(dirname "$0")" && pwd)
run=${TESTBED_RUN:-$here/testbed-run}
cc=${CC:-cc}

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "1..0 # SKIP qemu-system-x86_64 not found"
    exit 0
fi

t0=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/testbed-selftest.XXXXXX") || exit 99
trap 'rm -rf -- "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Files the guest writes go to $tmp/rw (shared read-write); testbed-run's
# own output stays in $tmp.
rw=$tmp/rw
mkdir -p "$rw"

n=0
failed=0
ok() {      # ok CONDITION-STATUS DESCRIPTION [DIAGNOSTIC-FILE]...
    local st=$1 desc=$2 f
    shift 2
    n=$((n + 1))
    if [ "$st" -eq 0 ]; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        failed=$((failed + 1))
        for f in "$@"; do
            [ -s "$f" ] && sed "s|^|# ${f##*/}: |" "$f"
        done
    fi
}
skip() {    # skip DESCRIPTION REASON
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}
content() { [ -f "$1" ] && cat "$1"; }

# Probes, compiled on the host and run inside.
have_cc=0
if command -v "$cc" >/dev/null 2>&1 &&
   "$cc" -O2 -o "$rw/probe-kvm" "$here/probe-kvm.c" 2>"$tmp/cc.log" &&
   "$cc" -O2 -o "$rw/probe-vfio" "$here/probe-vfio.c" 2>>"$tmp/cc.log"; then
    have_cc=1
fi

cat > "$rw/checks.sh" <<'EOF'
# Runs inside the testbed, cwd = the shared directory.
pwd -P > pwd.out
echo "written in the guest" > rw-file
# The parent directory is a read-only share: readable, not writable.
cat ../ro-marker > ro-read 2>&1
touch ../ro-written 2>/dev/null && echo yes > ro-writable
[ "${PASSTHRU_TESTBED:-}" = 1 ] && echo yes > env.out
[ -c /dev/kvm ] && echo yes > kvm-exists
if [ -x ./probe-kvm ]; then
    ./probe-kvm > kvm.out 2>&1
    echo $? > kvm.rc
fi
[ -c /dev/vfio/vfio ] && echo yes > vfio-exists
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
    echo "${d##*/}" > edu.dev
    if [ -L "$d/iommu_group" ]; then
        g=$(basename "$(readlink "$d/iommu_group")")
        echo "$g" > edu.group
        ls "$d/iommu_group/devices" > edu.groupdevs
        echo vfio-pci > "$d/driver_override"
        echo "${d##*/}" > /sys/bus/pci/drivers_probe
        basename "$(readlink "$d/driver")" > edu.driver 2>/dev/null
        if [ -x ./probe-vfio ]; then
            ./probe-vfio "$g" > vfio.out 2>&1
            echo $? > vfio.rc
        fi
    fi
    break
done
exit 0
EOF

# Boot 1: the checks, with an edu device; cwd is the read-write share, inside a
# read-only share of its parent.
echo "shared read-only" > "$tmp/ro-marker"
(cd "$rw" && "$run" --timeout 240 --ro "$tmp" --rw "$rw" --device edu -- sh ./checks.sh) \
    >"$tmp/b1.out" 2>"$tmp/b1.err"
rc1=$?
if [ "$rc1" -eq 125 ] && grep -q 'no kernel:' "$tmp/b1.err"; then
    echo "1..0 # SKIP testbed kernel unavailable: $(grep 'no kernel:' "$tmp/b1.err" | head -n 1)"
    exit 0
fi

echo "1..17"
ok $(( rc1 != 0 )) "exit status 0 propagates (got $rc1)" "$tmp/b1.out" "$tmp/b1.err"
[ "$(content "$rw/rw-file")" = "written in the guest" ]
ok $? "a --rw directory receives a file from the guest"
[ "$(content "$rw/ro-read")" = "shared read-only" ]
ok $? "a --ro directory (the --rw one's parent, under /tmp) is readable inside" "$rw/ro-read"
[ ! -e "$rw/ro-writable" ] && [ ! -e "$tmp/ro-written" ]
ok $? "a --ro directory is not writable inside"
[ "$(content "$rw/pwd.out")" = "$(cd "$rw" && pwd -P)" ]
ok $? "the command runs in the caller's working directory" "$rw/pwd.out"
[ "$(content "$rw/env.out")" = yes ]
ok $? "PASSTHRU_TESTBED=1 is set inside"
[ "$(content "$rw/kvm-exists")" = yes ]
ok $? "/dev/kvm exists inside (nested KVM via kvm-amd)"
if [ "$have_cc" = 1 ]; then
    [ "$(content "$rw/kvm.rc")" = 0 ] && grep -qx 'api 12' "$rw/kvm.out"
    ok $? "/dev/kvm answers KVM_GET_API_VERSION = 12 and runs a vCPU" "$rw/kvm.out"
else
    skip "/dev/kvm answers KVM_GET_API_VERSION = 12" "no C compiler ($cc)"
fi
[ "$(content "$rw/vfio-exists")" = yes ]
ok $? "/dev/vfio/vfio exists inside"
[ -s "$rw/edu.dev" ]
ok $? "the edu device (1234:11e8) is in /sys/bus/pci/devices"
[ -s "$rw/edu.group" ]
ok $? "edu has an iommu_group link"
[ "$(content "$rw/edu.groupdevs")" = "$(content "$rw/edu.dev")" ]
ok $? "edu is alone in its IOMMU group" "$rw/edu.groupdevs"
[ "$(content "$rw/edu.driver")" = vfio-pci ]
ok $? "edu binds to vfio-pci through driver_override" "$rw/edu.driver"
if [ "$have_cc" = 1 ]; then
    [ "$(content "$rw/vfio.rc")" = 0 ]
    ok $? "edu's group is viable and attaches to a VFIO_TYPE1v2_IOMMU container" "$rw/vfio.out"
else
    skip "edu's group attaches to a type1 container" "no C compiler ($cc)"
fi

# Boot 2: a failing command; its status and stdout come back.
# (from /: the caller's cwd may be under /tmp, which the guest does not see)
(cd / && "$run" --timeout 120 -- sh -c 'echo "out from the guest"; exit 3') \
    >"$tmp/b2.out" 2>"$tmp/b2.err"
rc2=$?
[ "$rc2" -eq 3 ] && [ "$(cat "$tmp/b2.out")" = "out from the guest" ]
ok $? "exit status 3 and stdout propagate (got $rc2)" "$tmp/b2.out" "$tmp/b2.err"

# Boot 3: the watchdog.
(cd / && "$run" --timeout 12 -- sleep 600) >"$tmp/b3.out" 2>"$tmp/b3.err"
rc3=$?
[ "$rc3" -eq 124 ]
ok $? "--timeout kills the guest and exits 124 (got $rc3)" "$tmp/b3.err"

# Boot 4 (QEMU refuses to start): a testbed failure is 125.
(cd / && "$run" --timeout 60 --device no-such-device-model -- true) >"$tmp/b4.out" 2>"$tmp/b4.err"
rc4=$?
[ "$rc4" -eq 125 ] && grep -q 'QEMU failed' "$tmp/b4.err"
ok $? "a QEMU start failure exits 125 with a message (got $rc4)" "$tmp/b4.err"

echo "# selftest took $((SECONDS - t0)) s"
[ "$failed" -eq 0 ]
