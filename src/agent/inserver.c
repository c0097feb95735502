#include "inserver.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "../base/log.h"
#include "../base/xalloc.h"
#include "sink.h"

struct inserver {
	struct agent *a;
	pthread_t thread;
};

static void *run(void *arg)
{
	struct inserver *s = arg;
	struct err e = {0};

	if (agent_run(s->a, &e) < 0)
		log_printf("error", "agent: %s", e.msg);
	return NULL;
}

int inserver_start(const struct agent_config *c, const struct scrape_config *sc,
		   struct store *st, struct inserver **out, struct err *e)
{
	const struct scrape_job *job = agent_config_job(sc);
	struct agent_config cfg = {0};
	struct inserver *s;
	int rc;

	if (c)
		cfg = *c;
	if (job) {
		cfg.relabel = job->relabel;
		cfg.nrelabel = job->nrelabel;
	}
	cfg.emit = sink_store;
	cfg.emit_ctx = st;
	s = xcalloc(1, sizeof(*s));
	if ((rc = agent_new(&cfg, &s->a, e)) < 0) {
		free(s);
		return rc;
	}
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		agent_free(s->a);
		free(s);
		return err_set(e, -EAGAIN, "cannot start the agent thread");
	}
	*out = s;
	return 0;
}

void inserver_stop(struct inserver *s)
{
	if (!s)
		return;
	agent_stop(s->a);
	pthread_join(s->thread, NULL);
	agent_free(s->a);
	free(s);
}
