/* config: the server's YAML configuration, in the shape Parca and
 * Prometheus users know.
 *
 *   global:
 *     max_targets: 100000             # default 100000: units (target x
 *                                     # profile type) scraped in all
 *   scrape_configs:
 *     - job_name: api
 *       scrape_interval: 10s          # default 10s
 *       scrape_timeout: 15s           # default interval + 3s (CPU profiles
 *                                     # take `interval` seconds to answer)
 *       scheme: https                 # http (default) or https
 *       params: {debug: ["0"]}        # extra query parameters
 *       static_configs:
 *         - targets: ["10.0.0.1:6060", "api-1:6060"]
 *           labels: {env: prod}
 *       file_sd_configs:
 *         - files: ["/etc/stackyard/targets/all.json"]
 *           refresh_interval: 1m      # default 5m
 *       relabel_configs:
 *         - source_labels: [__address__]
 *           separator: ";"            # default ";"
 *           regex: "(.*):6060"        # default (.*), anchored
 *           target_label: instance
 *           replacement: "$1"         # default $1
 *           modulus: 2                # hashmod
 *           action: replace           # replace keep drop labelmap labeldrop
 *                                     # labelkeep hashmod
 *       authorization: {type: Bearer, credentials: "...", credentials_file: /var/run/secrets/token}
 *       basic_auth: {username: u, password: p, password_file: f}
 *       tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem,
 *                    server_name: api.local, insecure_skip_verify: false}
 *       profiling_config:
 *         path_prefix: /debug         # prepended to every path
 *         pprof_config:
 *           process_cpu: {enabled: true, path: /debug/pprof/profile, delta: true}
 *           memory:      {enabled: true, path: /debug/pprof/allocs}
 *           block:       {enabled: true, path: /debug/pprof/block}
 *           mutex:       {enabled: true, path: /debug/pprof/mutex}
 *           goroutine:   {enabled: true, path: /debug/pprof/goroutine}
 *           fgprof:      {enabled: true, path: /debug/fgprof, delta: true, seconds: 5}
 *
 * The five Go profile types above are on by default; entries in
 * pprof_config are merged over them (so `memory: {enabled: false}` turns
 * one off and a new key adds a custom type). `delta: true` means the
 * endpoint takes ?seconds=N and returns a delta itself (CPU); the others
 * are cumulative or snapshots and the scraper computes deltas where a
 * sample type is cumulative (see delta.h).
 *
 * scrape_config_load() resolves relative file names (file_sd files,
 * credentials, certificates) against the configuration file's directory,
 * as Prometheus does.
 *
 * Parsing (libyaml) is a pure function over the text; every error names its
 * line: "config.yml:12: scrape_interval: '10x' is not a duration". Unknown
 * keys are errors (a typo must not silently change behaviour). Caps: 1,000
 * jobs, 100,000 static targets, 64 relabel rules per job, 1 MiB of text. */
#ifndef STACKYARD_SCRAPE_CONFIG_H
#define STACKYARD_SCRAPE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/label.h"

enum relabel_action {
	RELABEL_REPLACE, RELABEL_KEEP, RELABEL_DROP, RELABEL_LABELMAP,
	RELABEL_LABELDROP, RELABEL_LABELKEEP, RELABEL_HASHMOD,
};

struct relabel_rule {
	char **source_labels;
	size_t nsource;
	char *separator;         /* default ";" */
	char *regex;             /* default "(.*)"; anchored when compiled */
	char *target_label;      /* NULL when not given */
	char *replacement;       /* default "$1" */
	uint64_t modulus;        /* hashmod */
	enum relabel_action action;
	int line;                /* for errors */
};

struct static_config {
	char **targets;
	size_t ntargets;
	struct label *labels;    /* owned strings */
	size_t nlabels;
};

struct file_sd_config {
	char **files;            /* glob patterns */
	size_t nfiles;
	int64_t refresh;         /* ns; default 5 min */
};

struct pprof_target_cfg {
	char *name;              /* process_cpu, memory, ... */
	char *path;              /* without path_prefix (the scraper joins them) */
	int enabled;
	int delta;               /* endpoint takes ?seconds= */
	int64_t seconds;         /* ns (YAML: whole seconds); 0 = the scrape interval */
};

struct scrape_job {
	char *job_name;
	int64_t interval, timeout;   /* ns */
	char *scheme;                /* "http" or "https" */
	struct label *params;        /* query parameters, in order */
	size_t nparams;
	struct static_config *statics;
	size_t nstatics;
	struct file_sd_config *file_sd;
	size_t nfile_sd;
	struct relabel_rule *relabel;
	size_t nrelabel;
	char *bearer, *bearer_file;  /* authorization */
	char *basic_user, *basic_pass, *basic_pass_file;
	char *ca_file, *cert_file, *key_file, *server_name;
	int insecure_skip_verify;
	char *path_prefix;
	struct pprof_target_cfg *profiles;   /* defaults merged with pprof_config */
	size_t nprofiles;
	int line;
};

/* High enough that no configuration that ran before the cap existed
 * (static targets were capped at 100,000 per list, file_sd not at all in
 * total) loses targets by default: 20,000 targets with the five default
 * profile types. It bounds what files from elsewhere can make us run. */
#define SCRAPE_DEFAULT_MAX_TARGETS 100000

struct scrape_config {
	struct scrape_job *jobs;
	size_t njobs;
	size_t max_targets;          /* global.max_targets; 1 to 1,000,000 */
};

/* name is used in error messages ("config.yml:12: ..."). */
int scrape_config_parse(const char *text, size_t len, const char *name,
			struct scrape_config **out, struct err *e);
int scrape_config_load(const char *path, struct scrape_config **out, struct err *e);
void scrape_config_free(struct scrape_config *c);

/* A file_sd target file, JSON or YAML (JSON is read as YAML flow syntax):
 *   [{"targets": ["host:port", ...], "labels": {"name": "value"}}, ...]
 * Each group is checked as a static_configs entry; errors name the line.
 * An empty file or a null root is an empty list. *out (caller frees with
 * static_configs_free) holds *nout groups. At most SCRAPE_TARGETS_MAX_TEXT
 * bytes and 100,000 targets. */
#define SCRAPE_TARGETS_MAX_TEXT (8u << 20)
int scrape_targets_parse(const char *text, size_t len, const char *name,
			 struct static_config **out, size_t *nout, struct err *e);
void static_configs_free(struct static_config *g, size_t n);

#endif
