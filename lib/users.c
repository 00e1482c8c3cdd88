// SPDX-License-Identifier: LGPL-2.1-or-later
/* uid -> user name: NSS (getpwuid_r) or a passwd(5) file (tests), cached. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define USERS_CACHE_MAX 1024
#define USERS_TTL_NS	(4ULL * 3600 * LECO_NS)
#define USER_NAME_MAX	64

struct leco_users {
	struct leco_cache *cache;
	char *passwd_path;
	char name[USER_NAME_MAX];
};

struct leco_users *leco_users_new(const char *passwd_path)
{
	struct leco_users *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->cache = leco_cache_new(USERS_CACHE_MAX, USERS_TTL_NS, false);
	if (!u->cache || (passwd_path && !(u->passwd_path = strdup(passwd_path)))) {
		leco_users_free(u);
		return NULL;
	}
	return u;
}

void leco_users_free(struct leco_users *u)
{
	if (!u)
		return;
	leco_cache_free(u->cache);
	free(u->passwd_path);
	free(u);
}

/* name:passwd:uid:... ; returns true when found */
static bool passwd_file_lookup(const char *path, uint32_t uid, char *out, size_t outsz)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	for (int n = 0; n < 100000 && fgets(line, sizeof(line), f); n++) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long v;

		if (!c1 || !(c2 = strchr(c1 + 1, ':')))
			continue;
		errno = 0;
		v = strtoul(c2 + 1, &end, 10);
		if (errno || end == c2 + 1 || *end != ':' || v != uid)
			continue;
		leco_sanitize(out, outsz, line, (size_t)(c1 - line));
		found = out[0] != 0;
		break;
	}
	fclose(f);
	return found;
}

static bool nss_lookup(uint32_t uid, char *out, size_t outsz)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res || !res->pw_name)
		return false;
	leco_sanitize(out, outsz, res->pw_name, strlen(res->pw_name));
	return out[0] != 0;
}

const char *leco_users_name(struct leco_users *u, uint32_t uid, uint64_t now)
{
	const char *v = leco_cache_get(u->cache, uid, NULL, now);
	bool ok;

	if (v)
		return v;
	ok = u->passwd_path ? passwd_file_lookup(u->passwd_path, uid, u->name, sizeof(u->name))
			    : nss_lookup(uid, u->name, sizeof(u->name));
	if (!ok)
		snprintf(u->name, sizeof(u->name), "%u", uid);
	leco_cache_put(u->cache, uid, NULL, u->name, now);
	return u->name;
}
