#include "loader.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/xalloc.h"
#include "../pprof/decode.h"
#include "../pprof/folded.h"

#define LOADER_WINDOW 8
#define LOADER_MAX_THREADS 8

struct slot {
	int done, rc;
	struct pprof_profile *p;
	struct err e;
};

/* Invariant: workers claim file `claim` only while claim < next + window,
 * so at most `window` results (slots) are outstanding; slot i % window
 * belongs to file i. */
struct loader {
	char *const *files;
	int n, folded, window, nthreads;
	int claim, next, stopping;
	struct slot *slots;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t ready, room;
};

static int load_one(const char *path, int folded, struct pprof_profile **out,
		    struct err *e)
{
	const struct pprof_limits *lim = &pprof_default_limits;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	rc = file_read(path, lim->max_compressed, &data, &len, e);
	if (rc < 0)
		return rc; /* the message names the file already */
	if (folded)
		rc = folded_parse(data, len, NULL, out, e);
	else
		rc = pprof_decode(data, len, lim, out, e);
	free(data);
	if (rc < 0)
		err_prefix(e, "%s", path);
	return rc;
}

static void *worker(void *arg)
{
	struct loader *l = arg;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		struct slot r = {0};
		int i;

		while (!l->stopping && l->claim < l->n && l->claim >= l->next + l->window)
			pthread_cond_wait(&l->room, &l->mu);
		if (l->stopping || l->claim >= l->n)
			break;
		i = l->claim++;
		pthread_mutex_unlock(&l->mu);
		r.rc = load_one(l->files[i], l->folded, &r.p, &r.e);
		r.done = 1;
		pthread_mutex_lock(&l->mu);
		l->slots[i % l->window] = r;
		pthread_cond_broadcast(&l->ready);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > LOADER_MAX_THREADS ? LOADER_MAX_THREADS : (int)n;
}

struct loader *loader_start(char *const *files, int n, int folded, int threads)
{
	struct loader *l = xcalloc(1, sizeof(*l));
	int i;

	l->files = files;
	l->n = n;
	l->folded = folded;
	l->window = LOADER_WINDOW;
	l->nthreads = threads > 0 ? threads : default_threads();
	if (l->nthreads > n)
		l->nthreads = n > 0 ? n : 1;
	l->slots = xcalloc((size_t)l->window, sizeof(*l->slots));
	l->threads = xcalloc((size_t)l->nthreads, sizeof(*l->threads));
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->ready, NULL);
	pthread_cond_init(&l->room, NULL);
	for (i = 0; i < l->nthreads; i++)
		if (pthread_create(&l->threads[i], NULL, worker, l) != 0)
			break;
	l->nthreads = i;
	return l;
}

int loader_next(struct loader *l, struct pprof_profile **out, struct err *e)
{
	struct slot *s;
	int rc;

	*out = NULL;
	if (l->next >= l->n)
		return err_set(e, -ENOENT, "no more files");
	if (!l->nthreads) /* no thread could start: load here */
		return load_one(l->files[l->next++], l->folded, out, e);
	pthread_mutex_lock(&l->mu);
	s = &l->slots[l->next % l->window];
	while (!s->done)
		pthread_cond_wait(&l->ready, &l->mu);
	rc = s->rc;
	*out = s->p;
	if (rc < 0 && e)
		*e = s->e;
	memset(s, 0, sizeof(*s));
	l->next++;
	pthread_cond_broadcast(&l->room);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

void loader_stop(struct loader *l)
{
	int i;

	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_broadcast(&l->room);
	pthread_mutex_unlock(&l->mu);
	for (i = 0; i < l->nthreads; i++)
		pthread_join(l->threads[i], NULL);
	/* Results decoded ahead but never consumed. */
	for (i = 0; i < l->window; i++)
		pprof_free(l->slots[i].p);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->ready);
	pthread_cond_destroy(&l->room);
	free(l->slots);
	free(l->threads);
	free(l);
}
