// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reader: options, config (re)loading, attaching to the pins (and
 * re-attaching when they are removed or replaced), one poll = one snapshot of
 * the connection table -> the view.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "account.h"
#include "annotate.h"
#include "history.h"

/* All of live TCP is checked at least this often (else only what changed is read): by a
 * sweep of LIVE_SWEEP_POLLS steps, one per poll, fewer when polls are rarer, so that it lasts
 * about LIVE_SWEEP_NS at most; a step reads LIVE_SWEEP_MIN records at least */
#define LIVE_ALL_EVERY_NS (60 * LECO_NS)
#define LIVE_SWEEP_POLLS  16
#define LIVE_SWEEP_NS	  (15 * LECO_NS)
#define LIVE_SWEEP_MIN	  256

static uint64_t real_mono(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * LECO_NS + (uint64_t)ts.tv_nsec;
}

static int64_t real_real(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * (int64_t)LECO_NS + ts.tv_nsec;
}

static int set_err(struct leco_error *err, int code, const char *msg)
{
	return leco_error_set(err, code, msg);
}

/* The caller's options (lib/leco.c leco_opts_copy): -ERANGE, -EINVAL. */
static int copy_opts(struct leco_reader_opts *o, const struct leco_reader_opts *in)
{
#define F(f) LECO_OPT_FIELD(leco_reader_opts, f)
	static const struct leco_opt_field fields[] = {
		F(pin_dir),	F(config_path), F(config_text),	 F(proc_root),
		F(cgroup_root), F(passwd_path), F(clock),	 F(raw),
		F(max_lines),	F(config),	F(history_path),
	};
#undef F

	return leco_opts_copy(o, sizeof(*o), in, fields, sizeof(fields) / sizeof(fields[0]));
}

static void use_config(struct leco_reader *r, struct leco_config *cfg)
{
	leco_config_free(r->cfg);
	r->cfg = cfg;
	if (cfg) {
		r->fconf = *leco_config_format(cfg);
		r->vconf = *leco_config_view(cfg);
	} else {
		leco_format_conf_default(&r->fconf);
		leco_view_conf_default(&r->vconf);
	}
	/* closed connections stay long enough to fade out, and at least 10 minutes */
	r->tab.keep_ns =
		(uint64_t)(2 * r->vconf.fade_time_s > 600 ? 2 * r->vconf.fade_time_s : 600) *
		LECO_NS;
	if (r->proc)
		leco_proc_set_cut(r->proc, r->fconf.script_cut);
	if (r->cgroups)
		leco_cgroups_set_cut(r->cgroups, r->fconf.label_cut);
	leco_annotate_invalidate(r);
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Load (or reload) the config; on failure keep the previous one. */
static int load_config(struct leco_reader *r, struct leco_error *err)
{
	struct leco_config *cfg = NULL;
	struct leco_error e;
	struct stat st;
	int ret;

	if (r->config_text) {
		ret = leco_config_load_string(r->config_text, strlen(r->config_text), "<config>",
					      &cfg, &e);
	} else if (r->config_path) {
		if (stat(r->config_path, &st)) {
			ret = -errno;
			memset(&e, 0, sizeof(e));
			snprintf(e.msg, sizeof(e.msg), "%s: %s", r->config_path, strerror(-ret));
		} else {
			if (r->cfg_st && same_stat(r->cfg_st, &st) && !r->cfg_failed)
				return 0;
			if (r->cfg_st && same_stat(r->cfg_st, &st))
				return -EINVAL; /* still the broken file */
			if (!r->cfg_st && !(r->cfg_st = malloc(sizeof(*r->cfg_st))))
				return -ENOMEM;
			*r->cfg_st = st;
			ret = leco_config_load_file(r->config_path, &cfg, &e);
		}
	} else {
		use_config(r, NULL);
		return 0;
	}
	if (ret < 0) {
		r->cfg_failed = true;
		snprintf(r->cfg_msg, sizeof(r->cfg_msg), "%s", e.msg);
		snprintf(r->msg, sizeof(r->msg), "%s", e.msg);
		if (err) {
			*err = e;
			err->code = ret;
		}
		return ret;
	}
	r->cfg_failed = false;
	use_config(r, cfg);
	return 0;
}

LECO_API void leco_reader_free(struct leco_reader *r)
{
	if (!r)
		return;
	leco_maps_close(&r->maps);
	leco_conntab_free(&r->tab);
	leco_config_free(r->cfg);
	leco_users_free(r->users);
	leco_proc_free(r->proc);
	leco_cgroups_free(r->cgroups);
	leco_names_free(r->names);
	leco_annotate_free(r);
	leco_hmark_free(r->hmark);
	leco_account_free(r);
	leco_arena_free(&r->arena);
	free(r->lines);
	free(r->order);
	free(r->slots);
	free(r->cfg_st);
	free(r->pin_dir);
	free(r->config_path);
	free(r->config_text);
	free(r);
}

/* The caller's options, copied into `o` and checked; an error message in `err`. */
static int check_opts(struct leco_reader_opts *o, const struct leco_reader_opts *opts,
		      struct leco_error *err)
{
	int ret = copy_opts(o, opts);

	if (ret == -ERANGE)
		return set_err(
			err, -EINVAL,
			"invalid options: .sz ends inside a field (build them with LECO_OPTS)");
	if (ret)
		return set_err(err, -EINVAL,
			       "invalid options: unknown fields (built against a newer libleco?)");
	if (!!o->config_path + !!o->config_text + !!o->config > 1)
		return set_err(err, -EINVAL,
			       "invalid options: give one of config_path, config_text and config");
	if (o->clock && (!o->clock->mono_ns || !o->clock->real_ns))
		return set_err(err, -EINVAL, "invalid options: clock without functions");
	return 0;
}

LECO_API int leco_reader_open(const struct leco_reader_opts *opts, struct leco_reader **reader,
			      struct leco_error *err)
{
	struct leco_reader_opts o;
	struct leco_reader *r;
	int ret;

	if (!reader)
		return set_err(err, -EINVAL, "no reader pointer given");
	if ((ret = check_opts(&o, opts, err)))
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return set_err(err, -ENOMEM, "out of memory");
	leco_maps_init(&r->maps);
	leco_conntab_init(&r->tab, LECO_CONNS_MAX);
	r->clock = o.clock ? *o.clock
			   : (struct leco_clock){.mono_ns = real_mono, .real_ns = real_real};
	r->raw = o.raw;
	r->sweep_min = LIVE_SWEEP_MIN;
	r->max_lines_opt = o.max_lines;
	r->pin_dir = strdup(o.pin_dir ? o.pin_dir : LECO_DEFAULT_PIN_DIR);
	r->config_path = o.config_path ? strdup(o.config_path) : NULL;
	r->config_text = o.config_text ? strdup(o.config_text) : NULL;
	r->users = leco_users_new(o.passwd_path);
	r->hmark = o.history_path ? leco_hmark_new(o.history_path) : NULL;
	r->names = leco_names_new(LECO_NAMES_INDEX_MAX);
	if (!r->pin_dir || (o.config_path && !r->config_path) ||
	    (o.config_text && !r->config_text) || !r->users || !r->names ||
	    (o.history_path && !r->hmark)) {
		leco_reader_free(r);
		return set_err(err, -ENOMEM, "out of memory");
	}
	if ((ret = load_config(r, err)) < 0) {
		leco_reader_free(r);
		return ret;
	}
	r->proc = leco_proc_new(o.proc_root, r->fconf.script_cut);
	r->cgroups = leco_cgroups_new(o.cgroup_root, r->fconf.label_cut);
	if (!r->proc || !r->cgroups) {
		leco_reader_free(r);
		return set_err(err, -ENOMEM, "out of memory");
	}
	if (o.config)
		use_config(r, o.config); /* taken over only now that nothing can fail */
	r->msg[0] = 0;
	r->state = LECO_READER_NO_PROBES;
	*reader = r;
	return 0;
}

static int state_of(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return LECO_READER_NO_ACCESS;
	case -EPROTO:
		return LECO_READER_BAD_LAYOUT;
	default:
		return LECO_READER_NO_PROBES;
	}
}

/* Attach, or re-attach when the pins were removed or replaced. */
static int attach(struct leco_reader *r)
{
	int ret;

	if (r->attached && leco_maps_current(&r->maps, r->pin_dir))
		return 0;
	r->attached = false;
	ret = leco_maps_open(&r->maps, r->pin_dir, r->msg, sizeof(r->msg));
	if (ret < 0) {
		r->state = state_of(ret);
		return ret;
	}
	/* live TCP (bounded by the machine's sockets), UDP and drops, closed ones kept */
	r->tab.max = (r->maps.conns_max < (1U << 20) ? r->maps.conns_max : LECO_CONNS_MAX) +
		     (r->maps.ring.max < (1U << 20) ? r->maps.ring.max : LECO_RING_MAX) +
		     LECO_TCP_LIVE_MAX;
	r->tab.keep_max = r->maps.ring.max < (1U << 20) ? r->maps.ring.max : LECO_RING_MAX;
	r->attached = true;
	if (r->ever_attached)
		r->reattaches++;
	r->ever_attached = true;
	r->msg[0] = 0;
	return 0;
}

static int ingest_as(struct leco_reader *r, const struct leco_key *keys,
		     const struct leco_conn *conns, size_t n, enum leco_ct_src src)
{
	int ret;

	for (size_t i = 0; i < n; i++)
		if ((ret = leco_conntab_put(&r->tab, &keys[i], &conns[i], src, r->now_mono,
					    r->now_real)) < 0)
			return ret;
	return 0;
}

static int ingest(void *ctx, const struct leco_key *keys, const struct leco_conn *conns, size_t n)
{
	return ingest_as(ctx, keys, conns, n, LECO_CT_CONNS);
}

static int ingest_live(void *ctx, const struct leco_key *keys, const struct leco_conn *conns,
		       size_t n)
{
	return ingest_as(ctx, keys, conns, n, LECO_CT_LIVE);
}

static int ingest_closed(void *ctx, const struct leco_key *keys, const struct leco_conn *conns,
			 size_t n)
{
	return ingest_as(ctx, keys, conns, n, LECO_CT_CLOSED);
}

/* conns records: also count the ones made before this poll began (for the evictions) */
static int ingest_conns(void *ctx, const struct leco_key *keys, const struct leco_conn *conns,
			size_t n)
{
	struct leco_reader *r = ctx;

	for (size_t i = 0; i < n; i++)
		r->conns_old += conns[i].first_ns < r->poll_start_ns;
	return ingest_as(ctx, keys, conns, n, LECO_CT_CONNS);
}

/* A sweep of "live" begins: its steps and their size from the live connections in the table
 * and the time since the last poll */
static void sweep_begin(struct leco_reader *r)
{
	uint64_t every = r->now_mono - r->prev_poll_mono;
	uint32_t steps = LIVE_SWEEP_POLLS;

	if (r->prev_poll_mono && every > LIVE_SWEEP_NS / LIVE_SWEEP_POLLS)
		steps = every >= LIVE_SWEEP_NS ? 1 : (uint32_t)(LIVE_SWEEP_NS / every);
	r->sweeping = true;
	r->sweep_gen = r->tab.gen;
	r->sweep_pos = 0;
	r->sweep_left = steps - 1;
	r->sweep_budget = (r->tab.live + steps - 1) / steps;
	if (r->sweep_budget < r->sweep_min)
		r->sweep_budget = r->sweep_min;
}

/*
 * Live TCP: only what changed since this reader's last poll, except on the first poll and
 * after the changes or the closed ring overflowed for this reader (a connection whose close
 * it never read would stay open in its table): then all of it, and what is not there goes.
 * Every minute a sweep reads all of "live" a step per poll; at its end the live connections
 * it did not see and the changes ring did not bring since it began go.
 */
static int read_live(struct leco_reader *r)
{
	bool all = !r->live_all_mono || r->maps.ring.missed != r->ring_missed_now;
	int ret = leco_maps_read_tcp(&r->maps, all, ingest_live, r);

	r->live_cut = 0;
	if (ret < 0)
		return ret;
	r->live_all = ret > 0;
	if (r->live_all) { /* it ends a sweep under way: it found all that would */
		r->live_all_mono = r->now_mono;
		r->ring_missed_now = r->maps.ring.missed;
		r->sweeping = false;
		r->live_cut = r->tab.gen;
		return 0;
	}
	if (!r->sweeping && r->now_mono - r->live_all_mono < LIVE_ALL_EVERY_NS)
		return 0;
	if (!r->sweeping)
		sweep_begin(r);
	ret = leco_maps_sweep_live(&r->maps, &r->sweep_pos, r->sweep_left ? r->sweep_budget : 0,
				   ingest_live, r);
	if (ret < 0)
		return ret;
	r->sweep_left -= r->sweep_left > 0;
	if (ret > 0) {
		r->sweeping = false;
		r->live_all_mono = r->now_mono;
		r->live_cut = r->sweep_gen;
	}
	return 0;
}

/*
 * One snapshot: live TCP first, then the ring (a connection that closes in
 * between is in the ring, never in neither), then the conns hash. Nothing
 * deletes from conns, so what was inserted before this poll and is not there
 * now was evicted: inserts (read first) - present (made before the read).
 */
static int read_snapshot(struct leco_reader *r)
{
	struct timespec ts;
	struct leco_stats st;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->poll_start_ns = (uint64_t)ts.tv_sec * LECO_NS + (uint64_t)ts.tv_nsec;
	r->conns_old = 0;
	if ((ret = leco_maps_stats(&r->maps, &st)) < 0 || (ret = read_live(r)) < 0 ||
	    (ret = leco_maps_read_ring(&r->maps, ingest_closed, r)) < 0 ||
	    (ret = leco_maps_read_conns(&r->maps, ingest_conns, r)) < 0)
		return ret;
	if (st.conns_new > r->conns_old && st.conns_new - r->conns_old > r->conns_evicted)
		r->conns_evicted = st.conns_new - r->conns_old;
	/* names are optional: a failure leaves the names known so far */
	leco_names_read(r->names, &r->maps, r->now_mono);
	return 0;
}

static void clock_now(struct leco_reader *r)
{
	/* rates span the time since the last snapshot, not since a poll that read none */
	r->prev_poll_mono = r->snap_mono;
	r->now_mono = r->clock.mono_ns(r->clock.ctx);
	r->now_real = r->clock.real_ns(r->clock.ctx);
}

/* Config reload problems do not stop polling: the last good rules stay. */
static void check_config(struct leco_reader *r)
{
	if (r->config_path && load_config(r, NULL) < 0 && r->state == LECO_READER_OK)
		r->state = LECO_READER_CONFIG;
}

/* After a snapshot was read: forget what it did not hold, reload the config, build the view
 * (which annotates the connections it shows). */
static int finish_poll(struct leco_reader *r)
{
	leco_conntab_end(&r->tab, r->now_mono, r->live_cut);
	leco_annotate_sweep(r);
	r->snap_mono = r->now_mono;
	if (r->acct)
		leco_account_update(r);
	r->state = r->attached && r->maps.detached[0] ? LECO_READER_DETACHED : LECO_READER_OK;
	check_config(r);
	snprintf(r->msg, sizeof(r->msg), "%s",
		 r->cfg_failed			    ? r->cfg_msg
		 : r->state == LECO_READER_DETACHED ? r->maps.detached
						    : "");
	return leco_view_build(r);
}

LECO_API int leco_reader_poll(struct leco_reader *r)
{
	int ret;

	if (!r)
		return -EINVAL;
	clock_now(r);
	ret = attach(r);
	if (!ret) {
		leco_conntab_begin(&r->tab);
		ret = read_snapshot(r);
		if (ret < 0) {
			/* the maps went away under us (unload): drop them, retry next poll */
			snprintf(r->msg, sizeof(r->msg), "reading the pins in %s failed: %s",
				 r->pin_dir, strerror(-ret));
			leco_maps_close(&r->maps);
			r->attached = false;
			r->state = LECO_READER_NO_PROBES;
		}
	}
	r->polls++;
	if (ret < 0)
		return ret;
	return finish_poll(r);
}

int leco_reader_poll_records(struct leco_reader *r, const struct leco_key *keys,
			     const struct leco_conn *conns, size_t n)
{
	int ret;

	clock_now(r);
	leco_conntab_begin(&r->tab);
	r->live_all = true;
	r->live_cut = r->tab.gen;
	if ((ret = ingest(r, keys, conns, n)) < 0)
		return ret;
	r->polls++;
	return finish_poll(r);
}

LECO_API size_t leco_reader_count(const struct leco_reader *r)
{
	return r ? r->nlines : 0;
}

LECO_API const struct leco_line *leco_reader_line(const struct leco_reader *r, size_t i)
{
	return r && i < r->nlines ? &r->lines[i] : NULL;
}

LECO_API const char *leco_reader_errmsg(const struct leco_reader *r)
{
	return r ? r->msg : "";
}

static void status_stats(struct leco_reader *r, struct leco_status *s)
{
	struct leco_stats sum;

	s->layout_version = r->maps.info.layout_version;
	snprintf(s->version, sizeof(s->version), "%s", r->maps.info.version);
	s->conns_max = r->tab.max;
	s->closed_max = r->maps.ring.max;
	s->closed_total = r->maps.ring.head;
	s->closed_overwritten =
		r->maps.ring.head > r->maps.ring.max ? r->maps.ring.head - r->maps.ring.max : 0;
	s->closed_missed = r->maps.ring.missed;
	s->conns_evicted = r->conns_evicted;
	s->hooks = r->maps.info.njobs < LECO_JOBS_MAX ? r->maps.info.njobs : LECO_JOBS_MAX;
	s->names_max = r->maps.names.max;
	s->names_total = r->maps.names.head;
	s->names_overwritten =
		r->maps.names.head > r->maps.names.max ? r->maps.names.head - r->maps.names.max : 0;
	s->names_missed = r->maps.names.missed;
	if (leco_maps_stats(&r->maps, &sum))
		return;
	s->stat_events = sum.events;
	s->stat_conns_new = sum.conns_new;
	s->stat_update_fail = sum.update_fail;
	s->stat_lost = sum.lost;
	s->stat_unattributed = sum.unattributed;
	s->stat_blocked = sum.blocked;
	s->stat_execs = sum.execs;
	s->stat_tcp_new = sum.tcp_new;
	s->stat_blocked_in = sum.blocked_in;
	s->stat_scan_merged = sum.scan_merged;
	s->stat_storage_fail = sum.storage_fail;
	s->stat_restarted = sum.restarted;
	s->stat_adopted = sum.adopted;
	s->stat_names_calls = sum.names_calls;
	s->stat_names_dup = sum.names_dup;
}

LECO_API int leco_reader_status(struct leco_reader *r, struct leco_status *st)
{
	struct leco_status s;

	if (!r || !st || st->sz < offsetof(struct leco_status, state) + sizeof(int))
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.sz = st->sz;
	if (!r->attached)
		attach(r);
	s.state = r->state;
	if (r->attached)
		status_stats(r, &s);
	s.conns = r->tab.used;
	s.names_known = (uint32_t)leco_names_count(r->names);
	s.names_evicted = leco_names_evicted(r->names);
	s.polls = r->polls;
	s.reattaches = r->reattaches;
	memcpy(st, &s, st->sz < sizeof(s) ? st->sz : sizeof(s));
	return r->attached ? 0
			   : (r->state == LECO_READER_NO_ACCESS	   ? -EACCES
			      : r->state == LECO_READER_BAD_LAYOUT ? -EPROTO
								   : -ENOENT);
}

LECO_API int leco_reader_hook(const struct leco_reader *r, size_t i, const char **job,
			      const char **hook, const char **lacks)
{
	const struct leco_job *j;

	if (!r || !r->attached || i >= r->maps.info.njobs || i >= LECO_JOBS_MAX)
		return -ENOENT;
	j = &r->maps.info.jobs[i];
	/* the loader wrote them NUL-terminated; the info map is frozen */
	if (job)
		*job = memchr(j->job, 0, sizeof(j->job)) ? j->job : "";
	if (hook)
		*hook = memchr(j->hook, 0, sizeof(j->hook)) ? j->hook : "";
	if (lacks)
		*lacks = memchr(j->lacks, 0, sizeof(j->lacks)) ? j->lacks : "";
	return 0;
}

LECO_API size_t leco_reader_notice_count(const struct leco_reader *r)
{
	return r && r->cfg ? leco_config_notice_count(r->cfg) : 0;
}

LECO_API const char *leco_reader_notice(const struct leco_reader *r, size_t i)
{
	return r && r->cfg ? leco_config_notice(r->cfg, i) : NULL;
}
