/* server: the HTTP side. Parses the command line and environment into a srv_config, runs the
 * libmicrohttpd daemon, routes each request through a static table, enforces the transport
 * rules (404, 405 with Allow, 406, 413, 415) and turns api replies into HTTP responses. */
#ifndef SRV_H
#define SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>

#include "api/api.h"

#define SRV_MAX_ACCESS_POINTS 16
#define SRV_MAX_THREADS 16
#define SRV_CONFIG_MAX 16384 /* the largest --config file */

struct srv_config {
    const char *listen;
    unsigned port;
    const char *db_path;
    unsigned busy_timeout_ms;
    unsigned long db_max_pages;
    bool db_check; /* PRAGMA quick_check at start */
    unsigned long max_body;
    unsigned max_connections;
    unsigned threads;         /* MHD threads serving requests, each with its own reader context */
    unsigned long group_cache; /* serialized groups kept per request thread; 0 = none */
    unsigned connection_timeout;
    unsigned body_timeout;    /* seconds a body may take to arrive after its headers; 0 = any */
    unsigned header_timeout;  /* seconds to a complete request head, from the connection's
                                 opening or its previous answer; 0 = any */
    bool verbose;
    bool access_log;
    bool require_if_match;
    const char *cors_origins; /* comma-separated origins, "*" for any, NULL for none */
    unsigned shutdown_grace;  /* seconds SIGTERM waits for requests in flight */
    const char *tokens_path;  /* bearer tokens file; NULL: no authentication (loopback only) */
    const char *tls_cert;     /* PEM files; both or neither */
    const char *tls_key;
    unsigned max_per_ip;      /* concurrent connections from one address; 0 = no limit */
    unsigned rate_limit;      /* requests per second per client address; 0 = no limit */
    unsigned rate_burst;      /* requests a client may send at once above the rate */
    struct api_limits limits;
    struct cim_caps caps;
    const char *access_points[SRV_MAX_ACCESS_POINTS];
    int access_points_from; /* the source that set them (enum source in srv_config.c) */
    char hostname[256];   /* default system name */
    char env_list[1024];  /* writable copy of a comma-separated list from the environment */
    char file_text[SRV_CONFIG_MAX]; /* the --config file, its lines cut into names and values */
};

/* Fills cfg from defaults, then the --config file (or REPLGW_CONFIG), then REPLGW_* environment
 * variables, then argv (flags win).
 * Returns 0 to run, 1 when --help or --version was answered on out, -1 after writing an error
 * to err. Strings point into argv, the environment or cfg itself. */
int srv_config_parse(struct srv_config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* ---- bearer tokens (srv_auth.c) ---- */

struct srv_token;

struct srv_auth {
    struct srv_token *tokens;
    size_t n;
    size_t cap;
};

/* Reads a tokens file ("<sha256 hex> read|write" per line): a regular file of at most
 * SRV_TOKENS_MAX_BYTES (about 13,000 tokens), no token listed twice. On failure writes why and
 * leaves *out empty. */
#define SRV_TOKENS_MAX_BYTES (1024 * 1024)
int srv_auth_load(const char *path, struct srv_auth *out, char *why, size_t why_len);
/* Logs what a server should not serve unremarked: a file with no token, one others can read. */
void srv_auth_warn(const char *path, const struct srv_auth *a);
void srv_auth_free(struct srv_auth *a);

enum srv_auth_result { SRV_AUTH_OK, SRV_AUTH_MISSING, SRV_AUTH_BAD, SRV_AUTH_FORBIDDEN };

#define SRV_CLIENT_LEN 16 /* hex digits naming a token: the start of its hash */

/* Checks an Authorization header ("Bearer <token>") for a read (write=false) or a change: none,
 * or one of another scheme, is SRV_AUTH_MISSING; a Bearer token not on the list SRV_AUTH_BAD.
 * On SRV_AUTH_OK client names the token (the first bytes of its hash in hex, which tell
 * nothing of the token and stay when the file is reloaded or reordered). */
enum srv_auth_result srv_auth_check(const struct srv_auth *a, const char *header, bool write,
                                    char client[SRV_CLIENT_LEN + 1]);

/* `replgw token add`: makes a random token, appends its hash and scope to path, and prints the
 * token (the only time it is shown) on out. Returns 0, or -1 after writing why. */
int srv_token_add(const char *path, const char *scope, FILE *out, char *why, size_t why_len);

/* ---- header rules (srv_http.c) ---- */

struct MHD_Connection;

/* True when the Accept header (absent = anything) admits type: the most specific media range
 * that matches it gives its weight (RFC 9110), q=0 refuses; when no range matches type at
 * all, true if application/problem+json is admitted (a client that takes only problems). */
bool srv_accepts(const char *accept, const char *type);
/* True for application/json and any +json type whose parameters declare no charset, or
 * UTF-8 (JSON's own). */
bool srv_is_json_type(const char *content_type);
/* True when origin is in the comma-separated list (blanks around items aside, compared
 * without case), or the list is "*". */
bool srv_origin_allowed(const char *list, const char *origin);
/* Why list cannot be a --cors-origin list (NULL when it can). */
const char *srv_origin_list_fault(const char *list);
/* How a request's body is framed, from its Content-Length and Transfer-Encoding headers (n
 * and m of each, te the first Transfer-Encoding): SRV_FRAMING_OK, or why it cannot be trusted.
 * MHD reads the first Content-Length of several, where a proxy in front may read another: the
 * two would split the stream into different requests (RFC 9112 §6.3, request smuggling). */
enum srv_framing {
    SRV_FRAMING_OK,
    SRV_FRAMING_AMBIGUOUS, /* 400: two Content-Lengths, or one beside a Transfer-Encoding */
    SRV_FRAMING_UNKNOWN,   /* 501: a transfer coding other than chunked */
};
enum srv_framing srv_framing(unsigned n_length, unsigned n_coding, const char *te);
/* srv_framing of the request on conn, and the field to blame when it is ambiguous
 * (Transfer-Encoding given twice, else Content-Length: twice, or beside Transfer-Encoding). */
enum srv_framing srv_request_framing(struct MHD_Connection *conn, const char **field);
/* What makes the head of the request on conn unfit to read, with the field's name in *field:
 * a name that is not a token (RFC 9112 5.1: "Content-Length : 5" must be refused, or a proxy
 * that reads it would frame the stream differently), or a field that may appear once
 * (Authorization, Host or Idempotency-Key: RFC 9110 5.3, not list fields) given twice. Cuts the
 * white space after every value but Transfer-Encoding's on the way (RFC 9110 5.5). */
enum srv_head_fault {
    SRV_HEAD_OK,
    SRV_HEAD_BAD_NAME,
    SRV_HEAD_TWICE,
};
enum srv_head_fault srv_head_fault(struct MHD_Connection *conn, const char **field);
/* The path of a request target (RFC 9112 3.2): one in origin form as it is, one in absolute
 * form ("http://host:port/path", which a server must accept) reduced to its path, "/" when it
 * has none. Points into target, or to static storage. */
const char *srv_origin_form(const char *target);
/* The value of a list-valued field such as If-Match, whose lines a request may repeat (RFC 9110
 * section 5.3: as one comma-separated list): NULL when absent, the one line's value, or all the
 * lines' values joined by ", " into a new *joined (caller frees; *failed when out of memory). */
const char *srv_header_list(struct MHD_Connection *conn, const char *name, char **joined,
                            bool *failed);
/* MHD's unescape callback (MHD_OPTION_UNESCAPE_CALLBACK): "%HH" to its byte, except "%00". */
size_t srv_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* ---- the header deadline (srv_conns.c) ---- */

struct srv_conn;

struct srv_conns {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct srv_conn *head; /* the open connections */
    unsigned timeout;      /* seconds; 0 = none, and nothing runs */
    bool stop;
    bool running;
};

/* Starts watching with timeout seconds (0: does nothing). Returns 0, or -1 when no thread could
 * be made. */
int srv_conns_start(struct srv_conns *cs, unsigned timeout);
/* Joins the watcher; call after MHD is stopped. Safe on one never started. */
void srv_conns_stop(struct srv_conns *cs);
/* For MHD_OPTION_NOTIFY_CONNECTION: conn has opened (opened) or closed; *socket_context is
 * the connection's MHD keeps for it. */
void srv_conns_notify(struct srv_conns *cs, struct MHD_Connection *conn, void **socket_context,
                      bool opened);
/* A request head on conn is in (begun) or its answer went out (!begun): the deadline is off
 * while a request runs, and counts again from its answer. */
void srv_conns_request(struct srv_conns *cs, struct MHD_Connection *conn, bool begun);

/* ---- request rate per client (srv_limit.c) ---- */

#define SRV_RATE_SLOTS 4096
#define SRV_RATE_PROBES 8

struct srv_bucket {
    unsigned char addr[16]; /* IPv4 or IPv6 address bytes */
    size_t len;
    double tokens;
    double seen; /* when it was last refilled, monotonic seconds */
};

struct srv_rate {
    double rate;  /* tokens per second; 0 = no limit */
    double burst; /* bucket size */
    struct srv_bucket slots[SRV_RATE_SLOTS];
};

/* Takes one request from the bucket of address addr (len bytes) at time now. Returns 0 when the
 * request may go on, else the seconds until the client may send again. */
double srv_rate_take(struct srv_rate *r, const unsigned char *addr, size_t len, double now);

/* ---- the writer thread and group commit (srv_writer.c) ---- */

#define SRV_MAX_QUERY 32
/* Each connection's memory in MHD, which holds the request line and headers and a record per
 * query parameter (about 56 bytes each): 32 KiB, MHD's own default, runs out at about 450
 * parameters, where MHD neither answers nor closes the connection (it waits out the idle
 * timeout). Not more: MHD zeroes the whole of it after every request, and 64 KiB (about 1,000
 * parameters) cost GET 4-25% of its requests per second in alternating runs. So a request
 * with more than SRV_QUERY_CLOSE parameters has its connection shut at once, before MHD
 * records them; up to that, more than SRV_MAX_QUERY is a 400. */
#define SRV_CONN_MEMORY (32 * 1024)
/* At a stop, how long the answers of the changes the writer finished past --shutdown-grace
 * have to go out before the connections are closed. */
#define SRV_DRAIN_SECONDS 1.0
#define SRV_QUERY_CLOSE 256
/* The URI log callback of MHD (MHD_OPTION_URI_LOG_CALLBACK): shuts the connection of a request
 * with more than SRV_QUERY_CLOSE query parameters. Returns NULL (no request state yet). */
void *srv_check_uri(void *cls, const char *uri, struct MHD_Connection *conn);

/* The GnuTLS priorities of HTTPS: GnuTLS's defaults, less every protocol before TLS 1.2. */
#define SRV_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct MHD_Connection;

/* A change waiting for the writer: its connection is suspended until done. The request's
 * strings stay valid because MHD keeps a suspended request's data. */
struct srv_job {
    struct srv_job *next;
    struct MHD_Connection *conn;
    api_handler handler;
    enum api_method cim; /* the route's */
    struct api_request req;
    struct api_kv query[SRV_MAX_QUERY];
    char id[64];
    const char *idem_key; /* NULL when none */
    char fingerprint[API_FINGERPRINT_LEN]; /* of req, with an idem_key */
    struct api_reply reply;
    struct timespec queued; /* when srv_writer_submit took it (CLOCK_MONOTONIC) */
    bool done; /* set by the writer before it resumes the connection */
};

#define SRV_BATCH 32 /* the most changes the writer commits together */

struct srv_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct srv_job *head; /* the queue, oldest first */
    struct srv_job *tail;
    struct srv_job *batch[SRV_BATCH]; /* the batch being run, until its answers go out */
    size_t n_batch;
    bool stop;
    bool running;
    struct api_ctx *ctx; /* the writer's own context (its own database connection) */
};

/* Starts the writer thread on ctx. Returns 0, or -1 when no thread could be made. */
int srv_writer_start(struct srv_writer *w, struct api_ctx *ctx);
enum srv_submit {
    SRV_SUBMIT_QUEUED,
    SRV_SUBMIT_STOPPING, /* the writer stops: nothing more is taken */
    SRV_SUBMIT_KEY_BUSY, /* a change with the same client and Idempotency-Key waits or runs */
};

/* Queues job; the writer answers it and resumes job->conn. */
enum srv_submit srv_writer_submit(struct srv_writer *w, struct srv_job *job);
/* Lets the writer finish what is queued, then joins it. Safe on a writer never started. */
void srv_writer_stop(struct srv_writer *w);

/* ---- request metrics (srv_metrics.c) ---- */

#define SRV_LAT_BUCKETS 10
#define SRV_MAX_SERIES 256

struct srv_metrics {
    pthread_mutex_t lock; /* every request thread records; /metrics reads */
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

void srv_metrics_init(struct srv_metrics *m);
void srv_metrics_fini(struct srv_metrics *m);
void srv_metrics_record(struct srv_metrics *m, const char *route, const char *method,
                        unsigned status, double seconds);
/* The HTTP metrics text (cls is a struct srv_metrics); new string or NULL on OOM. */
char *srv_metrics_render(void *cls);

struct srv;

/* Starts the daemon: cfg->threads MHD threads serve reads, each with one of readers (its own
 * database connection and cache; cfg->threads of them), and the writer thread runs changes with
 * writer_ctx. Points each reader's http_metrics at the request counters. cfg and the contexts
 * must outlive the server. Returns NULL after writing why. */
struct srv *srv_start(const struct srv_config *cfg, struct api_ctx *const *readers,
                      struct api_ctx *writer_ctx, char *why, size_t why_len);

/* Reads the --tokens file again and serves with what it now holds (SIGHUP): added tokens work
 * and removed ones stop working. On failure (no --tokens, or a file that does not load) writes
 * why and keeps the tokens it had. */
int srv_reload_tokens(struct srv *srv, char *why, size_t why_len);

/* The port actually bound (useful with port 0), and whether it speaks HTTPS. */
unsigned srv_port(const struct srv *srv);
bool srv_is_tls(const struct srv *srv);

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
    bool json_body;       /* takes a JSON body: one of another type is 415 (none, the handler's 400) */
    bool conditional;     /* a change that --require-if-match guards (428 without If-Match) */
    const char *produces; /* media type of a success */
    bool open;            /* answered without a token (health probes) */
    enum api_method cim;  /* the CIM method the handler calls, for problems answered around it */
};

enum srv_match { SRV_MATCH_OK, SRV_MATCH_NO_PATH, SRV_MATCH_NO_METHOD };

/* Finds the route for method and path (HEAD finds the GET route). On SRV_MATCH_OK *route is
 * set and *id points into path at the {id} segment (copied to id_buf, NUL-terminated) or is
 * NULL. On SRV_MATCH_NO_METHOD allow receives the comma-separated methods the path supports. */
enum srv_match srv_route_find(const char *method, const char *path, const struct srv_route **route,
                              char *id_buf, size_t id_len, char *allow, size_t allow_len);

/* The metrics labels of a request that found no route for its method: the pattern of its path
 * ("unmatched" when no route has the path) and its method as one of a fixed set of static
 * strings ("-" for an unmatched path, "other" for an unknown method), never the client's text. */
void srv_route_labels(const char *method, const char *path, const char **pattern,
                      const char **method_label);

#endif
