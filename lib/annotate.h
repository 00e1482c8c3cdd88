/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The annotate step (lib/annotate.c): one connection of the reader's table with
 * the process, script, user and unit behind it, its addresses as text, and its
 * bytes and rates since the previous poll. One function per connection, for any
 * consumer: the lines view (lib/view.c) today, per-process accounting, history
 * and the web server next.
 */
#ifndef LECO_LIB_ANNOTATE_H
#define LECO_LIB_ANNOTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* struct leco_conn_info, what this step makes of a connection, is public (include/leco.h): the
 * every-connection walk (leco_reader_conn) hands it out as it is. */

/*
 * Annotate entry `e` of the reader's table, as of the last poll. What does not change for a
 * connection (process, script, user, unit, address text) is computed once and kept with the
 * entry; it is made again when the record's owner, cgroup or addresses change, when the config
 * changes the widths, and once a minute through the caches behind it (so that their expiry
 * still applies). The rest is arithmetic on the record. Never fails.
 */
void leco_annotate(struct leco_reader *r, struct leco_ct_ent *e, struct leco_conn_info *ci);

/*
 * The same, for a consumer that looks at many connections and keeps few (the lines view): what
 * is made is not kept, and `ci`'s strings are valid only until the next call of any
 * leco_annotate* function, unless leco_annotate_keep(r, e) follows at once, which keeps it with
 * the entry (the strings then stay valid until the next poll).
 */
void leco_annotate_peek(struct leco_reader *r, struct leco_ct_ent *e, struct leco_conn_info *ci);
void leco_annotate_keep(struct leco_reader *r, struct leco_ct_ent *e);

/* Annotate every connection of the table (open, closed and failed alike, in no particular
 * order) and call `cb`; stops at, and returns, the first negative return of `cb`. */
typedef int (*leco_conn_cb)(void *ctx, const struct leco_conn_info *ci);
int leco_annotate_each(struct leco_reader *r, leco_conn_cb cb, void *ctx);

/* After a snapshot: forget what was kept for entries the table no longer holds. */
void leco_annotate_sweep(struct leco_reader *r);
/* The config changed (widths of script names and labels): make every annotation again. */
void leco_annotate_invalidate(struct leco_reader *r);
void leco_annotate_free(struct leco_reader *r);

#endif /* LECO_LIB_ANNOTATE_H */
