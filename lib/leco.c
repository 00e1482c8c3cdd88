// SPDX-License-Identifier: LGPL-2.1-or-later
/* Library-wide trivia: the version, the one spelling of every name the outputs share (states,
 * directions, protocols, errnos, owners), and two helpers every part uses (options structs,
 * growing arrays). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

LECO_API const char *leco_version(void)
{
	return STR(LECO_VERSION_MAJOR) "." STR(LECO_VERSION_MINOR) "." STR(LECO_VERSION_PATCH);
}

LECO_API const char *leco_state_name(int state)
{
	static const char *const names[] = {
		[LECO_STATE_UNKNOWN] = "unknown",	  [LECO_STATE_CONNECTING] = "connecting",
		[LECO_STATE_ESTABLISHED] = "established", [LECO_STATE_FAILED] = "failed",
		[LECO_STATE_BLOCKED] = "blocked",	  [LECO_STATE_CLOSED] = "closed",
		[LECO_STATE_ACTIVE] = "active",
	};

	return state > 0 && state < (int)(sizeof(names) / sizeof(*names)) ? names[state]
									  : "unknown";
}

LECO_API const char *leco_reader_state_name(int state)
{
	static const char *const names[] = {
		[LECO_READER_OK] = "ok",
		[LECO_READER_NO_PROBES] = "no_probes",
		[LECO_READER_NO_ACCESS] = "no_access",
		[LECO_READER_BAD_LAYOUT] = "bad_layout",
		[LECO_READER_CONFIG] = "config_error",
		[LECO_READER_DETACHED] = "detached",
	};

	return state >= 0 && state < (int)(sizeof(names) / sizeof(*names)) ? names[state]
									   : "unknown";
}

LECO_API const char *leco_direction_name(int dir)
{
	return dir == LECO_DIRECTION_IN ? "in" : "out";
}

LECO_API const char *leco_proto_name(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "other";
}

LECO_API const char *leco_errno_name(int err, char *buf, size_t size)
{
	const char *n;

	if (err <= 0)
		return NULL;
	if ((n = strerrorname_np(err)))
		return n;
	if (!buf || !size)
		return NULL;
	snprintf(buf, size, "E%d", err);
	return buf;
}

const char *leco_owner_name(int owner)
{
	static const char *const names[] = {
		[LECO_OWNER_NONE] = "",
		[LECO_OWNER_CONNECT] = "connect",
		[LECO_OWNER_ACCEPT] = "accept",
		[LECO_OWNER_CLOSE] = "close",
		[LECO_OWNER_LISTENER] = "listener",
		[LECO_OWNER_IO] = "io",
		[LECO_OWNER_FD] = "fd",
	};

	return owner >= 0 && owner < (int)(sizeof(names) / sizeof(names[0])) ? names[owner] : "";
}

int leco_opts_copy(void *out, size_t outsz, const void *in, const struct leco_opt_field *fields,
		   size_t nfields)
{
	size_t sz;

	memset(out, 0, outsz);
	if (!in)
		return 0;
	memcpy(&sz, in, sizeof(sz));
	if (sz < sizeof(size_t))
		return -ERANGE;
	for (size_t i = 0; i < nfields; i++)
		if (sz > fields[i].off && sz < fields[i].off + fields[i].len)
			return -ERANGE;
	for (size_t i = outsz; i < sz; i++)
		if (((const char *)in)[i])
			return -EINVAL;
	memcpy(out, in, sz < outsz ? sz : outsz);
	return 0;
}

int leco_reserve(void **p, size_t *cap, size_t n, size_t size)
{
	void *np;

	if (n <= *cap)
		return 0;
	if (!(np = realloc(*p, n * size)))
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}
