/* The scraper's status (scrape.h): /api/v1/targets and /metrics. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../base/intern.h"
#include "../base/json.h"
#include "scrape_int.h"

static const char *const health_name[] = {"unknown", "up", "down"};

static void put_str(struct buf *out, const char *s)
{
	json_put_str(out, s, strlen(s));
}

static void unit_json(const struct unit *u, struct buf *out)
{
	size_t k;

	buf_puts(out, "{\"job\":");
	put_str(out, u->job_name);
	buf_puts(out, ",\"url\":");
	put_str(out, u->url);
	buf_puts(out, ",\"profile_type\":");
	put_str(out, u->prof_name);
	buf_puts(out, ",\"labels\":{");
	for (k = 0; k < u->labels.n; k++) {
		if (k)
			buf_putc(out, ',');
		put_str(out, u->labels.l[k].name);
		buf_putc(out, ':');
		put_str(out, u->labels.l[k].value);
	}
	buf_printf(out, "},\"health\":\"%s\",\"last_scrape\":%" PRId64 ",\"duration_seconds\":%.3f,"
		   "\"last_error\":", health_name[u->health], u->last_start / 1000000,
		   (double)u->last_duration / 1e9);
	put_str(out, u->last_error);
	buf_putc(out, '}');
}

static void discovery_error(struct buf *out, int *first, const char *job, const char *file,
			    const char *error)
{
	buf_puts(out, *first ? "{\"job\":" : ",{\"job\":");
	put_str(out, job);
	buf_puts(out, ",\"file\":");
	put_str(out, file);
	buf_puts(out, ",\"error\":");
	put_str(out, error);
	buf_putc(out, '}');
	*first = 0;
}

/* One job's: files that file_sd could not read or parse, files over the
 * limit, targets over global.max_targets. Under mu. */
static void job_errors_json(const struct runtime *rt, const struct jobrt *jr, int *first,
			    struct buf *out)
{
	const struct static_config *g;
	const char *err, *path;
	size_t k, f, ng;

	for (k = 0; k < jr->job->nfile_sd; k++) {
		for (f = 0; f < filesd_nfiles(jr->sd[k]); f++) {
			path = filesd_file(jr->sd[k], f, &g, &ng, &err);
			if (err[0])
				discovery_error(out, first, jr->job->job_name, path, err);
		}
		if ((path = filesd_limit(jr->sd[k], &err)))
			discovery_error(out, first, jr->job->job_name, path, err);
	}
	if (jr->dropped) {
		char msg[200];
		snprintf(msg, sizeof(msg), "%zu targets (target x profile type) not scraped: over "
			 "global.max_targets (%zu)", jr->dropped, rt->cfg->max_targets);
		discovery_error(out, first, jr->job->job_name, "", msg);
	}
}

static void discovery_errors_json(const struct runtime *rt, struct buf *out)
{
	size_t i;
	int first = 1;

	for (i = 0; rt && i < rt->cfg->njobs; i++)
		job_errors_json(rt, &rt->jobs[i], &first, out);
}

void scraper_targets_json(struct scraper *s, struct buf *out)
{
	size_t i;

	buf_puts(out, "{\"targets\":[");
	if (s) {
		pthread_mutex_lock(&s->mu);
		for (i = 0; i < s->nunits; i++) {
			if (i)
				buf_putc(out, ',');
			unit_json(s->units[i], out);
		}
	}
	buf_puts(out, "],\"discovery_errors\":[");
	if (s) {
		discovery_errors_json(s->rt, out);
		pthread_mutex_unlock(&s->mu);
	}
	buf_puts(out, "]}\n");
}

/* ---- metrics -------------------------------------------------------------------- */

/* A label value in the text exposition: \ " and newline escaped. */
static void put_label_value(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(out, '\\');
		if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *v);
	}
}

static void put_job_labels(struct buf *out, const struct intern *keys, uint32_t row)
{
	size_t len;
	const char *k = intern_key(keys, row, &len);

	buf_puts(out, "{job=\"");
	put_label_value(out, k);
	buf_puts(out, "\",profile_type=\"");
	put_label_value(out, k + strlen(k) + 1);
	buf_putc(out, '"');
}

struct counter_def {
	const char *name, *type, *help;
	size_t off;          /* in struct stat_row */
	int is_double;
};

static const struct counter_def counters[] = {
	{"stackyard_scrape_scrapes_total", "counter", "Scrapes finished (transfer done or failed).",
	 offsetof(struct stat_row, scrapes), 0},
	{"stackyard_scrape_errors_total", "counter",
	 "Scrapes that failed: transfer, HTTP status, decoding or storing.",
	 offsetof(struct stat_row, errors), 0},
	{"stackyard_scrape_stored_total", "counter",
	 "Scrapes stored; the others failed or, for cumulative types, set the delta baseline.",
	 offsetof(struct stat_row, stored), 0},
	{"stackyard_scrape_bytes_total", "counter", "Response bytes received.",
	 offsetof(struct stat_row, bytes), 0},
	{"stackyard_scrape_missed_intervals_total", "counter",
	 "Intervals skipped because the previous scrape was still running or the scraper fell behind.",
	 offsetof(struct stat_row, missed), 0},
	{"stackyard_scrape_duration_seconds_total", "counter", "Time spent in transfers.",
	 offsetof(struct stat_row, seconds), 1},
	{"stackyard_scrape_start_delay_seconds_total", "counter",
	 "Sum of how late scrapes started after their due time.", offsetof(struct stat_row, late), 1},
};

static void write_counters(struct scraper *s, struct buf *out)
{
	size_t c, r;

	for (c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		const struct counter_def *d = &counters[c];
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name, d->type);
		for (r = 0; r < s->nstats; r++) {
			const char *p = (const char *)&s->stats[r] + d->off;
			buf_puts(out, d->name);
			put_job_labels(out, s->stat_keys, (uint32_t)r);
			buf_putc(out, '}');
			if (d->is_double)
				buf_printf(out, " %.6f\n", *(const double *)(const void *)p);
			else
				buf_printf(out, " %" PRIu64 "\n", *(const uint64_t *)(const void *)p);
		}
	}
}

/* Targets per job, profile type and health, counted now. */
static void write_targets(struct scraper *s, struct buf *out)
{
	uint64_t *count = calloc(s->nstats * 3 + 1, sizeof(*count));
	size_t i, r, h;

	if (!count)
		return;
	for (i = 0; i < s->nunits; i++)
		count[s->units[i]->stat * 3 + s->units[i]->health]++;
	buf_puts(out, "# HELP stackyard_scrape_targets Targets (one per profile type) by health of the last scrape.\n"
		      "# TYPE stackyard_scrape_targets gauge\n");
	for (r = 0; r < s->nstats; r++)
		for (h = 0; h < 3; h++) {
			buf_puts(out, "stackyard_scrape_targets");
			put_job_labels(out, s->stat_keys, (uint32_t)r);
			buf_printf(out, ",health=\"%s\"} %" PRIu64 "\n", health_name[h], count[r * 3 + h]);
		}
	free(count);
}

/* Per job: units over global.max_targets, not scraped. */
static void write_dropped(const struct runtime *rt, struct buf *out)
{
	size_t i;

	buf_puts(out, "# HELP stackyard_scrape_targets_dropped Targets (one per profile type) not "
		      "scraped because global.max_targets was reached.\n"
		      "# TYPE stackyard_scrape_targets_dropped gauge\n");
	for (i = 0; i < rt->cfg->njobs; i++) {
		buf_puts(out, "stackyard_scrape_targets_dropped{job=\"");
		put_label_value(out, rt->jobs[i].job->job_name);
		buf_printf(out, "\"} %zu\n", rt->jobs[i].dropped);
	}
}

void scraper_metrics_write(struct scraper *s, struct buf *out)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	write_targets(s, out);
	write_dropped(s->rt, out);
	write_counters(s, out);
	buf_printf(out, "# HELP stackyard_config_reloads_total Successful configuration reloads.\n"
		   "# TYPE stackyard_config_reloads_total counter\nstackyard_config_reloads_total %" PRIu64 "\n"
		   "# HELP stackyard_config_last_reload_successful Whether the last reload succeeded.\n"
		   "# TYPE stackyard_config_last_reload_successful gauge\n"
		   "stackyard_config_last_reload_successful %d\n",
		   s->reloads, !s->last_reload_failed);
	pthread_mutex_unlock(&s->mu);
}
