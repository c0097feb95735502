/* selector: the query language, `PROFILE_TYPE{matchers}`, and query times.
 *
 *   process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api",env=~"prod|stage"}
 *   memory:inuse_space:bytes:space:bytes
 *   {service_name!="x"}            (no profile type: any type)
 *
 * Matchers are Prometheus': `=`, `!=`, `=~`, `!~`; regular expressions are
 * POSIX extended, anchored at both ends as Prometheus anchors RE2 (a value
 * matches `a|b` only if it is all of "a" or all of "b"). Values are
 * double-quoted with Go/Prometheus escapes (\" \\ \n \t). A label that is
 * absent matches as the empty string, as in Prometheus. Label names match
 * [A-Za-z_][A-Za-z0-9_.]*. A profile type id has 5 colon-separated parts
 * (a 6th, ":delta", is accepted and ignored); it is the value of the
 * `__profile_type__` label, so `{__profile_type__="..."}` is the same thing.
 *
 * Parsing is a pure function over bytes with a fuzz target; errors say
 * where: "selector: position 14: expected '=', '!=', '=~' or '!~'". Caps:
 * 64 matchers, 4 KiB of selector text.
 *
 * Ownership: a struct selector owns its strings and compiled regexes;
 * selector_free(NULL) is a no-op. */
#ifndef STACKYARD_QUERY_SELECTOR_H
#define STACKYARD_QUERY_SELECTOR_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

enum match_op { MATCH_EQ, MATCH_NE, MATCH_RE, MATCH_NRE };

struct matcher {
	char *name;
	char *value;
	enum match_op op;
	regex_t re;      /* compiled when op is MATCH_RE or MATCH_NRE */
};

struct selector {
	char *profile_type;      /* NULL when the selector names none */
	struct matcher *m;
	size_t nm;
};

#define SELECTOR_MAX_MATCHERS 64
#define SELECTOR_MAX_LEN 4096

int selector_parse(const char *s, size_t len, struct selector **out, struct err *e);
void selector_free(struct selector *sel);

/* Does value (NULL = label absent) satisfy m? */
int matcher_match(const struct matcher *m, const char *value);

/* Is name a valid label name? */
int label_name_valid(const char *name, size_t len);

/* Query times: Unix seconds, milliseconds, microseconds or nanoseconds
 * (told apart by digit count: <=10 s, 11-13 ms, 14-16 us, 17-19 ns),
 * RFC 3339 ("2026-11-25T10:00:00Z", fractions and offsets allowed), "now",
 * and "now-15m" / "now+1h" with units ms, s, m, h, d, w. `now` is passed in
 * (nanoseconds since the epoch) so parsing stays pure. Result in Unix
 * nanoseconds. */
int time_parse(const char *s, size_t len, int64_t now_ns, int64_t *out, struct err *e);

/* Durations like "10s", "1h30m", "500ms", "2d" (and bare seconds) in ns. */
int duration_parse(const char *s, size_t len, int64_t *out, struct err *e);

#endif
