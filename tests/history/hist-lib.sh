# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers of the history tests. Source after tests/lib.sh; uses LECO_BIN.

# h_integrity DB: PRAGMA integrity_check says ok (opened read-only)
h_integrity() {
	python3 - "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
r = c.execute("PRAGMA integrity_check").fetchall()
sys.exit(0 if r == [("ok",)] else "integrity_check: %r" % (r,))
PY
}

# h_total DB APP: "rx tx conns" of APP over the last day (0 0 0 when absent)
h_total() {
	"$LECO_BIN/leco" report --db "$1" --since 1d --json 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["key"] == sys.argv[1]:
        print(r["rx"], r["tx"], r["conns"]); break
else:
    print(0, 0, 0)' "$2"
}

# h_total_is DB APP "RX TX CONNS": exactly that
h_total_is() {
	[ "$(h_total "$1" "$2")" = "$3" ]
}

# h_status FILE KEY: one field of the recorder's status file
h_status() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" \
		2>/dev/null
}

# h_status_has FILE KEY PATTERN: the field matches the (grep -E) pattern
h_status_has() {
	h_status "$1" "$2" | grep -Eq -- "$3"
}

# for the `bash -c` conditions of t_wait_for
export LECO_BIN
export -f h_integrity h_total h_total_is h_status h_status_has

# h_expect DB APP "RX TX CONNS" SECONDS NAME: wait for those totals; a failure says what there
# was instead, and what the probes and the recorder say about lost records
h_expect() {
	local db=$1 app=$2 want=$3 secs=$4 name=$5 got
	if t_wait_for "$secs" h_total_is "$db" "$app" "$want"; then
		t_check "$name ($want)" true
		return
	fi
	got=$(h_total "$db" "$app")
	t_check "$name: want $want, got $got (recorder evicted: ${H_STATUS:+$(h_status "$H_STATUS" evicted)}; probes: $("$LECO_BIN/leco" status ${H_PIN:+-p "$H_PIN"} --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print("lost", d["lost"], "update_fail", d["update_fail"], "conns", d["conns"], "of", d["conns_max"])' 2>/dev/null))" false
}
