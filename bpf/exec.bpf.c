// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Script names: at exec of an interpreter (its comm is in the interps map,
 * which leco-load fills from bpf/interp.h, the list lib/proc.c uses too) or
 * of a "#!" script, keep only the script's name as the interpreter rule picks
 * it: the first argument after argv[0] that is not an option, has no '=' and
 * contains '.' or '/', basename only. Never the rest of argv: the scripts map
 * is not pinned, and a connection record copies the name when it is made.
 */
#include "leco.bpf.h"

/* Lower-case comm without a version suffix ("python3.11" -> "python"), as lib/proc.c does */
static __always_inline void interp_key(const char *comm, char *key)
{
	int n = 0;

	for (int i = 0; i < LECO_COMM_LEN - 1; i++) {
		char ch = comm[i];

		if (!ch || ch == ' ')
			break;
		if (ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		key[i] = ch;
		n = i + 1;
	}
	for (int i = LECO_COMM_LEN - 2; i >= 0; i--) {
		if (i >= n)
			continue;
		if ((key[i] >= '0' && key[i] <= '9') || key[i] == '.') {
			key[i] = 0;
			n = i;
		} else {
			break;
		}
	}
}

/* State of the argv scan, one byte at a time (bpf_loop callback) */
struct scan {
	struct exec_buf *b;
	__u32 len;
	__u32 arg;   /* index of the current argument */
	__u32 start; /* its first byte */
	__u32 base;  /* first byte after its last '/' */
	__u32 found; /* start of the chosen name + 1, 0 = none yet */
	__u32 flen;  /* its length */
	__u8 dot_or_slash, eq;
};

static long scan_byte(__u32 i, struct scan *s)
{
	char ch;

	if (i >= s->len || s->found)
		return 1;
	ch = s->b->args[i & (EXEC_ARGS_LEN - 1)];
	if (ch) {
		if (ch == '/') {
			s->dot_or_slash = 1;
			s->base = i + 1;
		} else if (ch == '.') {
			s->dot_or_slash = 1;
		} else if (ch == '=') {
			s->eq = 1;
		}
		return 0;
	}
	/* end of an argument: is it the script? */
	if (s->arg > 0 && i > s->start && s->b->args[s->start & (EXEC_ARGS_LEN - 1)] != '-' &&
	    !s->eq && s->dot_or_slash && i > s->base) {
		s->found = s->base + 1;
		s->flen = i - s->base;
	}
	s->arg++;
	s->start = s->base = i + 1;
	s->dot_or_slash = s->eq = 0;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(leco_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	char comm[LECO_COMM_LEN] = {}, key[LECO_COMM_LEN] = {};
	struct script_rec rec = {};
	struct scan s = {};
	struct mm_struct *mm;
	unsigned long start, end;
	__u32 k = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 len;
	int script;

	bpf_get_current_comm(comm, sizeof(comm));
	interp_key(comm, key);
	/* "#!" scripts: bprm->interp was replaced by the interpreter's path */
	script = BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename);
	if (!script && !bpf_map_lookup_elem(&interps, key)) {
		/* not an interpreter: forget what an earlier program of this pid ran */
		bpf_map_delete_elem(&scripts, &tgid);
		return 0;
	}
	s.b = bpf_map_lookup_elem(&exec_scratch, &k);
	if (!s.b)
		return 0;
	mm = BPF_CORE_READ(p, mm);
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > EXEC_ARGS_LEN)
		len = EXEC_ARGS_LEN;
	if (len && bpf_probe_read_user(s.b->args, len & (EXEC_ARGS_LEN * 2 - 1), (void *)start))
		len = 0;
	s.len = len;
	/*
	 * Before 6.7 the verifier checks a bpf_loop callback for one call only: from a state
	 * it knows (all zeros) it would find "the script" unreachable and remove that code.
	 * Starting from zeros read from a map, it cannot know them.
	 */
	s.arg = s.b->zero[0];
	s.start = s.b->zero[1];
	s.base = s.b->zero[2];
	s.found = s.b->zero[3];
	s.flen = s.b->zero[4];
	s.dot_or_slash = s.b->zero[5];
	s.eq = s.b->zero[6];
	bpf_loop(EXEC_ARGS_LEN, scan_byte, &s, 0);
	if (s.found) {
		__u32 n = s.flen;

		if (n > LECO_SCRIPT_LEN - 1)
			n = LECO_SCRIPT_LEN - 1;
		bpf_probe_read_kernel(rec.name, n, &s.b->args[(s.found - 1) & (EXEC_ARGS_LEN - 1)]);
	}
	/* argv does not outlive this program */
	__builtin_memset(s.b->args, 0, sizeof(s.b->args));
	if (!s.found) {
		bpf_map_delete_elem(&scripts, &tgid);
		return 0;
	}
	if (bpf_map_update_elem(&scripts, &tgid, &rec, BPF_ANY))
		STAT_INC(update_fail);
	else
		STAT_INC(execs);
	return 0;
}
