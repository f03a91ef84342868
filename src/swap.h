/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The swap devices in use, and what swap on zram really costs.  A page
 * swapped to zram is stored compressed in RAM, so zram's "free swap" is only
 * as free as the RAM left to hold it: with available memory gone, a zram
 * device half empty takes nothing more.  The tracker follows /proc/swaps
 * (devices switched on and off while reapd runs) and keeps each zram
 * device's mm_stat open, so reading it costs a pread and opens nothing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWAP_MAX_DEVICES 32 /* the kernel's MAX_SWAPFILES is below this */
#define SWAP_PATH_MAX 128

/* One line of /proc/swaps. */
struct swap_device {
	char path[SWAP_PATH_MAX]; /* as /proc/swaps shows it (octal escapes kept) */
	bool is_zram;             /* the path's last component is "zram<N>" */
	unsigned zram_id;         /* N, when is_zram */
	uint64_t size_kib, used_kib;
};

/*
 * Parses /proc/swaps: a header line starting "Filename", then one device per
 * line (path, type, size, used, priority).  Stores at most @max devices in
 * @ret and their number in @ret_n.  Returns 0, -EINVAL when the header or a
 * line is malformed, -E2BIG when there are more than @max devices.  A path
 * too long for struct swap_device is kept truncated (it can then not be a
 * zram device's).
 */
int parse_proc_swaps(const char *buf, struct swap_device *ret, size_t max, size_t *ret_n);

/* The fields of a zram device's mm_stat that say what it holds and costs. */
struct zram_stat {
	uint64_t orig_bytes;     /* data stored, uncompressed (same-filled pages included) */
	uint64_t compr_bytes;    /* data stored, compressed */
	uint64_t mem_used_bytes; /* RAM it takes, allocator overhead included */
	uint64_t mem_limit_bytes; /* 0: no limit */
};

/*
 * Parses /sys/block/zram<N>/mm_stat (Linux 4.1 and later: at least seven
 * numbers, the first four of them bytes).  Returns 0 or -EINVAL.
 */
int parse_zram_mm_stat(const char *buf, struct zram_stat *ret);

/* What the zram devices used as swap hold, summed. */
struct zram_state {
	unsigned n;            /* zram devices in use as swap */
	uint64_t disk_kib;     /* their swap size */
	uint64_t stored_kib;   /* orig_data_size */
	uint64_t ram_kib;      /* mem_used_total */
	uint64_t room_kib;     /* RAM they may still take under their mem_limit (UINT64_MAX: no limit) */
};

/* With too little stored to tell, pages are assumed to compress this well. */
#define ZRAM_ASSUMED_RATIO 2
/* A measured ratio counts for at most this much (zero-filled pages cost nothing at all). */
#define ZRAM_MAX_RATIO 4

/*
 * The zram swap that can still be used: its free space (size minus what it
 * stores), but no more than the RAM can hold at the compression ratio seen
 * so far, r: the @avail_kib left, and what compressing the @anon_kib still
 * resident would give back (1 - 1/r of it), each holding r times its size;
 * and no more than the devices' memory limits leave room for.  Returns KiB.
 * At 1:1 (pages that do not compress) that is what is available, however
 * empty the device: swapping them out frees nothing.
 */
uint64_t zram_usable_kib(const struct zram_state *z, uint64_t avail_kib, uint64_t anon_kib);

/* The compression ratio zram_usable_kib() assumes, in hundredths (200: 2:1). */
unsigned zram_ratio_x100(const struct zram_state *z);

struct swaps;

/*
 * Opens @proc_root/swaps and the mm_stat (under @sys_root/block) of every
 * zram device it lists.  Returns 0 or -errno (-ENOENT: no /proc/swaps, a
 * kernel without swap).
 */
int swaps_open(const char *proc_root, const char *sys_root, struct swaps **ret);

void swaps_free(struct swaps *s);

/*
 * Re-reads /proc/swaps; opens the mm_stat of zram devices switched on since,
 * closes those of devices switched off, and logs each change.  Opens files:
 * not for the path from a pressure event to the signal.  Sets *@ret_changed
 * when the set of devices changed.  Returns 0 or -errno.
 */
int swaps_refresh(struct swaps *s, bool *ret_changed);

/* The swap size of the devices /proc/swaps listed at the last refresh, in KiB. */
uint64_t swaps_total_kib(const struct swaps *s);

/*
 * Reads the mm_stat of each zram device in use (pread on files held open).
 * A device whose file cannot be read counts as holding nothing.  Fills @ret;
 * returns the number of zram devices.
 */
unsigned swaps_read_zram(struct swaps *s, struct zram_state *ret);
