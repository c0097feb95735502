/* multipart: multipart/form-data bodies (RFC 7578), as Pyroscope's SDKs
 * send profiles:
 *
 *   Content-Type: multipart/form-data; boundary=XyZ
 *
 *   --XyZ\r\n
 *   Content-Disposition: form-data; name="profile"; filename="profile.pprof"\r\n
 *   Content-Type: application/octet-stream\r\n
 *   \r\n
 *   <bytes>\r\n
 *   --XyZ\r\n
 *   Content-Disposition: form-data; name="sample_type_config"; filename="..."\r\n
 *   \r\n
 *   {...}\r\n
 *   --XyZ--\r\n
 *
 * multipart_boundary() extracts the boundary from a Content-Type value
 * (quoted or not; at most 70 bytes per the RFC). multipart_parse() splits
 * the body into parts; each part's data points into the body (no copy), so
 * the body must outlive the parts. Headers are matched case-insensitively;
 * both CRLF and bare LF line ends are accepted. At most 16 parts and 8 KiB
 * of headers per part; a part without a closing boundary, a missing
 * Content-Disposition or name, or anything malformed is -EINVAL with a
 * message. Pure over bytes, with a fuzz target. */
#ifndef STACKYARD_INGEST_MULTIPART_H
#define STACKYARD_INGEST_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define MULTIPART_MAX_PARTS 16

struct mpart {
	char name[128];          /* form field name */
	char filename[256];      /* "" when absent */
	char content_type[128];  /* "" when absent */
	const uint8_t *data;     /* into the body */
	size_t len;
};

/* Copies the boundary into out (NUL-terminated); -EINVAL if absent/bad. */
int multipart_boundary(const char *content_type, char *out, size_t outsz, struct err *e);

/* Parts in order into parts[]; *n gets their count. */
int multipart_parse(const uint8_t *body, size_t len, const char *boundary,
		    struct mpart *parts, size_t *n, struct err *e);

/* The part named name, or NULL. */
const struct mpart *multipart_find(const struct mpart *parts, size_t n, const char *name);

#endif
