# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers shared by tests/service and tests/fault (root tests with real probes).
# Source after tests/lib.sh. Uses: LECO_BIN (build/bin).

# bpffs must be mounted at /sys/fs/bpf (systemd does it at boot; this VM may not).
svc_need_bpffs() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] || t_skip "cannot mount bpffs at /sys/fs/bpf"
}

svc_need_bins() {
	local b
	for b in "$@"; do
		[ -x "$LECO_BIN/$b" ] || t_skip "$LECO_BIN/$b not built"
	done
}

# svc_load DIR [leco-load args]: load the probes into DIR; output in $SVC_TMP/load.log
svc_load() {
	local dir=$1; shift
	"$LECO_BIN/leco-load" -p "$dir" "$@" >"$SVC_TMP/load.log" 2>&1
}

svc_unload() {
	local dir=$1
	[ -e "$dir" ] || return 0
	"$LECO_BIN/leco-load" --unload -p "$dir" >/dev/null 2>&1 || true
	rm -rf "$dir" 2>/dev/null || true
}

# svc_stage DIR: stage (tests/stage.sh) what runs as another user, or as root without
# CAP_DAC_*, so that it works from a checkout they cannot enter (a 0700 home directory):
# DIR/bin/leco and leco-load, DIR/lib/libleco.so*, DIR/lua/VER/leco.so and, under
# scripts/test-sanitize, its interpreter wrappers. Sets RD_BIN (leco, leco-load), RD_LUA
# (LUA_CPATH=$RD_LUA/VER/?.so) and RD_PATH (the PATH to give them: the staged wrappers
# first, when there are any).
svc_stage() {
	local dir=$1 b=${LECO_BIN%/bin} m
	local paths=("$b/./bin/leco" "$b/./bin/leco-load" "$b"/./lib/libleco.so*)
	for m in "$b"/./lua/*/leco.so; do
		[ -f "$m" ] && paths+=("$m")
	done
	local w=${LECO_SANITIZE_BIN:-}
	[ -z "$w" ] || paths+=("$(dirname "$w")/./$(basename "$w")")
	"$(dirname "${BASH_SOURCE[0]}")/../stage.sh" "$dir" "${paths[@]}" || return 1
	RD_BIN=$dir/bin RD_LUA=$dir/lua RD_PATH=$PATH
	[ -z "$w" ] || RD_PATH=$dir/$(basename "$w"):$PATH
}

# A python3 that every user can run (not a per-user shim).
SVC_PY=/usr/bin/python3
[ -x "$SVC_PY" ] || SVC_PY=$(command -v python3)

# svc_json_has FILE PYEXPR: true if some JSON line L in FILE satisfies PYEXPR (e.g. "L['rport']==80")
svc_json_has() {
	"$SVC_PY" - "$1" "$2" <<'PY'
import json, sys
ok = False
for raw in open(sys.argv[1], encoding="utf-8", errors="strict"):
    raw = raw.strip()
    if not raw:
        continue
    L = json.loads(raw)
    if eval(sys.argv[2], {}, {"L": L}):
        ok = True
sys.exit(0 if ok else 1)
PY
}

# svc_json_valid FILE: every line is one JSON object
svc_json_valid() {
	"$SVC_PY" - "$1" <<'PY'
import json, sys
n = 0
for raw in open(sys.argv[1], encoding="utf-8", errors="strict"):
    if raw.strip():
        assert isinstance(json.loads(raw), dict)
        n += 1
sys.exit(0 if n else 1)
PY
}

# Test users (root): svc_user_add NAME member|primary|outsider adds a user in group leco, one
# whose primary group is leco, or one outside it, making the group when missing; no home, no
# shell. svc_users_gone (for the test's cleanup) removes them, and the group if made here.
SVC_USERS=() SVC_MADE_GROUP=0
svc_user_add() {
	local gid=nogroup more=()
	if ! getent group leco >/dev/null; then
		groupadd --system leco && SVC_MADE_GROUP=1
	fi
	case $2 in
	member) more=(--groups leco) ;;
	primary) gid=leco ;;
	esac
	useradd --no-create-home --no-user-group --gid "$gid" "${more[@]}" \
		--shell /usr/sbin/nologin "$1" && SVC_USERS+=("$1")
}
svc_users_gone() {
	local u
	for u in "${SVC_USERS[@]}"; do userdel "$u" >/dev/null 2>&1; done
	SVC_USERS=()
	[ "$SVC_MADE_GROUP" = 1 ] && groupdel leco >/dev/null 2>&1
	SVC_MADE_GROUP=0
}
