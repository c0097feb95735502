/* selfprof: the server's own CPU profile, on a program with known costs. A
 * thread alternates hot_a (three units of work) and hot_b (one unit); a
 * 4 s profile must name both, from the test binary's symbol table (hot_a
 * and hot_b are found although spin(), a leaf, keeps no frame), in
 * about that proportion, with the CPU the thread used, at 100 Hz, in Go's CPU
 * layout; a second profile at the same time is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/pprof/decode.h"
#include "../../src/server/selfprof.h"

static volatile int stop;
static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t spin(int n)
{
	uint64_t x = 1;
	int i;

	for (i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

__attribute__((noinline)) static void hot_a(void)
{
	sink += spin(3 * 200000);
}

__attribute__((noinline)) static void hot_b(void)
{
	sink += spin(200000);
}

static int64_t burned;   /* ns of CPU the burning thread used */

static void *burn(void *arg)
{
	struct timespec t;

	(void)arg;
	while (!stop) {
		hot_a();
		hot_b();
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	burned = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
	return NULL;
}

static int str_is(const struct pprof_profile *p, uint32_t i, const char *s)
{
	return p->str[i].len == strlen(s) && !memcmp(p->str[i].ptr, s, p->str[i].len);
}

/* Whether function `name` is on sample i's stack. */
static int on_stack(const struct pprof_profile *p, size_t i, const char *name)
{
	uint32_t k, l;

	for (k = 0; k < p->sample[i].nloc; k++) {
		const struct pprof_location *loc = &p->location[p->sample_loc[p->sample[i].loc_off + k]];
		for (l = 0; l < loc->nline; l++)
			if (str_is(p, p->function[p->line[loc->line_off + l].function].name, name))
				return 1;
	}
	return 0;
}

static void *second(void *arg)
{
	uint8_t *out;
	size_t len;
	struct err e = {0};
	struct timespec t = {0, 300000000};

	nanosleep(&t, NULL);   /* while the first profile runs */
	*(int *)arg = selfprof_cpu(1, &out, &len, &e);
	return NULL;
}

static void test_proportions(void **state)
{
	pthread_t t, t2;
	uint8_t *out = NULL;
	size_t len = 0, i;
	struct err e = {0};
	struct pprof_profile *p = NULL;
	int64_t a = 0, b = 0, total = 0;
	int rc2 = 0;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, burn, NULL), 0);
	assert_int_equal(pthread_create(&t2, NULL, second, &rc2), 0);
	if (selfprof_cpu(4, &out, &len, &e) < 0)
		fail_msg("selfprof_cpu: %s", e.msg);
	stop = 1;
	pthread_join(t, NULL);
	pthread_join(t2, NULL);
	/* One of the two profiles ran; the other was refused. */
	assert_int_equal(rc2, -EBUSY);
	if (pprof_decode(out, len, NULL, &p, &e) < 0)
		fail_msg("decode: %s", e.msg);
	assert_int_equal(p->nsample_type, 2);
	assert_true(str_is(p, p->sample_type[0].type, "samples"));
	assert_true(str_is(p, p->sample_type[1].type, "cpu"));
	assert_true(str_is(p, p->sample_type[1].unit, "nanoseconds"));
	assert_true(str_is(p, p->period_type.type, "cpu"));
	assert_int_equal(p->period, 10000000);
	assert_true(p->duration_nanos >= 4000000000 && p->duration_nanos < 5000000000);
	for (i = 0; i < p->nsample; i++) {
		int64_t v = p->value[i * 2 + 1];
		total += v;
		if (on_stack(p, i, "hot_a"))
			a += v;
		else if (on_stack(p, i, "hot_b"))
			b += v;
	}
	/* The profile accounts for the CPU the burning thread used (on a
	 * shared machine it may get less than a core), at 100 Hz. */
	if ((double)total < 0.6 * (double)burned || (double)total > 1.4 * (double)burned + 2e8)
		fail_msg("profile %lld ns of CPU, the thread used %lld ns", (long long)total,
			 (long long)burned);
	/* hot_a does three quarters of the work. Sampling is a binomial draw:
	 * hot_a's share of n samples is 0.75 within three standard deviations
	 * (on a busy shared machine the thread gets few samples, so the bound
	 * follows n rather than being fixed). */
	{
		double n = (double)(a + b) / 1e7, share = (double)a / (double)(a + b);
		if (n < 50 || fabs(share - 0.75) > 3 * sqrt(0.75 * 0.25 / n) + 0.02)
			fail_msg("hot_a %lld ns, hot_b %lld ns (%.0f samples, share %.2f)",
				 (long long)a, (long long)b, n, share);
	}
	/* The first mapping is the test binary itself. */
	assert_true(p->nmapping > 0);
	assert_non_null(strstr((const char *)p->str[p->mapping[0].filename].ptr, "test_selfprof"));
	pprof_free(p);
	free(out);
}

static void test_bad_seconds(void **state)
{
	uint8_t *out;
	size_t len;
	struct err e = {0};

	(void)state;
	assert_int_equal(selfprof_cpu(0, &out, &len, &e), -EINVAL);
	assert_int_equal(selfprof_cpu(SELFPROF_MAX_SECONDS + 1, &out, &len, &e), -EINVAL);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proportions),
		cmocka_unit_test(test_bad_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
