// SPDX-License-Identifier: LGPL-2.1-or-later
/* Library-wide trivia: version, state and owner names. */
#include "internal.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

LECO_API const char *leco_version(void)
{
	return STR(LECO_VERSION_MAJOR) "." STR(LECO_VERSION_MINOR) "." STR(LECO_VERSION_PATCH);
}

LECO_API const char *leco_state_name(int state)
{
	switch (state) {
	case LECO_STATE_CONNECTING:
		return "connecting";
	case LECO_STATE_ESTABLISHED:
		return "established";
	case LECO_STATE_FAILED:
		return "failed";
	case LECO_STATE_BLOCKED:
		return "blocked";
	case LECO_STATE_CLOSED:
		return "closed";
	case LECO_STATE_ACTIVE:
		return "active";
	default:
		return "unknown";
	}
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
