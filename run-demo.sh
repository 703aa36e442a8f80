#!/bin/sh
# The main job: install what is missing, build, and run ignis on the configs
# in examples/. (Until the boot integration lands, the job is validation of
# every example plus a broken config, to show what a user sees.)
set -eu
cd "$(dirname "$0")"

./tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
IGNIS=build/ignis

echo "== ignis $($IGNIS --version | cut -d' ' -f2): validating examples/"
for f in examples/*.json; do
        $IGNIS validate --summary "$f"
done

broken=$(mktemp /tmp/ignis-demo-XXXXXX.json)
trap 'rm -f "$broken"' EXIT
cat >"$broken" <<'JSON'
{
  "ignition": {"version": "3.3.0"},
  "storage": {
    "files": [
      {"path": "etc/motd", "mode": 99999, "overwrite": true},
      {"path": "/etc/hostname", "contents": {"source": "data:,node1",
                                              "verification": {"hash": "md5-abc"}}}
    ],
    "links": [{"path": "/opt/app", "target": "/srv/app"}],
    "directories": [{"path": "/opt/app/data"}]
  },
  "systemd": {"units": [{"name": "web", "enabled": true}]},
  "pasword": {}
}
JSON
echo
echo "== a broken config: every problem, with its line:column and JSON path"
sed 's/^/    /' "$broken"
echo
rc=0
$IGNIS validate "$broken" || rc=$?
echo "(exit status $rc: 0 valid, 1 invalid, 2 unreadable)"
