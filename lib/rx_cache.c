// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rule-result cache: whole lines to their results, so that a view that
 * shows the same lines every poll runs the rules on each only once. Set-
 * associative (4 ways), least recently used out; bounded in slots and bytes.
 * The lookup is in lib/rx.h, inline: it is all that a cached line costs.
 */
#include "rx.h"

void rx_cache_put(struct rx_cache *c, uint64_t h, const char *line, size_t len,
		  const struct leco_rx_result *res, size_t textlen, size_t grouplen)
{
	size_t need = len + textlen + grouplen + 3;
	struct rx_cache_slot *set, *sl;

	if (!c->slots && !(c->slots = calloc(LECO_RX_CACHE_SLOTS, sizeof(*c->slots))))
		return;
	set = rx_cache_set(c, h);
	sl = &set[0];
	/* an unused slot, else the least recently used one */
	for (int i = 0; i < RX_CACHE_WAYS && sl->used; i++)
		if (!set[i].used || set[i].tick < sl->tick)
			sl = &set[i];
	if (need > 4 * LECO_RX_CACHE_LINE_MAX)
		return;
	if (need > sl->cap) {
		size_t cap = need < 256 ? 256 : need * 2;
		char *p = realloc(sl->data, cap);

		if (!p) {
			sl->used = false;
			return;
		}
		sl->data = p;
		sl->cap = cap;
	}
	char *d = sl->data;

	memcpy(d, line, len);
	d[len] = '\0';
	memcpy(d + len + 1, res->text, textlen + 1);
	if (res->group)
		memcpy(d + len + textlen + 2, res->group, grouplen + 1);
	sl->hash = h;
	sl->inlen = (uint32_t)len;
	sl->textlen = (uint32_t)textlen;
	sl->grouplen = (uint32_t)grouplen;
	sl->changed = res->changed;
	sl->grouped = res->grouped;
	sl->dropped = res->dropped;
	sl->used = true;
	sl->tick = ++c->tick;
}

void rx_cache_clear(struct rx_cache *c)
{
	if (!c->slots)
		return;
	for (size_t i = 0; i < LECO_RX_CACHE_SLOTS; i++)
		free(c->slots[i].data);
	free(c->slots);
	c->slots = NULL;
}
