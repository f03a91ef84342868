/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * reapctl's output: each function turns one reply (or event) from reapd,
 * already parsed, into text on stdout.  A value missing from a reply of
 * another shape than expected prints as "-"; nothing here returns an error.
 */

#include <stddef.h>

struct json;

/* Prints a "status" reply as sections of "key: value" lines. */
void print_status(const struct json *r);

/* Prints a "victims" reply: what a round would do now, then the candidates as a table. */
void print_victims(const struct json *r);

/* Prints a "history" reply as a table of kills, or "no kills yet". */
void print_history(const struct json *r);

/* Prints a "killcount" reply as one line. */
void print_killcount(const struct json *r);

/* Prints a "prio" reply as one line: the pid, its old and new oom_score_adj. */
void print_prio(const struct json *r);

/* Prints a "metrics" reply's Prometheus exposition verbatim. */
void print_metrics(const struct json *r);

/* Prints a "reload" reply: which config file was re-read. */
void print_reload(const struct json *r);

/* Prints the raw packet @packet of @len bytes as one line, for --json. */
void print_raw(const char *packet, size_t len);

/* Prints one event of "follow" as a line; an unknown event is printed raw from @packet. */
void print_event(const struct json *ev, const char *packet, size_t len);

/* Flushes stdout, then prints the reply's "error" to stderr as "reapctl: ERROR", defused. */
void print_refusal(const struct json *reply);

/* Prints one frame of top: a summary of the status @s, then @max_victims rows of victims @v. */
void print_top(const struct json *s, const struct json *v, size_t max_victims);
