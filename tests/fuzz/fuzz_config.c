/* libFuzzer target: scrape_config_parse() on arbitrary bytes. A failure
 * must leave no config and a message naming the input; a success must hold
 * what config.h promises (defaults filled, caps kept), and be freed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/err.h"
#include "../../src/query/selector.h"
#include "../../src/scrape/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_job(const struct scrape_job *j)
{
	size_t i, k;

	if (!j->job_name || !j->job_name[0] || !j->scheme || j->interval <= 0 ||
	    j->timeout <= 0 || j->nrelabel > 64 || j->nprofiles < 5 || j->nprofiles > 64)
		abort();
	if (strcmp(j->scheme, "http") && strcmp(j->scheme, "https"))
		abort();
	for (i = 0; i < j->nrelabel; i++)
		if (!j->relabel[i].separator || !j->relabel[i].regex ||
		    !j->relabel[i].replacement || j->relabel[i].line <= 0)
			abort();
	for (i = 0; i < j->nprofiles; i++)
		if (!j->profiles[i].name || !j->profiles[i].path || j->profiles[i].path[0] != '/')
			abort();
	for (i = 0; i < j->nstatics; i++)
		for (k = 1; k < j->statics[i].nlabels; k++)
			if (strcmp(j->statics[i].labels[k - 1].name, j->statics[i].labels[k].name) >= 0)
				abort();
	for (i = 0; i < j->nfile_sd; i++)
		if (j->file_sd[i].refresh <= 0 || !j->file_sd[i].nfiles)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scrape_config *c = (struct scrape_config *)1;
	struct err e = {0};
	size_t i, j;
	int rc;

	rc = scrape_config_parse((const char *)data, size, "fuzz.yml", &c, &e);
	if (rc) {
		if (c || rc >= 0 || strncmp(e.msg, "fuzz.yml", 8))
			abort();
		return 0;
	}
	if (!c || c->njobs > 1000)
		abort();
	for (i = 0; i < c->njobs; i++) {
		check_job(&c->jobs[i]);
		for (j = 0; j < i; j++)
			if (!strcmp(c->jobs[i].job_name, c->jobs[j].job_name))
				abort();
	}
	scrape_config_free(c);
	return 0;
}
