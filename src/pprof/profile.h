/* profile: the in-memory pprof profile (profile.proto) and its builder.
 *
 * One struct pprof_profile holds a whole profile in flat arrays. References
 * between messages are resolved to array indices at decode time, so walking
 * a stack never hashes:
 *
 *   sample[i].loc_off .. +nloc   -> sample_loc[]  (location indices, leaf first)
 *   value[i * nsample_type + t]  -> sample i's value for sample type t
 *   sample[i].label_off .. +nlabel -> label[]
 *   location[j].mapping          -> mapping index + 1, 0 = no mapping
 *   location[j].line_off .. +nline -> line[]  (line[0] innermost inlinee,
 *                                              last = the physical caller)
 *   line[k].function             -> function index
 *   every "string" field         -> index into str[] (0 is always "")
 *
 * The original ids are kept (location[j].id ...) so that an encoded profile
 * keeps its producer's ids where that matters (pprof -raw, debugging).
 *
 * Ownership: the profile owns everything it points to, including the bytes
 * that str[] points into. pprof_free() releases it all; pprof_free(NULL) is
 * a no-op. A profile is not thread-safe to modify, but any number of threads
 * may read one concurrently.
 *
 * Building: pprof_new() gives an empty profile whose string table holds "".
 * The pprof_add_* functions append and return the new element's index; the
 * caller fills it. Strings are added with pprof_intern(), which dedupes. */
#ifndef STACKYARD_PPROF_PROFILE_H
#define STACKYARD_PPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>

struct intern;

/* Caps on what an untrusted profile can make us allocate. Exceeding one is
 * an error (-E2BIG with a message naming the limit), never a crash. */
struct pprof_limits {
	size_t max_compressed;    /* input bytes (default 256 MiB) */
	size_t max_decompressed;  /* bytes after gunzip (default 512 MiB) */
	size_t max_samples;       /* sample messages (default 8,000,000) */
	size_t max_stack_depth;   /* locations per sample (default 4096) */
	size_t max_string_bytes;  /* bytes in string_table (default 256 MiB) */
	size_t max_labels;        /* labels per sample (default 256) */
};

extern const struct pprof_limits pprof_default_limits;

struct pprof_str {
	const char *ptr; /* not NUL-terminated; may contain any bytes */
	uint32_t len;
};

struct pprof_value_type {
	uint32_t type, unit; /* string indices */
};

struct pprof_label {
	uint32_t key;      /* string index */
	uint32_t str;      /* string index; nonzero means a string label */
	uint32_t num_unit; /* string index; numeric labels only */
	int64_t num;
};

struct pprof_sample {
	uint32_t loc_off, nloc;
	uint32_t label_off, nlabel;
};

struct pprof_line {
	uint32_t function; /* function index */
	int64_t line;
	int64_t column;
};

struct pprof_location {
	uint64_t id;
	uint64_t address;
	uint32_t mapping;  /* mapping index + 1; 0 = none */
	uint32_t line_off, nline;
	uint8_t is_folded;
};

struct pprof_function {
	uint64_t id;
	uint32_t name, system_name, filename;
	int64_t start_line;
};

struct pprof_mapping {
	uint64_t id;
	uint64_t start, limit, offset;
	uint32_t filename, build_id;
	uint8_t has_functions, has_filenames, has_line_numbers,
		has_inline_frames;
};

struct pprof_profile {
	struct pprof_str *str;
	uint32_t nstr;

	struct pprof_value_type *sample_type;
	uint32_t nsample_type;

	struct pprof_sample *sample;
	size_t nsample;
	uint32_t *sample_loc;
	size_t nsample_loc;
	int64_t *value;            /* nsample * nsample_type */
	struct pprof_label *label;
	size_t nlabel;

	struct pprof_mapping *mapping;
	uint32_t nmapping;
	struct pprof_location *location;
	uint32_t nlocation;
	struct pprof_line *line;
	size_t nline;
	struct pprof_function *function;
	uint32_t nfunction;

	uint32_t drop_frames, keep_frames; /* string indices */
	int64_t time_nanos, duration_nanos;
	struct pprof_value_type period_type;
	int64_t period;
	uint32_t *comment;                 /* string indices */
	uint32_t ncomment;
	uint32_t default_sample_type;      /* string index */
	uint32_t doc_url;                  /* string index */

	/* Private to profile.c / decode.c: ownership and builder state. */
	uint8_t *backing;     /* decoded bytes that str[] may point into */
	struct intern *strtab;/* builder string dedup, created on demand */
	uint32_t *stridx;     /* strtab id -> str[] index */
	size_t cap_str, cap_sample_type, cap_sample, cap_sample_loc, cap_value,
		cap_label, cap_mapping, cap_location, cap_line, cap_function,
		cap_comment, cap_stridx;
};

struct pprof_profile *pprof_new(void);
void pprof_free(struct pprof_profile *p);

/* The string at index i as a pointer and length. i must be < p->nstr. */
static inline struct pprof_str pprof_s(const struct pprof_profile *p, uint32_t i)
{
	return p->str[i];
}

/* Builder. Each returns the index of what it added or found. */
uint32_t pprof_intern(struct pprof_profile *p, const char *s, size_t len);
uint32_t pprof_intern_cstr(struct pprof_profile *p, const char *s);
uint32_t pprof_add_sample_type(struct pprof_profile *p, const char *type,
			       const char *unit);
uint32_t pprof_add_mapping(struct pprof_profile *p);   /* zeroed, id = n */
uint32_t pprof_add_function(struct pprof_profile *p);  /* zeroed, id = n */
/* A location with nline lines (zeroed; fill p->line[loc.line_off + k]). */
uint32_t pprof_add_location(struct pprof_profile *p, uint32_t nline);
/* A sample with the given leaf-first location indices and values (one per
 * sample type) and nlabel zeroed labels to fill. Returns the sample index. */
size_t pprof_add_sample(struct pprof_profile *p, const uint32_t *locs,
			uint32_t nloc, const int64_t *values, uint32_t nlabel);
void pprof_add_comment(struct pprof_profile *p, uint32_t str);

/* Index of the sample type used when none is asked for: the one named by
 * default_sample_type, else the last (as pprof does). -1 if there are no
 * sample types. */
int pprof_default_index(const struct pprof_profile *p);

/* Index of the sample type named `name` ("alloc_space"), or given as a
 * decimal index ("1"), or -1. */
int pprof_find_sample_type(const struct pprof_profile *p, const char *name);

#endif
