#!/usr/bin/env bash
# End to end: the Debian package cpack builds from the install rules. It
# holds the binaries, the dashboard, the systemd units and the default
# configs (marked conffiles), depends on Debian's runtime libraries, passes
# lintian without errors, and systemd-analyze accepts its units.
source "$(dirname "$0")/lib.sh"

step "cpack -G DEB from the build tree"
(cd "$BIN" && cpack -G DEB -B "$T/pkg" > "$T/cpack.log" 2>&1) || { cat "$T/cpack.log"; fail "cpack failed"; }
DEB=$(ls "$T"/pkg/dbdump_*_amd64.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || fail "no .deb in $T/pkg: $(ls "$T/pkg")"
dpkg-deb -c "$DEB" > "$T/contents.txt"
for f in ./usr/bin/dbdump-controller ./usr/bin/dbdump-agent ./usr/bin/dbdumpctl \
         ./lib/systemd/system/dbdump-controller.service ./lib/systemd/system/dbdump-agent.service \
         ./etc/dbdump/controller.toml ./etc/dbdump/agent.toml \
         ./usr/share/dbdump/dashboard/index.html ./usr/share/dbdump/prometheus/dbdump-alerts.yml \
         ./usr/share/doc/dbdump/copyright \
         ./usr/share/doc/dbdump/changelog.gz; do
  grep -q " $f\$" "$T/contents.txt" || fail "$f is not in the package"
done
dpkg-deb -f "$DEB" Depends > "$T/depends.txt"
for lib in libgrpc libprotobuf libsqlite3 libpq libcurl libsystemd0 libtomlplusplus libprometheus-cpp; do
  grep -q "$lib" "$T/depends.txt" || fail "Depends lacks $lib: $(cat "$T/depends.txt")"
done
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles > "$T/conffiles.txt"
grep -qx /etc/dbdump/controller.toml "$T/conffiles.txt" || fail "controller.toml is not a conffile"

step "lintian: no errors"
lintian --fail-on error --tag-display-limit 0 "$DEB" > "$T/lintian.txt" 2>&1 \
  || { cat "$T/lintian.txt"; fail "lintian found errors"; }
echo "   lintian: $(grep -c '^W:' "$T/lintian.txt" || true) warnings, no errors"

step "systemd-analyze verify accepts the units"
mkdir -p "$T/root" "$T/units"
dpkg-deb -x "$DEB" "$T/root"
for u in dbdump-controller dbdump-agent; do
  # The binaries are where the package puts them, under the extracted root.
  sed "s|/usr/bin/|$T/root/usr/bin/|" "$T/root/lib/systemd/system/$u.service" > "$T/units/$u.service"
  grep -q "^Type=notify" "$T/units/$u.service" || fail "$u is not Type=notify"
  for d in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict StateDirectory= ExecReload=; do
    grep -q "^$d" "$T/units/$u.service" || fail "$u lacks $d"
  done
  # A directive it cannot parse is only a warning to systemd (ignored at
  # run time, so a hardening line could silently do nothing): any output fails.
  systemd-analyze verify --man=no "$T/units/$u.service" > "$T/verify-$u.txt" 2>&1 \
    || { cat "$T/verify-$u.txt"; fail "systemd-analyze rejects $u.service"; }
  [ ! -s "$T/verify-$u.txt" ] || { cat "$T/verify-$u.txt"; fail "systemd-analyze warns about $u.service"; }
done
"$T/root/usr/bin/dbdump-controller" --version | grep -q "^dbdump-controller " || fail "the packaged controller does not run"
echo "PASS"
