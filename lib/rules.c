// SPDX-License-Identifier: LGPL-2.1-or-later
/* Rule compiler and matcher for [rx-proc] / [rx-group] (first step: rules pass lines through). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

struct leco_rules {
	size_t n[2];
	char *buf;
	size_t cap;
};

struct leco_rules *leco_rules_new(void)
{
	return calloc(1, sizeof(struct leco_rules));
}

void leco_rules_free(struct leco_rules *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

int leco_rules_add(struct leco_rules *r, enum leco_rx_section sec, const struct ini_item *it,
		   const char *name, struct leco_error *err)
{
	r->n[sec]++;
	return 0;
}

size_t leco_rules_count(const struct leco_rules *r, enum leco_rx_section sec)
{
	return r->n[sec];
}

int leco_rules_apply(struct leco_rules *r, const char *line, size_t len,
		     struct leco_rx_result *res)
{
	if (len > LECO_RX_LINE_MAX)
		return -E2BIG;
	if (len + 1 > r->cap) {
		char *p = realloc(r->buf, len + 1);
		if (!p)
			return -ENOMEM;
		r->buf = p;
		r->cap = len + 1;
	}
	memcpy(r->buf, line, len);
	r->buf[len] = '\0';
	*res = (struct leco_rx_result){.text = r->buf};
	return 0;
}

void leco_rules_set_cache(struct leco_rules *r, bool on)
{
}

void leco_rules_cache_stats(const struct leco_rules *r, uint64_t *hits, uint64_t *lookups)
{
	*hits = *lookups = 0;
}

bool leco_rules_jit(const struct leco_rules *r)
{
	return false;
}
