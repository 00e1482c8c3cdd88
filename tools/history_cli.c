// SPDX-License-Identifier: LGPL-2.1-or-later
/* Where the history lives, the recorder's status file, and small formatting helpers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fields.h"
#include "cli.h"
#include "history_cli.h"
#include "output.h"

/* mkdir -p of the directory part of `path` (each new level 0750). */
static int make_parents(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int cli_history_path(const char *cmd, bool for_write, bool make_dir, char *buf, size_t size)
{
	const char *sd = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct stat st;

	if (sd && *sd && !strchr(sd, ':')) /* one StateDirectory= only */
		snprintf(buf, size, "%s/history.db", sd);
	else if (xdg && *xdg == '/')
		snprintf(buf, size, "%s/leco/history.db", xdg);
	else if (home && *home == '/')
		snprintf(buf, size, "%s/.local/state/leco/history.db", home);
	else if (for_write)
		return cli_err("%s: no --db given and no $XDG_STATE_HOME or $HOME to put it in",
			       cmd),
		       -1;
	else
		snprintf(buf, size, "%s", LECO_SYSTEM_HISTORY);
	if (!for_write && stat(buf, &st))
		snprintf(buf, size, "%s", LECO_SYSTEM_HISTORY); /* the service's */
	if (make_dir && make_parents(buf))
		return cli_err("%s: cannot create the directory of %s: %s", cmd, buf,
			       strerror(errno)),
		       -1;
	return 0;
}

void cli_record_status_path(char *buf, size_t size)
{
	const char *rd = getenv("RUNTIME_DIRECTORY"), *xdg = getenv("XDG_RUNTIME_DIR");

	buf[0] = 0;
	if (rd && *rd == '/' && !strchr(rd, ':'))
		snprintf(buf, size, "%s/status", rd);
	else if (xdg && *xdg == '/')
		snprintf(buf, size, "%s/leco/record.status", xdg);
}

int cli_record_status_write(const char *path, const char *db, const char *state,
			    const char *message, unsigned int interval,
			    const struct leco_recorder_status *st)
{
	char tmp[4200];
	FILE *f;
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	make_parents(path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return ret;
	}
	fchmod(fd, 0640);
	fprintf(f, "{\"pid\":%ld,\"db\":", (long)getpid());
	cli_json_str(f, db);
	fprintf(f, ",\"state\":");
	cli_json_str(f, state);
	fprintf(f, ",\"message\":");
	cli_json_str(f, message);
	fprintf(f,
		",\"t\":%lld,\"interval\":%u,\"last_commit\":%lld,\"intervals\":%llu,"
		"\"commits\":%llu,\"failures\":%llu,\"reopens\":%llu,\"evicted\":%llu,"
		"\"reappeared\":%llu,\"conns\":%llu,\"cursors\":%llu,\"rolled_up\":%llu,"
		"\"expired\":%llu,\"trimmed\":%llu,\"db_bytes\":%lld}\n",
		(long long)time(NULL), interval, (long long)st->last_commit,
		(unsigned long long)st->intervals, (unsigned long long)st->commits,
		(unsigned long long)st->failures, (unsigned long long)st->reopens,
		(unsigned long long)st->evicted, (unsigned long long)st->reappeared,
		(unsigned long long)st->conns, (unsigned long long)st->cursors,
		(unsigned long long)st->rolled_up, (unsigned long long)st->expired,
		(unsigned long long)st->trimmed, (long long)st->db_bytes);
	if (fclose(f))
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* The value of "key": in a one-line JSON object we wrote: a copy (strings unescaped only as
 * far as our writer escapes them), or "" when absent. */
static void json_get(const char *js, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	out[0] = 0;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (!(p = strstr(js, pat)))
		return;
	p += strlen(pat);
	if (*p != '"') {
		while (*p && *p != ',' && *p != '}' && n + 1 < size)
			out[n++] = *p++;
		out[n] = 0;
		return;
	}
	for (p++; *p && *p != '"' && n + 1 < size; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	out[n] = 0;
}

/* Is the recorder that wrote the file still running? */
static const char *liveness(const char *js)
{
	char pid[32];
	long v;

	json_get(js, "pid", pid, sizeof(pid));
	v = strtol(pid, NULL, 10);
	if (v <= 0)
		return "unknown";
	if (kill((pid_t)v, 0) == 0 || errno == EPERM)
		return "running";
	return "not running";
}

static void show_one(FILE *f, const char *path, const char *js, bool json, bool *first)
{
	char state[64], msg[1024], db[4096], last[32], ev[32], tbuf[32];

	if (json) {
		char *line = strdup(js);
		size_t n = line ? strlen(line) : 0;

		while (n && (line[n - 1] == '\n' || line[n - 1] == '}'))
			line[--n] = 0;
		fprintf(f, "%s{\"status_file\":", *first ? "" : ",");
		cli_json_str(f, path);
		fprintf(f, ",\"process\":\"%s\",%s}", liveness(js),
			line && line[0] ? line + 1 : "");
		free(line);
		*first = false;
		return;
	}
	json_get(js, "state", state, sizeof(state));
	json_get(js, "message", msg, sizeof(msg));
	json_get(js, "db", db, sizeof(db));
	json_get(js, "last_commit", last, sizeof(last));
	json_get(js, "evicted", ev, sizeof(ev));
	cli_fmt_time(tbuf, sizeof(tbuf), strtoll(last, NULL, 10));
	fprintf(f, "recorder:     %s (%s), %s, last interval %s, evicted %s\n", state, liveness(js),
		db, tbuf, ev[0] ? ev : "0");
	if (msg[0])
		fprintf(f, "recorder:     error: %s\n", msg);
}

void cli_record_status_files(const char *given, struct cli_record_files *rf)
{
	rf->n = 0;
	if (given) {
		rf->list[rf->n++] = given;
		return;
	}
	cli_record_status_path(rf->user, sizeof(rf->user));
	if (rf->user[0])
		rf->list[rf->n++] = rf->user;
	rf->list[rf->n++] = LECO_SYSTEM_RECORD_STATUS;
}

void cli_record_status_show(FILE *f, const char *const *paths, size_t n, bool json)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		char js[8192];
		FILE *s;
		size_t len;

		if (!paths[i] || !paths[i][0] || !(s = fopen(paths[i], "re")))
			continue;
		len = fread(js, 1, sizeof(js) - 1, s);
		fclose(s);
		js[len] = 0;
		if (len && js[0] == '{')
			show_one(f, paths[i], js, json, &first);
	}
}

int cli_parse_duration(const char *s, int64_t *secs)
{
	int64_t t;

	if (!strcmp(s, "forever")) {
		*secs = -1;
		return 0;
	}
	/* the relative forms of leco_history_parse_time ("48h", "14d") */
	if (!strchr(s, '-') && s[0] != '@' && !leco_history_parse_time(s, 0, &t) && t < 0) {
		*secs = -t;
		return 0;
	}
	return -EINVAL;
}

void cli_fmt_time(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm))
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

void cli_csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

struct csv_row {
	FILE *f;
	bool first;
};

static void csv_member(void *ctx, const char *name, const struct leco_field_value *v)
{
	struct csv_row *row = ctx;

	(void)name;
	if (!row->first)
		fputc(',', row->f);
	row->first = false;
	if (v->kind == 's')
		cli_csv_str(row->f, v->s ? v->s : "");
	else if (v->kind == 'u')
		fprintf(row->f, "%llu", v->u);
	else if (v->kind == 'd')
		fprintf(row->f, "%.6g", v->d);
	else if (v->kind == 'b')
		fputs(v->i ? "true" : "false", row->f);
	else
		fprintf(row->f, "%lld", v->i);
}

void cli_csv_fields(FILE *f, const struct leco_field *fields, size_t n, const void *base,
		    bool first)
{
	struct csv_row row = {f, first};

	leco_fields_each(fields, n, base, 0, csv_member, &row);
	fputc('\n', f);
}

void cli_csv_header(FILE *f, const char *first, const struct leco_field *fields, size_t n)
{
	if (first)
		fprintf(f, "%s,", first);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", fields[i].name, i + 1 < n ? "," : "\n");
}
