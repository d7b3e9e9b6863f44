/* server: the HTTP side. Parses the command line and environment into a srv_config, runs the
 * libmicrohttpd daemon, routes each request through a static table, enforces the transport
 * rules (404, 405 with Allow, 406, 413, 415) and turns api replies into HTTP responses. */
#ifndef SRV_H
#define SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "api/api.h"

#define SRV_MAX_ACCESS_POINTS 16

struct srv_config {
    const char *listen;
    unsigned port;
    const char *db_path;
    unsigned busy_timeout_ms;
    unsigned long db_max_pages;
    unsigned long max_body;
    unsigned max_connections;
    unsigned connection_timeout;
    bool verbose;
    bool access_log;
    bool require_if_match;
    const char *cors_origins; /* comma-separated origins, "*" for any, NULL for none */
    unsigned shutdown_grace;  /* seconds SIGTERM waits for requests in flight */
    struct cim_caps caps;
    const char *access_points[SRV_MAX_ACCESS_POINTS];
    char hostname[256];   /* default system name */
    char env_list[1024];  /* writable copy of a comma-separated list from the environment */
};

/* Fills cfg from defaults, then REPLGW_* environment variables, then argv (flags win).
 * Returns 0 to run, 1 when --help or --version was answered on out, -1 after writing an error
 * to err. Strings point into argv, the environment or cfg itself. */
int srv_config_parse(struct srv_config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* ---- request metrics (srv_metrics.c) ---- */

#define SRV_LAT_BUCKETS 10
#define SRV_MAX_SERIES 256

struct srv_metrics {
    struct {
        const char *route;  /* static: a route pattern or "unmatched" */
        const char *method; /* static */
        unsigned status;
        uint64_t count;
    } series[SRV_MAX_SERIES];
    size_t n_series;
    uint64_t dropped;
    uint64_t latency[SRV_LAT_BUCKETS]; /* cumulative */
    uint64_t latency_count;
    double latency_sum;
};

void srv_metrics_record(struct srv_metrics *m, const char *route, const char *method,
                        unsigned status, double seconds);
/* The HTTP metrics text (cls is a struct srv_metrics); new string or NULL on OOM. */
char *srv_metrics_render(void *cls);

struct srv;

/* Starts the daemon serving ctx on cfg's address, and points ctx->http_metrics at its request
 * counters. cfg and ctx must outlive the server. Returns NULL after writing why. */
struct srv *srv_start(const struct srv_config *cfg, struct api_ctx *ctx, char *why,
                      size_t why_len);

/* The port actually bound (useful with port 0). */
unsigned srv_port(const struct srv *srv);

/* Stops accepting new connections, lets the requests in flight finish (up to the configured
 * grace time), then stops the daemon and frees srv. NULL-safe. */
void srv_stop(struct srv *srv);

/* The contract served at /openapi.yaml, compiled in from openapi.yaml by the Makefile. */
extern const unsigned char srv_openapi_yaml[];
extern const size_t srv_openapi_yaml_len;

/* ---- routing (srv_route.c) ---- */

struct srv_route {
    const char *method;
    const char *pattern; /* "/replication-groups/{id}": {id} matches one non-empty segment */
    api_handler handler;
    bool json_body;       /* the request must carry a JSON body (415 otherwise) */
    bool conditional;     /* a change that --require-if-match guards (428 without If-Match) */
    const char *produces; /* media type of a success */
};

enum srv_match { SRV_MATCH_OK, SRV_MATCH_NO_PATH, SRV_MATCH_NO_METHOD };

/* Finds the route for method and path. On SRV_MATCH_OK *route is set and *id points into path
 * at the {id} segment (copied to id_buf, NUL-terminated) or is NULL. On SRV_MATCH_NO_METHOD
 * allow receives the comma-separated methods the path supports. */
enum srv_match srv_route_find(const char *method, const char *path, const struct srv_route **route,
                              char *id_buf, size_t id_len, char *allow, size_t allow_len);

#endif
