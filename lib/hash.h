/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one hash function: header-only, so that the library's tables (caches,
 * the connection table, rule results, display slots) and the CLI (tools/),
 * which sees only libleco's public API, use the same code. Not cryptographic.
 */
#ifndef LECO_HASH_H
#define LECO_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Eight bytes per step, then murmur3's fmix64, so that every input bit reaches the low bits
 * that pick a bucket. */
static inline uint64_t leco_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *s = (const unsigned char *)data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed ^ (len * 0xff51afd7ed558ccdULL), w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	w = 0;
	if (len > i)
		memcpy(&w, s + i, len - i);
	h ^= w;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t leco_hash_str(const char *s)
{
	return leco_hash(s, strlen(s), 0);
}

#endif /* LECO_HASH_H */
