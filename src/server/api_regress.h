/* api_regress: GET /api/v1/regress, which functions and call paths changed
 * their share of the cost between a base and a target (docs/API.md,
 * docs/REGRESS.md). */
#ifndef STACKYARD_SERVER_API_REGRESS_H
#define STACKYARD_SERVER_API_REGRESS_H

#include "http.h"

/* Profiles read per side at most; past it the request fails with 413. */
#define API_REGRESS_MAX_PROFILES 100000

void api_regress(struct http_req *r, struct http_resp *w);

#endif
