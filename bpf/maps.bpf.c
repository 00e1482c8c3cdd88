// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The maps, defined once (leco.bpf.h declares them for the other files).
 */
#include "leco.bpf.h"

struct info_map info SEC(".maps");
struct conns_map conns SEC(".maps");
struct closed_map closed SEC(".maps");
struct closed_head_map closed_head SEC(".maps");
struct changes_map changes SEC(".maps");
struct changes_head_map changes_head SEC(".maps");
struct stats_map stats SEC(".maps");
struct tcp_socks_map tcp_socks SEC(".maps");
struct live_map live SEC(".maps");
struct udp_socks_map udp_socks SEC(".maps");
struct listeners_map listeners SEC(".maps");
struct peers_map peers SEC(".maps");
struct send_args_map send_args SEC(".maps");
struct scripts_map scripts SEC(".maps");
struct interps_map interps SEC(".maps");
struct scans_map scans SEC(".maps");
struct clk_cache_map clk_cache SEC(".maps");
struct exec_scratch_map exec_scratch SEC(".maps");
struct cfg_map cfg SEC(".maps");
struct names_map names SEC(".maps");
struct names_head_map names_head SEC(".maps");
struct name_calls_map name_calls SEC(".maps");
struct name_scratch_map name_scratch SEC(".maps");
struct names_seen_map names_seen SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
