/* The libmicrohttpd daemon: epoll threads (one, or a pool of --threads), a per-request context
 * that gathers the body (bounded by max_body), the transport checks that run before any handler
 * (404, 405 with Allow, OPTIONS and CORS preflight, 406, 413, 415, 428), and the conversion of
 * an api_reply into an MHD response with its request id, CORS headers and 304 for a matching
 * If-None-Match. Every request is counted for /metrics and logged as one JSON line. */
#include "server/srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_ID_MAX 128
#define EXPOSED_HEADERS                                                                        \
    "ETag, Location, Retry-After, X-Request-Id, Allow, Idempotent-Replayed, WWW-Authenticate"
#define ALLOWED_HEADERS "Content-Type, Accept, If-Match, If-None-Match, Idempotency-Key, " \
                        "X-Request-Id, Authorization"

struct srv {
    struct MHD_Daemon *daemon;
    struct api_ctx *const *readers; /* cfg->threads, one per MHD thread (reader_ctx) */
    atomic_uint readers_taken;
    const struct srv_config *cfg;
    unsigned port;
    bool with_auth;
    struct srv_auth auth;
    pthread_rwlock_t auth_lock; /* srv_reload_tokens swaps auth while requests read it */
    char *tls_cert; /* PEM text, kept while the daemon runs */
    char *tls_key;
    struct srv_rate rate;
    pthread_mutex_t rate_lock;   /* every MHD thread takes from the same buckets */
    struct srv_writer writer;
    struct srv_conns conns;
    struct srv_metrics metrics;
    atomic_uint_fast64_t next_id; /* request-id sequence */
    uint64_t id_seed;
    atomic_int in_flight;        /* requests begun and not completed */
    atomic_bool stopping;
};

/* Per-request state, owned by MHD's con_cls and freed in on_completed. */
struct req_state {
    struct rg_buf body;
    bool too_large;
    double start;
    char request_id[REQUEST_ID_MAX + 1];
    struct srv_job *job; /* a change handed to the writer; the connection waits suspended */
    const struct srv_route *job_route;
    char *if_match, *if_none_match; /* repeated lines joined (srv_header_list), or NULL */
    char client[SRV_CLIENT_LEN + 1]; /* the token's name under --tokens, else empty */
    json_t *log; /* the access-log line being made, with --access-log */
};

/* What a response carries besides the api_reply. */
struct resp_extra {
    const char *allow;
    const char *www_authenticate;
    const char *request_id;
    const char *origin;   /* an allowed Origin to echo, or NULL */
    bool vary_origin;     /* CORS is on: the answer depends on Origin, allowed or not */
    bool preflight;
    bool private_network; /* the preflight asks for Private Network Access */
    bool close;
};

struct query_acc {
    struct api_kv kv[SRV_MAX_QUERY];
    size_t n;
    bool overflow;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct query_acc *q = cls;

    (void)kind;
    /* An empty segment ("a=1&&b=2", a '&' at the end) is no parameter. */
    if (!*key && !value)
        return MHD_YES;
    if (q->n == SRV_MAX_QUERY) {
        q->overflow = true;
        return MHD_NO;
    }
    q->kv[q->n].key = key;
    q->kv[q->n].value = value;
    q->n++;
    return MHD_YES;
}

/* Appends a chunk of the body; past max_body the rest is read and dropped (413 follows). */
static void append_body(struct srv *srv, struct req_state *st, const char *data, size_t len)
{
    if (st->too_large || st->body.len + len > srv->cfg->max_body) {
        st->too_large = true;
        return;
    }
    rg_buf_add(&st->body, data, len);
    /* A body the server has no memory for is answered like one too large to take. */
    st->too_large = st->body.failed;
}

/* Takes the client's X-Request-Id when it is a sane token, else makes one. */
static void set_request_id(struct srv *srv, struct MHD_Connection *conn, struct req_state *st)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    size_t len = given ? strlen(given) : 0;

    if (len > 0 && len <= REQUEST_ID_MAX &&
        strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
            len) {
        memcpy(st->request_id, given, len + 1);
        return;
    }
    snprintf(st->request_id, sizeof(st->request_id), "%016llx-%llu",
             (unsigned long long)srv->id_seed,
             (unsigned long long)(atomic_fetch_add(&srv->next_id, 1) + 1));
}

/* s for a JSON string: each byte that starts no UTF-8 character written "%XX", as a request
 * target escapes it (MHD has unescaped the target already). A new string, NULL without memory. */
static char *log_text(const char *s)
{
    struct rg_buf b = {0};

    for (size_t len = strlen(s), n; len > 0; s += n, len -= n) {
        char esc[4];

        if ((n = rg_utf8_char(s, len, NULL)) > 0) {
            rg_buf_add(&b, s, n);
            continue;
        }
        snprintf(esc, sizeof(esc), "%%%02X", (unsigned char)*s);
        rg_buf_add(&b, esc, 3);
        n = 1;
    }
    rg_buf_add(&b, "", 0);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* The access log: one JSON object per request on standard error, begun when the request head
 * is in (method, path), given the answer's status and body size when it is queued, and written
 * when MHD is done with the request, saying whether the whole answer went out: a request whose
 * connection closed first (a body past --body-timeout, a client gone) still has its line. */
static void log_begin(struct req_state *st, const char *method, const char *url)
{
    char *m, *u;

    /* Without memory the request goes unlogged, which must not refuse it. */
    st->log = json_pack("{s:s, s:s}", "method", method, "path", url);
    if (st->log)
        return;
    /* Not UTF-8 (a probe's "/%E9", a byte of 0xFF in the method): logged with escapes. */
    m = log_text(method);
    u = log_text(url);
    if (m && u)
        st->log = json_pack("{s:s, s:s}", "method", m, "path", u);
    free(m);
    free(u);
}

static void log_answer(struct req_state *st, unsigned status, size_t bytes)
{
    if (st->log && (json_object_set_new(st->log, "status", json_integer(status)) ||
                    json_object_set_new(st->log, "bytes", json_integer((json_int_t)bytes)))) {
        json_decref(st->log);
        st->log = NULL;
    }
}

static void log_end(struct req_state *st, bool completed)
{
    char *line = NULL;

    if (!st->log)
        return;
    /* No answer was queued: the connection closed while the request came in. */
    if (!json_object_get(st->log, "status"))
        log_answer(st, 0, 0);
    if (st->log && !json_object_set_new(st->log, "duration_ms",
                                        json_real((rg_monotonic_seconds() - st->start) * 1000.0)) &&
        !json_object_set_new(st->log, "request_id", json_string(st->request_id)) &&
        !json_object_set_new(st->log, "completed", json_boolean(completed)))
        line = json_dumps(st->log, JSON_COMPACT);
    if (line)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(st->log);
    st->log = NULL;
}

/* Sends reply on connection; returns the MHD result and the body size in *bytes. */
static enum MHD_Result send_reply(struct MHD_Connection *conn, struct api_reply *reply,
                                  const struct resp_extra *x, size_t *bytes)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char *text = NULL;
    size_t len = 0;
    const char *ctype = reply->content_type ? reply->content_type : "application/json";

    if (reply->body) {
        text = json_dumps(reply->body, JSON_COMPACT);
        if (!text) {
            api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
            ctype = reply->content_type;
        } else {
            len = strlen(text);
        }
    } else if (reply->text) {
        text = reply->text;
        len = reply->text_len;
        reply->text = NULL;
    }
    *bytes = len;
    resp = MHD_create_response_from_buffer(len, text ? text : (char *)"",
                                           text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    if (len && reply->status != 304)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (reply->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, reply->location);
    if (reply->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, reply->etag);
    if (x->allow && *x->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, x->allow);
    if (x->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, x->www_authenticate);
    if (x->request_id)
        MHD_add_response_header(resp, "X-Request-Id", x->request_id);
    if (reply->retry_after > 0) {
        char secs[16];

        snprintf(secs, sizeof(secs), "%d", reply->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    /* Vary even where no CORS header is added: a cache must not give the answer to an origin
     * that was refused to one that is allowed, or the other way round. */
    if (x->vary_origin)
        MHD_add_response_header(resp, "Vary", "Origin");
    if (x->origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", x->origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
        if (x->preflight) {
            MHD_add_response_header(resp, "Access-Control-Allow-Methods", x->allow);
            MHD_add_response_header(resp, "Access-Control-Allow-Headers", ALLOWED_HEADERS);
            MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
            if (x->private_network)
                MHD_add_response_header(resp, "Access-Control-Allow-Private-Network", "true");
        }
    }
    if (reply->replayed)
        MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    if (x->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(conn, reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Seconds the client must wait before its next request (0: go on), by its address. */
static double client_wait(struct srv *srv, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const unsigned char *addr;
    size_t len;
    double wait;

    if (!sa || srv->rate.rate == 0)
        return 0;
    if (sa->sa_family == AF_INET)
        addr = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, len = 4;
    else if (sa->sa_family == AF_INET6)
        addr = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr, len = 16;
    else
        return 0;
    pthread_mutex_lock(&srv->rate_lock);
    wait = srv_rate_take(&srv->rate, addr, len, rg_monotonic_seconds());
    pthread_mutex_unlock(&srv->rate_lock);
    return wait;
}

/* The calling MHD thread's reader context: each thread takes one of srv->readers the first time
 * it serves a request and keeps it, so a connection and its cache only ever see one thread.
 * NULL only if MHD ran more threads than it was asked for. */
static struct api_ctx *reader_ctx(struct srv *srv)
{
    static _Thread_local struct api_ctx *mine;

    if (!mine) {
        unsigned i = atomic_fetch_add(&srv->readers_taken, 1);

        if (i >= srv->cfg->threads)
            return NULL;
        mine = srv->readers[i];
    }
    return mine;
}

/* Checks the bearer token: 401 when missing or wrong, 403 when a read token asks for a change. */
static bool authorize(struct srv *srv, struct MHD_Connection *conn, const char *method,
                      struct api_reply *reply, struct resp_extra *x,
                      char client[SRV_CLIENT_LEN + 1])
{
    bool write = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;

    enum srv_auth_result result;

    pthread_rwlock_rdlock(&srv->auth_lock);
    result = srv_auth_check(&srv->auth,
                            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
                            write, client);
    pthread_rwlock_unlock(&srv->auth_lock);
    switch (result) {
    case SRV_AUTH_OK:
        return true;
    case SRV_AUTH_MISSING:
        x->www_authenticate = "Bearer realm=\"replgw\"";
        api_reply_problem(reply, API_P_UNAUTHORIZED, false, NULL,
                          "send Authorization: Bearer <token>");
        return false;
    case SRV_AUTH_BAD:
        x->www_authenticate = "Bearer realm=\"replgw\", error=\"invalid_token\"";
        api_reply_problem(reply, API_P_UNAUTHORIZED, false, NULL, "the token is not valid");
        return false;
    case SRV_AUTH_FORBIDDEN:
        api_reply_problem(reply, API_P_FORBIDDEN, false, NULL,
                          "this token may read but not change anything");
        return false;
    }
    return false;
}

/* Suspends the connection and queues the change for the writer, which answers it after the
 * commit. When that is not possible, reply is answered at once instead. */
static void hand_to_writer(struct srv *srv, struct MHD_Connection *conn, struct req_state *st,
                           const struct srv_route *route, const struct api_request *req,
                           const char *id, const char *idem_key, struct api_reply *reply)
{
    struct srv_job *job = calloc(1, sizeof(*job));
    enum srv_submit submitted;

    if (!job) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    job->conn = conn;
    job->handler = route->handler;
    job->cim = route->cim;
    /* What req borrows from st or MHD (the headers, the client, the body) lives until the
     * request completes, after the writer's answer; what lives in dispatch's frame is copied. */
    job->req = *req;
    memcpy(job->query, req->query, req->n_query * sizeof(*req->query));
    job->req.query = job->query;
    /* id is only filled for routes with an {id} segment. */
    if (req->id) {
        snprintf(job->id, sizeof(job->id), "%s", id);
        job->req.id = job->id;
    }
    job->idem_key = strcmp(req->method, "POST") == 0 ? idem_key : NULL;
    job->req.json = req->body ? api_json_prepare(req, &srv->cfg->limits) : NULL;
    if (job->idem_key && !api_idempotency_fingerprint(&job->req, job->fingerprint)) {
        json_decref(job->req.json);
        free(job);
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    st->job = job;
    st->job_route = route;
    MHD_suspend_connection(conn);
    submitted = srv_writer_submit(&srv->writer, job);
    if (submitted == SRV_SUBMIT_QUEUED)
        return;
    MHD_resume_connection(conn);
    st->job = NULL;
    json_decref(job->req.json);
    free(job);
    if (submitted == SRV_SUBMIT_KEY_BUSY)
        api_reply_key_running(reply);
    else
        api_reply_problem(reply, API_P_UNAVAILABLE, false, NULL, "the server is stopping");
}

/* Runs the transport checks, then the handler; fills reply and allow. Returns the matched route,
 * or NULL (no route, or OPTIONS). */
static const struct srv_route *dispatch(struct srv *srv, struct MHD_Connection *conn,
                                       const char *method, const char *url, struct req_state *st,
                                       struct api_reply *reply, char *allow, size_t allow_len,
                                       struct resp_extra *x)
{
    const struct srv_route *route;
    struct api_ctx *ctx;
    struct query_acc query = {.n = 0};
    struct api_request req = {0};
    const char *idem_key;
    bool no_memory = false;
    char id[64];
    const char *accept;
    char *accept_joined;
    bool accepted;
    enum srv_match m = srv_route_find(method, url, &route, id, sizeof(id), allow, allow_len);
    double wait;

    /* Probes are never refused; nor is OPTIONS, which changes nothing: a browser that gets a
     * 429 for its CORS preflight gives the page a bare network error, not the 429 and its
     * Retry-After, and counting preflights would halve a page's rate. */
    if ((m != SRV_MATCH_OK || !route->open) && strcmp(method, "OPTIONS") != 0 &&
        (wait = client_wait(srv, conn)) > 0) {
        allow[0] = '\0';
        api_reply_problem(reply, API_P_TOO_MANY, false, NULL,
                          "more than %u requests a second from this address", srv->cfg->rate_limit);
        reply->retry_after = (int)wait + 1;
        return NULL;
    }
    if (m == SRV_MATCH_NO_PATH) {
        api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no resource at %s", url);
        return NULL;
    }
    if (m == SRV_MATCH_NO_METHOD) {
        if (strcmp(method, "OPTIONS") == 0) {
            api_reply_clear(reply);
            reply->status = 204;
            return NULL;
        }
        api_reply_problem(reply, API_P_METHOD, false, NULL, "%s is not allowed on %s (allowed: %s)",
                          method, url, allow);
        return NULL;
    }
    allow[0] = '\0';
    if (srv->with_auth && !route->open && !authorize(srv, conn, method, reply, x, st->client))
        return route;
    /* Accept's lines are one list (RFC 9110 5.3); without memory to join them, the answer is
     * sent whatever they say, as a server may (RFC 9110 12.5.1). */
    accept = srv_header_list(conn, "Accept", &accept_joined, &no_memory);
    accepted = no_memory || srv_accepts(accept, route->produces);
    free(accept_joined);
    no_memory = false;
    if (!accepted) {
        api_reply_problem(reply, API_P_NOT_ACCEPTABLE, false, NULL,
                          "this resource is only available as %s", route->produces);
        return route;
    }
    if (st->too_large) {
        api_reply_problem(reply, API_P_TOO_LARGE, false, NULL,
                          "the request body is larger than %lu bytes", srv->cfg->max_body);
        return route;
    }
    /* 415 is for a body of another media type; no body at all is the handler's 400, whatever
     * the Content-Type. */
    if (route->json_body && st->body.len > 0 &&
        !srv_is_json_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"))) {
        api_reply_problem(reply, API_P_MEDIA_TYPE, false, NULL,
                          "send the request body as application/json (UTF-8)");
        return route;
    }
    req.if_match = srv_header_list(conn, "If-Match", &st->if_match, &no_memory);
    if (no_memory) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return route;
    }
    /* A change's If-None-Match is judged with its If-Match (RFC 9110 13.1.2: a false one is
     * 412); a read's is looked for after the handler, when there is an ETag to compare. */
    if (route->conditional || strcmp(method, "POST") == 0) {
        req.if_none_match =
            srv_header_list(conn, "If-None-Match", &st->if_none_match, &no_memory);
        if (no_memory) {
            api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
            return route;
        }
    }
    /* A create's target is the collection, which exists and has no ETag: as on a GET of the
     * list, If-Match holds only as "*", and If-None-Match never does as "*" (RFC 9110 13.1). */
    if (!route->conditional && strcmp(method, "POST") == 0) {
        if (req.if_match && !api_etag_listed(req.if_match, "*", false)) {
            api_reply_problem(reply, API_P_PRECONDITION_FAILED, false, "If-Match",
                              "If-Match names no current version of %s: a collection has no "
                              "ETag, so only \"*\" holds",
                              url);
            return route;
        }
        if (api_etag_listed(req.if_none_match, "*", true)) {
            api_reply_problem(reply, API_P_PRECONDITION_FAILED, false, "If-None-Match",
                              "If-None-Match: * does not hold: %s exists", url);
            return route;
        }
    }
    /* Judged once the object is found (cim): a change to one that does not exist is 404. */
    req.if_match_required = route->conditional && srv->cfg->require_if_match && !req.if_match;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &query);
    if (query.overflow) {
        api_reply_problem(reply, API_P_BAD_QUERY, false, NULL, "more than %d query parameters",
                          SRV_MAX_QUERY);
        return route;
    }
    req.method = method;
    req.client = st->client[0] ? st->client : NULL;
    req.path = url;
    req.id = strstr(route->pattern, "{id}") ? id : NULL;
    req.query = query.kv;
    req.n_query = query.n;
    req.body = st->body.p;
    req.body_len = st->body.len;
    idem_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (strcmp(route->method, "GET") != 0) {
        hand_to_writer(srv, conn, st, route, &req, id, idem_key, reply);
        return route;
    }
    ctx = reader_ctx(srv);
    if (!ctx) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "no reader for this thread");
        return route;
    }
    route->handler(ctx, &req, reply);
    /* RFC 9110 13.2.2: If-Match first, and on a GET too. A representation without an ETag (a
     * list, a probe) matches only "*". */
    if (req.if_match && reply->status >= 200 && reply->status < 300 &&
        !api_etag_listed(req.if_match, reply->etag ? reply->etag : "*", false)) {
        api_reply_problem(reply, API_P_PRECONDITION_FAILED, false, "If-Match",
                          "If-Match names no current version of %s; read it again", url);
        return route;
    }
    /* A conditional GET whose representation has not changed; one without an ETag (a list, a
     * probe) matches only "*", which RFC 9110 13.1.2 makes false wherever a representation
     * exists. If-None-Match is looked for only here: each look walks every header of the
     * request (without memory to join its lines, the full 200 goes, which is never wrong).
     * The 304 keeps the body: MHD sends none for a 304 but gives its length as
     * Content-Length, which RFC 9110 8.6 allows only when it is the 200's. */
    if (reply->status == 200 &&
        api_etag_listed(srv_header_list(conn, "If-None-Match", &st->if_none_match, &no_memory),
                        reply->etag ? reply->etag : "*", true)) {
        reply->status = 304;
    }
    return route;
}

/* Answers, counts and logs one request. */
static enum MHD_Result finish(struct srv *srv, struct MHD_Connection *conn, const char *method,
                              const char *url, struct req_state *st, struct api_reply *reply,
                              const struct srv_route *route, struct resp_extra *xp)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *pattern, *method_label;
    struct resp_extra x = *xp;
    enum MHD_Result ret;
    size_t bytes = 0;
    double took;

    if (reply->status == 0)
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "the handler gave no answer");
    api_reply_render(reply);
    if (srv_origin_allowed(srv->cfg->cors_origins, origin)) {
        const char *pna = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                      "Access-Control-Request-Private-Network");

        x.origin = origin;
        x.preflight = strcmp(method, "OPTIONS") == 0 &&
                      MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "Access-Control-Request-Method");
        /* Chromium asks before a page reaches a private or loopback address (Private Network
         * Access): an origin the operator listed may. */
        x.private_network = x.preflight && pna && strcasecmp(pna, "true") == 0;
    }
    x.vary_origin = srv->cfg->cors_origins != NULL;
    x.request_id = st->request_id;
    x.close = atomic_load(&srv->stopping);
    ret = send_reply(conn, reply, &x, &bytes);
    /* MHD sends no body for HEAD or a 304 (their Content-Length is the 200's): the log counts
     * what went out. */
    if (strcmp(method, "HEAD") == 0 || reply->status == 304)
        bytes = 0;
    took = rg_monotonic_seconds() - st->start;
    /* Labels are the route table's static strings, never the client's text: MHD's strings
     * die with the request, and the number of series stays bounded. */
    if (route) {
        pattern = route->pattern;
        method_label = strcmp(method, "HEAD") == 0 ? "HEAD" : route->method;
    } else {
        srv_route_labels(method, url, &pattern, &method_label);
    }
    srv_metrics_record(&srv->metrics, pattern, method_label, reply->status, took);
    log_answer(st, reply->status, bytes);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct srv *srv = cls;
    struct req_state *st = *con_cls;
    struct api_reply reply = {0};
    char allow[128] = "";
    struct resp_extra x = {.allow = allow};
    const struct srv_route *route;
    enum MHD_Result ret;

    url = srv_origin_form(url);
    if (!st) {
        /* First call: headers only. Answering now would cost keep-alive (MHD closes the
         * connection), so only a body announced as too large or framed in a way that cannot
         * be trusted, or a request that arrives while the server stops, is answered here. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        const char *field;
        enum srv_head_fault fault;

        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        srv_conns_request(&srv->conns, conn, true);
        atomic_fetch_add(&srv->in_flight, 1);
        st->start = rg_monotonic_seconds();
        /* First: it cuts the white space after the values that everything below reads. */
        fault = srv_head_fault(conn, &field);
        set_request_id(srv, conn, st);
        if (srv->cfg->access_log)
            log_begin(st, method, url);
        if (atomic_load(&srv->stopping)) {
            api_reply_problem(&reply, API_P_UNAVAILABLE, false, NULL, "the server is stopping");
            ret = finish(srv, conn, method, url, st, &reply, NULL, &x);
            api_reply_clear(&reply);
            return ret;
        }
        switch (fault) {
        case SRV_HEAD_BAD_NAME:
            /* The stream past this head cannot be trusted to be framed as MHD framed it. */
            x.close = true;
            api_reply_problem(&reply, API_P_BAD_HEADER, false, field,
                              "the header field name '%s' is not a token (RFC 9110 5.6.2; RFC "
                              "9112 5.1 refuses white space before the colon)",
                              field);
            break;
        case SRV_HEAD_TWICE:
            api_reply_problem(&reply, API_P_BAD_HEADER, false, field,
                              "%s is given twice: it may appear once (a proxy in front may read "
                              "the other)",
                              field);
            break;
        case SRV_HEAD_OK:
            break;
        }
        if (reply.status) {
            ret = finish(srv, conn, method, url, st, &reply, NULL, &x);
            api_reply_clear(&reply);
            return ret;
        }
        /* RFC 9112 3.2: a server must refuse an HTTP/1.1 request without a Host. */
        if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
            !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)) {
            api_reply_problem(&reply, API_P_BAD_HEADER, false, "Host",
                              "an HTTP/1.1 request must carry a Host header");
            ret = finish(srv, conn, method, url, st, &reply, NULL, &x);
            api_reply_clear(&reply);
            return ret;
        }
        switch (srv_request_framing(conn, &field)) {
        case SRV_FRAMING_AMBIGUOUS:
            api_reply_problem(&reply, API_P_BAD_HEADER, false, field,
                              "the body's length is ambiguous: give one Content-Length, or "
                              "Transfer-Encoding: chunked alone");
            break;
        case SRV_FRAMING_UNKNOWN:
            api_reply_problem(&reply, API_P_NOT_IMPLEMENTED, false, NULL,
                              "Transfer-Encoding: only chunked is understood");
            break;
        case SRV_FRAMING_OK:
            if (cl && strtoull(cl, NULL, 10) > srv->cfg->max_body)
                api_reply_problem(&reply, API_P_TOO_LARGE, false, NULL,
                                  "the request body is larger than %lu bytes",
                                  srv->cfg->max_body);
            break;
        }
        if (reply.status) {
            ret = finish(srv, conn, method, url, st, &reply, NULL, &x);
            api_reply_clear(&reply);
            return ret;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* A body trickling in (a byte every few seconds keeps the idle timeout at bay) could
         * hold its connection for ever. libmicrohttpd cannot answer before the body is in,
         * so the connection is closed. */
        if (srv->cfg->body_timeout && rg_monotonic_seconds() - st->start > srv->cfg->body_timeout) {
            rg_log(RG_LOG_WARN, "closing %s %s: its body took longer than %u s to arrive",
                   method, url, srv->cfg->body_timeout);
            return MHD_NO;
        }
        append_body(srv, st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->job) {
        /* Resumed by the writer: its answer is ready, the change committed. */
        if (!st->job->done)
            return MHD_YES;
        reply = st->job->reply;
        memset(&st->job->reply, 0, sizeof(st->job->reply));
        ret = finish(srv, conn, method, url, st, &reply, st->job_route, &x);
        api_reply_clear(&reply);
        return ret;
    }
    route = dispatch(srv, conn, method, url, st, &reply, allow, sizeof(allow), &x);
    if (st->job)
        return MHD_YES; /* suspended until the writer has committed */
    ret = finish(srv, conn, method, url, st, &reply, route, &x);
    api_reply_clear(&reply);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv *srv = cls;
    struct req_state *st = *con_cls;

    srv_conns_request(&srv->conns, conn, false);
    if (st) {
        log_end(st, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
        if (st->job) {
            api_reply_clear(&st->job->reply);
            json_decref(st->job->req.json);
            free(st->job);
        }
        free(st->body.p);
        free(st->if_match);
        free(st->if_none_match);
        free(st);
        *con_cls = NULL;
        atomic_fetch_sub(&srv->in_flight, 1);
    }
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    rg_log(RG_LOG_WARN, "http: %s", line);
}

/* Reads a whole (small) file into a new NUL-terminated string; NULL after writing why. */
static char *read_file(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (!f) {
        snprintf(why, why_len, "cannot read %s", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len < 1024 * 1024 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
        fread(buf, 1, (size_t)len, f) == (size_t)len) {
        buf[len] = '\0';
    } else {
        free(buf);
        buf = NULL;
        snprintf(why, why_len, "cannot read %s", path);
    }
    fclose(f);
    return buf;
}

/* True for 127.0.0.0/8 and ::1, where only this machine can connect. */
static bool is_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)addr)->sin6_addr);
}

/* Loads tokens and TLS material; refuses an open port without tokens. */
static int prepare_security(struct srv *srv, const struct sockaddr_storage *addr, char *why,
                            size_t why_len)
{
    const struct srv_config *cfg = srv->cfg;

    if (cfg->tokens_path) {
        if (srv_auth_load(cfg->tokens_path, &srv->auth, why, why_len) != 0)
            return -1;
        srv_auth_warn(cfg->tokens_path, &srv->auth);
        srv->with_auth = true;
        if (!is_loopback(addr) && !cfg->tls_cert)
            rg_log(RG_LOG_WARN, "listening on %s without TLS: tokens cross the network in "
                                "clear text (--tls-cert, --tls-key)",
                   cfg->listen);
    } else if (!is_loopback(addr)) {
        snprintf(why, why_len,
                 "refusing to listen on %s without --tokens: anyone who can reach it could change "
                 "the storage configuration. Make a token with 'replgw token add --tokens FILE "
                 "--scope write' and pass --tokens FILE, or listen on 127.0.0.1",
                 cfg->listen);
        return -1;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(why, why_len, "--tls-cert and --tls-key go together");
        return -1;
    }
    if (cfg->tls_cert && (!(srv->tls_cert = read_file(cfg->tls_cert, why, why_len)) ||
                          !(srv->tls_key = read_file(cfg->tls_key, why, why_len))))
        return -1;
    srv->rate.rate = cfg->rate_limit;
    srv->rate.burst = cfg->rate_burst ? cfg->rate_burst : cfg->rate_limit;
    return 0;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct srv *srv = cls;
    bool started = code == MHD_CONNECTION_NOTIFY_STARTED;

    srv_conns_notify(&srv->conns, conn, socket_context, started);
    if (rg_log_enabled(RG_LOG_DEBUG)) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        char addr[INET6_ADDRSTRLEN] = "?";
        unsigned port = 0;

        if (sa && sa->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
            port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
        } else if (sa && sa->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof(addr));
            port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
        }
        rg_log(RG_LOG_DEBUG, "connection from %s port %u %s", addr, port,
               started ? "opened" : "closed");
    }
}

/* Why MHD could not listen, when it is the address: binding it again gives the errno (0 when
 * it binds, so the fault was elsewhere). */
static int try_bind(const struct sockaddr_storage *addr)
{
    socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
    int fd = socket(addr->ss_family, SOCK_STREAM, 0), one = 1, rc = 0;

    if (fd < 0)
        return errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)addr, len) != 0)
        rc = errno;
    close(fd);
    return rc;
}

static void free_srv(struct srv *srv)
{
    srv_metrics_fini(&srv->metrics);
    pthread_mutex_destroy(&srv->rate_lock);
    pthread_rwlock_destroy(&srv->auth_lock);
    srv_auth_free(&srv->auth);
    free(srv->tls_cert);
    free(srv->tls_key);
    free(srv);
}

/* Seeds request ids so that two runs do not repeat them. */
static uint64_t random_seed(void)
{
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    int fd = open("/dev/urandom", O_RDONLY);

    if (fd >= 0) {
        if (read(fd, &seed, sizeof(seed)) != (ssize_t)sizeof(seed))
            seed ^= (uint64_t)clock();
        close(fd);
    }
    return seed;
}

struct srv *srv_start(const struct srv_config *cfg, struct api_ctx *const *readers,
                      struct api_ctx *writer_ctx, char *why, size_t why_len)
{
    struct MHD_OptionItem extra[5];
    size_t n_extra = 0;
    struct sockaddr_storage addr = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME;
    const union MHD_DaemonInfo *info;
    struct srv *srv;

    if (inet_pton(AF_INET, cfg->listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(why, why_len, "--listen %s is not an IPv4 or IPv6 address", cfg->listen);
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    srv_metrics_init(&srv->metrics);
    pthread_mutex_init(&srv->rate_lock, NULL);
    pthread_rwlock_init(&srv->auth_lock, NULL);
    srv->readers = readers;
    srv->cfg = cfg;
    if (prepare_security(srv, &addr, why, why_len) != 0) {
        free_srv(srv);
        return NULL;
    }
    if (srv->tls_cert)
        flags |= MHD_USE_TLS;
    srv->id_seed = random_seed();
    atomic_init(&srv->in_flight, 0);
    atomic_init(&srv->stopping, false);
    atomic_init(&srv->readers_taken, 0);
    atomic_init(&srv->next_id, 0);
    for (unsigned i = 0; i < cfg->threads; i++) {
        readers[i]->http_metrics = srv_metrics_render;
        readers[i]->http_metrics_cls = &srv->metrics;
        readers[i]->writer_svc = writer_ctx->svc;
    }
    if (cfg->threads > 1)
        extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL};
    if (srv->tls_cert) {
        extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
        extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
        /* TLS 1.2 and 1.3 only: 1.0 and 1.1 are deprecated (RFC 8996), and tokens travel
         * over this channel. */
        extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                                   (void *)SRV_TLS_PRIORITIES};
    }
    extra[n_extra] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    if (srv_writer_start(&srv->writer, writer_ctx) != 0) {
        snprintf(why, why_len, "cannot start the writer thread");
        free_srv(srv);
        return NULL;
    }
    if (srv_conns_start(&srv->conns, cfg->header_timeout) != 0) {
        snprintf(why, why_len, "cannot start the header-deadline thread");
        srv_writer_stop(&srv->writer);
        free_srv(srv);
        return NULL;
    }
    /* The logger goes first, so that MHD's messages about the other options reach it. */
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        log_mhd, srv, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, srv_unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK,
        srv_check_uri, NULL,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
        MHD_OPTION_ARRAY, extra, MHD_OPTION_END);
    if (!srv->daemon) {
        int bind_errno = try_bind(&addr);

        if (bind_errno)
            snprintf(why, why_len, "cannot listen on %s port %u: %s", cfg->listen, cfg->port,
                     strerror(bind_errno));
        else
            snprintf(why, why_len, "cannot start the HTTP server on %s port %u (a bad TLS "
                     "certificate or key?)",
                     cfg->listen, cfg->port);
        srv_writer_stop(&srv->writer);
        srv_conns_stop(&srv->conns);
        free_srv(srv);
        return NULL;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    return srv;
}

int srv_reload_tokens(struct srv *srv, char *why, size_t why_len)
{
    struct srv_auth fresh = {0}, old;

    if (!srv->with_auth) {
        snprintf(why, why_len, "no --tokens file to read again");
        return -1;
    }
    if (srv_auth_load(srv->cfg->tokens_path, &fresh, why, why_len) != 0)
        return -1;
    srv_auth_warn(srv->cfg->tokens_path, &fresh);
    pthread_rwlock_wrlock(&srv->auth_lock);
    old = srv->auth;
    srv->auth = fresh;
    pthread_rwlock_unlock(&srv->auth_lock);
    srv_auth_free(&old);
    return 0;
}

unsigned srv_port(const struct srv *srv)
{
    return srv->port;
}

/* Waits up to seconds for the requests in flight to end. */
static void wait_in_flight(struct srv *srv, double seconds)
{
    double deadline = rg_monotonic_seconds() + seconds;

    while (atomic_load(&srv->in_flight) > 0 && rg_monotonic_seconds() < deadline) {
        struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

void srv_stop(struct srv *srv)
{
    MHD_socket listen_fd;

    if (!srv)
        return;
    /* Stop accepting (new connections are refused), answer requests that arrive on open
     * connections with 503, and give those in flight the grace time to finish. */
    atomic_store(&srv->stopping, true);
    listen_fd = MHD_quiesce_daemon(srv->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    wait_in_flight(srv, srv->cfg->shutdown_grace);
    /* The writer answers what is still queued and resumes those connections; MHD must not be
     * stopped with a connection suspended. A change it is running is finished, however long
     * it waits for the database (up to --busy-timeout): its client gets what it did. */
    srv_writer_stop(&srv->writer);
    /* Their answers go out before MHD closes the connections. */
    wait_in_flight(srv, SRV_DRAIN_SECONDS);
    if (atomic_load(&srv->in_flight) > 0)
        rg_log(RG_LOG_WARN, "stopping with %d request(s) cut off after --shutdown-grace %u s",
               (int)atomic_load(&srv->in_flight), srv->cfg->shutdown_grace);
    MHD_stop_daemon(srv->daemon);
    srv_conns_stop(&srv->conns);
    free_srv(srv);
}

bool srv_is_tls(const struct srv *srv)
{
    return srv->tls_cert != NULL;
}
