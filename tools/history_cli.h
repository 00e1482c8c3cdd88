/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by `leco record`, `leco report` and `leco status`: where the history and the
 * recorder's status file live, the status file itself, and output helpers. */
#ifndef LECO_CLI_HISTORY_H
#define LECO_CLI_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "leco.h"

/* The service's database (dist/leco-record.service: StateDirectory=leco). */
#ifndef LECO_SYSTEM_HISTORY
#define LECO_SYSTEM_HISTORY "/var/lib/leco/history.db"
#endif
/* The service's status file (RuntimeDirectory=leco-record). */
#ifndef LECO_SYSTEM_RECORD_STATUS
#define LECO_SYSTEM_RECORD_STATUS "/run/leco-record/status"
#endif

/*
 * The database a command uses when --db is not given: $STATE_DIRECTORY/history.db under
 * systemd (StateDirectory=), else $XDG_STATE_HOME/leco/history.db (~/.local/state/...).
 * For reading, when that does not exist, the service's (LECO_SYSTEM_HISTORY). With `make_dir`
 * the directory is created (0750). 0, or -1 after printing why.
 */
int cli_history_path(const char *cmd, bool for_write, bool make_dir, char *buf, size_t size);
/* The recorder's status file when --status-file is not given: $RUNTIME_DIRECTORY/status under
 * systemd, else $XDG_RUNTIME_DIR/leco/record.status; "" when neither is set. */
void cli_record_status_path(char *buf, size_t size);

/* Write the recorder's state as one JSON object, atomically (0640): 0 or -errno. */
int cli_record_status_write(const char *path, const char *db, const char *state,
			    const char *message, unsigned int interval,
			    const struct leco_recorder_status *st);
/* `leco status`: say what the recorder status files found say (text or JSON members). */
void cli_record_status_show(FILE *f, const char *const *paths, size_t n, bool json);
/* The recorder status files `leco status` and `leco serve`'s /api/status look at: `given`
 * (--status-file), else the user's (cli_record_status_path) and the service's. */
struct cli_record_files {
	const char *list[2];
	size_t n;
	char user[4096];
};
void cli_record_status_files(const char *given, struct cli_record_files *rf);

/* A duration "48h" / "14d" (or "forever": -1) into seconds. */
int cli_parse_duration(const char *s, int64_t *secs);
/* Local "YYYY-MM-DD HH:MM", or "-" for 0. */
void cli_fmt_time(char *buf, size_t size, int64_t t);
/* A CSV field: quoted when it has a comma, quote or line break. */
void cli_csv_str(FILE *f, const char *s);
struct leco_field;
/* The fields of the struct at `base` (lib/fields.h) as the rest of a CSV row (after a comma
 * unless `first`), and the header row: `first` (if not NULL) and the fields' names. */
void cli_csv_fields(FILE *f, const struct leco_field *fields, size_t n, const void *base,
		    bool first);
void cli_csv_header(FILE *f, const char *first, const struct leco_field *fields, size_t n);

#endif
