/* push queue and the /ingest path the agent pushes to.
 *
 * The queue is driven against a port where nothing listens (connection
 * refused, the "server is down" case): it must stay within its byte and
 * item caps, drop the oldest, count every drop, and stop promptly. The
 * ingest path is parsed back with the server's own name parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../src/agent/push.h"
#include "../../src/agent/sink.h"
#include "../../src/base/xalloc.h"
#include "../../src/ingest/name.h"

/* A loopback port that was free a moment ago: nothing listens there. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void enqueue(struct push *q, size_t len, int tag)
{
	uint8_t *body = xmalloc(len);

	memset(body, tag, len);
	push_enqueue(q, xstrdup("/ingest?name=x"), body, len);
}

static void test_down_server_bounded(void **state)
{
	struct push_config c = {0};
	struct push_stats st, fin;
	struct push *q = NULL;
	char url[64];
	int i;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", closed_port());
	c.server = url;
	c.max_bytes = 1000;
	c.max_items = 5;
	c.backoff_min = 50 * 1000000LL;
	assert_int_equal(push_new(&c, &q, NULL), 0);
	for (i = 0; i < 40; i++) {
		enqueue(q, 300, i);
		push_get_stats(q, &st);
		assert_true(st.queued_bytes <= c.max_bytes);
		assert_true(st.queued <= c.max_items);
	}
	enqueue(q, 5000, 0);  /* larger than the whole queue: dropped at once */
	usleep(200 * 1000);
	push_get_stats(q, &st);
	assert_int_equal(st.sent, 0);
	assert_true(st.retries >= 1);
	/* 41 given, at most 3 of 300 bytes fit (plus one in flight): the rest
	 * were dropped, and every one is accounted for. */
	assert_true(st.dropped >= 41 - 4);
	push_free(q, 100 * 1000000LL, &fin);
	assert_int_equal(fin.sent + fin.rejected + fin.dropped, 41);
	assert_int_equal(fin.queued, 0);
}

/* New profiles arriving during a backoff do not cut it short: over one
 * second of enqueues every 50 ms, a 300 ms backoff doubling allows three
 * attempts (at about 0, 0.3 and 0.9 s), not one per profile. */
static void test_backoff_holds_while_profiles_arrive(void **state)
{
	struct push_config c = {0};
	struct push_stats fin;
	struct push *q = NULL;
	char url[64];
	int i;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	c.server = url;
	c.backoff_min = 300 * 1000000LL;
	assert_int_equal(push_new(&c, &q, NULL), 0);
	for (i = 0; i < 20; i++) {
		enqueue(q, 100, i);
		usleep(50 * 1000);
	}
	push_free(q, 0, &fin);
	assert_true(fin.retries >= 2);
	assert_true(fin.retries <= 4);
	assert_int_equal(fin.dropped, 20);
}

static void test_ingest_path_round_trip(void **state)
{
	struct label l[] = {
		{"cgroup", "/system.slice/a=b,c}.scope"},
		{"comm", "kworker/0:1"},
		{"exe", "/usr/bin/my prog"},
		{"pid", "42"},
		{"service_name", "kworker/0:1"},
	};
	struct agent_profile ap = {0};
	struct buf path = BUF_INIT;
	struct app_name *an = NULL;
	char *name, *amp, *dec;
	int n;

	(void)state;
	ap.labels = l;
	ap.nlabels = 5;
	ap.start = 1795600800000000000LL;
	ap.duration = 10000000000LL;
	sink_ingest_path(&ap, &path);
	assert_non_null(strstr((char *)path.data, "&from=1795600800000000000&until=1795600810000000000"
					      "&format=pprof"));
	name = strstr((char *)path.data, "name=") + 5;
	amp = strchr(name, '&');
	dec = curl_easy_unescape(NULL, name, (int)(amp - name), &n);
	assert_int_equal(name_parse(dec, (size_t)n, &an, NULL), 0);
	assert_string_equal(an->service_name, "kworker/0:1");
	assert_int_equal(an->nlabels, 4);
	assert_string_equal(an->labels[0].name, "cgroup");
	assert_string_equal(an->labels[0].value, "/system.slice/a_b_c_.scope");
	assert_string_equal(an->labels[2].value, "/usr/bin/my prog");
	name_free(an);
	curl_free(dec);
	buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_down_server_bounded),
		cmocka_unit_test(test_backoff_holds_while_profiles_arrive),
		cmocka_unit_test(test_ingest_path_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
