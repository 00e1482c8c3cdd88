#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `leco report` on a database of known contents (mkdb): text, JSON Lines and CSV agree with
# what was recorded; --new; every bad option is named. No probes, no root.
# usage: report.sh LECO MKDB
set -uo pipefail
leco=$1 mkdb=$2
. "${LECO_TESTS_LIB:?}"
tmp=$(mktemp -d /tmp/leco-test-hreport.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/h.db
t_check "mkdb writes a database" "$mkdb" "$db"

# jq-free JSON checks: python3's json
js() { python3 -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if ($2) else 1)" "$1"; }

"$leco" report --db "$db" --json >"$tmp/app.json"
t_check "--json: one object per app, exact bytes" js "$tmp/app.json" \
	"len(rows)==2 and rows[0]['key']=='alpha' and rows[0]['rx']==1050 and rows[0]['tx']==120 and rows[1]['failed']==1"
t_check "--json: the fields and names of the contract" js "$tmp/app.json" \
	"all(set(r)=={'by','key','rx','tx','conns','failed','blocked','first_seen','last_seen','rname'} and r['by']=='app' and r['rname']=='' for r in rows)"
"$leco" report --db "$db" --by remote --json --top 1 >"$tmp/remote.json"
t_check "--by remote --top 1" js "$tmp/remote.json" "len(rows)==1 and rows[0]['key']=='192.0.2.1' and rows[0]['rx']==1007"
"$leco" report --db "$db" --by remote --json >"$tmp/remote.json"
t_check "--by remote: rname, the name the address was resolved from, where recorded" js "$tmp/remote.json" \
	"{r['key']: r['rname'] for r in rows} == {'192.0.2.1': 'svc.example.test', '192.0.2.2': '', '192.0.2.3': ''}"
"$leco" report --db "$db" --by remote >"$tmp/remote.txt"
t_check "--by remote: text shows the name beside the address" grep -q '^192\.0\.2\.1 (svc\.example\.test) ' "$tmp/remote.txt"
"$leco" report --db "$db" --by proto --csv >"$tmp/proto.csv"
t_check "--csv: header and rows" bash -c "head -1 '$tmp/proto.csv' | grep -qx 'by,key,rx,tx,conns,failed,blocked,first_seen,last_seen,rname' &&
	grep -q '^proto,udp,50,20,1,0,0,' '$tmp/proto.csv'"
"$leco" report --db "$db" --by hour --since 3h >"$tmp/hour.txt"
t_check "--by hour: text with a header" bash -c "head -1 '$tmp/hour.txt' | grep -q '^hour .*RX.*TX.*CONNS' && [ \$(wc -l <'$tmp/hour.txt') -ge 2 ]"
"$leco" report --db "$db" --new --json --since 2h >"$tmp/new.json"
t_check "--new --json: four pairs with app, raddr, rport, proto, first_seen" js "$tmp/new.json" \
	"len(rows)==4 and {(r['app'],r['raddr'],r['rport'],r['proto']) for r in rows} >= {('alpha','192.0.2.2',53,'udp'),('beta','192.0.2.3',8080,'tcp')}"
t_check "--new --json: the fields and names of the contract" js "$tmp/new.json" \
	"all(set(r)=={'app','exe','unit','user','raddr','rport','rname','proto','first_seen','last_seen'} and r['rname']==('svc.example.test' if r['raddr']=='192.0.2.1' else '') for r in rows)"
"$leco" report --db "$db" --new --csv --since 2h >"$tmp/new.csv"
t_check "--new --csv: header and the same pairs" bash -c "head -1 '$tmp/new.csv' | grep -qx 'app,exe,unit,user,raddr,rport,rname,proto,first_seen,last_seen' &&
	[ \$(wc -l <'$tmp/new.csv') = 5 ] && grep -q '^alpha,.*,192.0.2.2,53,,udp,' '$tmp/new.csv' &&
	grep -q '^beta,.*,192.0.2.1,443,svc.example.test,tcp,' '$tmp/new.csv'"
"$leco" report --db "$db" --since '@1' --until '@2' --json >"$tmp/empty.json"
t_check "an empty range prints nothing, exits 0" test ! -s "$tmp/empty.json"

# errors: exit 2, one line naming what is wrong
bad() { # bad NAME PATTERN ARGS...
	local name=$1 pat=$2; shift 2
	"$leco" report "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? ok=0
	[ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -qF -- "$pat" "$tmp/err" &&
		[ "$(wc -l <"$tmp/err")" = 1 ] && ok=1
	t_check "$name: exit 2 and \"$pat\" ($(head -c 200 "$tmp/err"))" test $ok = 1
}
bad "bad --by" "bad --by 'program'" --db "$db" --by program
bad "bad --since" "bad --since 'yesterday'" --db "$db" --since yesterday
bad "bad --until" "bad --until '2026-02-30'" --db "$db" --until 2026-02-30
bad "bad --top" "bad --top '0'" --db "$db" --top 0
bad "--json and --csv" "give one of --json and --csv" --db "$db" --json --csv
bad "--until before --since" "not after --since" --db "$db" --since 1h --until 2h
bad "unknown option" "unknown option '--bogus'" --db "$db" --bogus
bad "missing value" "option '--since' needs a value" --db "$db" --since
bad "missing database" "no history recorded there yet" --db "$tmp/none.db"
printf 'not a database at all, just text\n%.0s' {1..40} >"$tmp/text.db"
bad "not a database" "not a database" --db "$tmp/text.db"
t_check "a file that is not a database is left as it was" \
	bash -c "[ \$(wc -l <'$tmp/text.db') = 40 ]"
# leco record's options are checked before anything is opened
rbad() {
	local name=$1 pat=$2; shift 2
	"$leco" record --db "$tmp/r.db" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? ok=0
	[ $rc = 2 ] && grep -qF -- "$pat" "$tmp/err" && [ ! -e "$tmp/r.db" ] && ok=1
	t_check "record $name: exit 2 and \"$pat\" ($(head -c 200 "$tmp/err"))" test $ok = 1
}
rbad "bad interval" "bad interval '0'" -i 0
rbad "bad --keep-raw" "bad --keep-raw '2x'" --keep-raw 2x
rbad "bad --max-size" "bad --max-size 'big'" --max-size big
rbad "unknown option" "unknown option '--intervall'" --intervall 5
t_done
