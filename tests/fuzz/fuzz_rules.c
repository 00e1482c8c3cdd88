// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: INI parser + option parsing + rule compiler + matcher +
 * fade curve. Input: config text, optionally followed by a NUL byte and
 * newline-separated lines to apply (else a few built-in lines are used).
 * Besides the sanitizers, it checks that the result cache and the literal
 * prefilters never change a result (each line is re-run without them).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leco.h"
#include "config.h"
#include "rules.h"

static const char *const builtin_lines[] = {
	"18:32 :: myuser :: drill [tmux-spawn-822f3728+] :: 10.2.0.1 53/udp :: v 58B / 26B ^",
	"18:32 :: fraggod :: curl :: 127.0.0.1 8080 :: 127.0.0.1 45678 :: v 6.0K / 1.0K ^",
	"-1d :: root :: socket thread [waterfox] :: ::ffff:1.2.3.4 443 :: v 1.2M / 3K ^",
	"",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	"\xff\xfe\xc3\x28 :: \xe2\x82 :: K\xe2\x84\xaa \xc5\xbf",
};

static void same(const struct leco_rx_result *a, const char *atext, const char *agroup,
		 const struct leco_rx_result *b)
{
	if (strcmp(atext, b->text) || a->changed != b->changed || a->grouped != b->grouped ||
	    a->dropped != b->dropped || (agroup == NULL) != (b->group == NULL) ||
	    (agroup && strcmp(agroup, b->group)))
		__builtin_trap();
}

static void apply_one(struct leco_config *cfg, const char *line, size_t len)
{
	struct leco_rx_result a, b;
	static char atext[LECO_RX_TEXT_MAX + 1], agroup[LECO_RX_TEXT_MAX + 1];

	leco_rules_set_cache(cfg->rules, true);
	leco_rules_set_prefilter(cfg->rules, true);
	int r = leco_config_apply(cfg, line, len, &a);
	if (r == -E2BIG && len > LECO_RX_LINE_MAX)
		return;
	if (r)
		__builtin_trap();
	if (!a.text || (a.grouped != (a.group != NULL)) || (a.dropped && !a.grouped))
		__builtin_trap();
	snprintf(atext, sizeof(atext), "%s", a.text);
	if (a.group)
		snprintf(agroup, sizeof(agroup), "%s", a.group);
	/* the same line again: from the cache */
	if (leco_config_apply(cfg, line, len, &b))
		__builtin_trap();
	same(&a, atext, a.group ? agroup : NULL, &b);
	/* without cache and prefilters */
	leco_rules_set_cache(cfg->rules, false);
	leco_rules_set_prefilter(cfg->rules, false);
	if (leco_config_apply(cfg, line, len, &b))
		__builtin_trap();
	same(&a, atext, a.group ? agroup : NULL, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t clen = nul ? (size_t)(nul - text) : size;
	struct leco_config *cfg = NULL;
	struct leco_error err;

	memset(&err, 0, sizeof(err));
	int r = leco_config_load_string(text, clen, "fuzz.ini", &cfg, &err);
	if (r) {
		/* a failure says where, as text, and leaves cfg untouched */
		if (cfg || err.code != r || !memchr(err.msg, '\0', sizeof(err.msg)) ||
		    strncmp(err.msg, "fuzz.ini:", 9))
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < leco_config_notice_count(cfg); i++)
		if (!leco_config_notice(cfg, i))
			__builtin_trap();

	const struct leco_view_conf *v = leco_config_view(cfg);
	for (double age = -1; age < v->fade_time_s * 1.2 + 2; age += v->fade_time_s / 7 + 0.5) {
		double a = leco_fade_alpha(v, age);
		if (!(a >= 0 && a <= 1))
			__builtin_trap();
	}

	if (nul) {
		const char *p = nul + 1, *end = text + size;
		for (int n = 0; p <= end && n < 64; n++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			apply_one(cfg, p, len);
			if (!nl)
				break;
			p = nl + 1;
		}
	} else {
		for (size_t i = 0; i < sizeof(builtin_lines) / sizeof(*builtin_lines); i++)
			apply_one(cfg, builtin_lines[i], strlen(builtin_lines[i]));
	}
	leco_config_free(cfg);
	return 0;
}
