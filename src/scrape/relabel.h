/* relabel: Prometheus relabelling over a target's label set.
 *
 * Rules (config.h struct relabel_rule) run in order over a label set:
 *   replace    target_label = regex-expanded replacement of the joined
 *              source labels, if the regex matches (default action)
 *   keep/drop  keep or drop the target when the joined source labels
 *              match / do not match
 *   labelmap   for every label whose name matches, copy it to the name
 *              given by the replacement ($1 ...)
 *   labeldrop / labelkeep   remove the labels whose names match / do not
 *   hashmod    target_label = (hash of the joined source labels) % modulus,
 *              as Prometheus computes it (MD5, the low 8 bytes big endian)
 * Regexes are POSIX extended, anchored (^(...)$); $1..$9 and ${1} expand
 * to groups. The result must keep valid label names; a rule that would
 * create an invalid name leaves the set unchanged, as Prometheus does.
 *
 * Ownership: struct labelset owns its strings; labelset_free(NULL) is a
 * no-op. Compiled rules (struct relabeler) own their regexes. */
#ifndef STACKYARD_SCRAPE_RELABEL_H
#define STACKYARD_SCRAPE_RELABEL_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/label.h"
#include "config.h"

struct labelset {
	struct label *l;   /* sorted by name, unique, owned strings */
	size_t n, cap;
};

void labelset_set(struct labelset *s, const char *name, const char *value);
const char *labelset_get(const struct labelset *s, const char *name);
void labelset_del(struct labelset *s, const char *name);
void labelset_release(struct labelset *s);

struct relabeler;

int relabel_compile(const struct relabel_rule *rules, size_t n, struct relabeler **out,
		    struct err *e);
void relabel_free(struct relabeler *r);

/* Runs the rules on s. Returns 1 to keep the target, 0 to drop it. */
int relabel_apply(const struct relabeler *r, struct labelset *s);

#endif
