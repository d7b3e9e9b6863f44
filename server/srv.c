/* The libmicrohttpd daemon: one epoll thread, a per-request context that gathers the body
 * (bounded by max_body), the transport checks that run before any handler (404, 405 with Allow,
 * OPTIONS, 406, 413, 415), and the conversion of an api_reply into an MHD response. */
#include "server/srv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_QUERY 32

struct srv {
    struct MHD_Daemon *daemon;
    struct api_ctx *ctx;
    unsigned long max_body;
    unsigned port;
};

/* Per-request state, owned by MHD's con_cls and freed in on_completed. */
struct req_state {
    char *body;
    size_t len;
    size_t cap;
    bool too_large;
};

struct query_acc {
    struct api_kv kv[MAX_QUERY];
    size_t n;
    bool overflow;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct query_acc *q = cls;

    (void)kind;
    if (q->n == MAX_QUERY) {
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
    if (st->too_large || st->len + len > srv->max_body) {
        st->too_large = true;
        return;
    }
    if (st->len + len + 1 > st->cap) {
        size_t ncap = st->cap ? st->cap : 1024;
        char *grown;

        while (ncap < st->len + len + 1)
            ncap *= 2;
        grown = realloc(st->body, ncap);
        if (!grown) {
            st->too_large = true;
            return;
        }
        st->body = grown;
        st->cap = ncap;
    }
    memcpy(st->body + st->len, data, len);
    st->len += len;
    st->body[st->len] = '\0';
}

/* True when the Accept header (absent = anything) admits type: each comma-separated media range
 * is compared without its parameters, with the wildcards of RFC 9110 (any type, or any subtype
 * of a main type). */
static bool accepts(const char *accept, const char *type)
{
    size_t main_len = strcspn(type, "/");

    if (!accept || !*accept)
        return true;
    for (const char *p = accept; *p;) {
        size_t len, range_len;

        p += strspn(p, " \t,");
        len = strcspn(p, ",");
        range_len = strcspn(p, ";,");
        while (range_len > 0 && (p[range_len - 1] == ' ' || p[range_len - 1] == '\t'))
            range_len--;
        if ((range_len == 3 && strncmp(p, "*/*", 3) == 0) ||
            (range_len == strlen(type) && strncasecmp(p, type, range_len) == 0) ||
            (range_len == main_len + 2 && strncasecmp(p, type, main_len + 1) == 0 &&
             p[main_len + 1] == '*'))
            return true;
        p += len;
    }
    return false;
}

static bool is_json_type(const char *ct)
{
    size_t len;

    if (!ct)
        return false;
    len = strcspn(ct, ";");
    while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    return (len == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0);
}

/* Sends reply on connection; consumes the reply's body. */
static enum MHD_Result send_reply(struct MHD_Connection *conn, struct api_reply *reply,
                                  const char *allow)
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
    resp = MHD_create_response_from_buffer(len, text ? text : (char *)"",
                                           text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    if (len || reply->body)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (reply->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, reply->location);
    if (reply->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, reply->etag);
    if (allow && *allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (reply->retry_after > 0) {
        char secs[16];

        snprintf(secs, sizeof(secs), "%d", reply->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    ret = MHD_queue_response(conn, reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Runs the transport checks, then the handler; fills reply and allow. */
static void dispatch(struct srv *srv, struct MHD_Connection *conn, const char *method,
                     const char *url, struct req_state *st, struct api_reply *reply,
                     char *allow, size_t allow_len)
{
    const struct srv_route *route;
    struct query_acc query = {.n = 0};
    struct api_request req = {0};
    char id[64];
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    enum srv_match m = srv_route_find(method, url, &route, id, sizeof(id), allow, allow_len);

    if (m == SRV_MATCH_NO_PATH) {
        api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no resource at %s", url);
        return;
    }
    if (m == SRV_MATCH_NO_METHOD) {
        if (strcmp(method, "OPTIONS") == 0) {
            api_reply_clear(reply);
            reply->status = 204;
            return;
        }
        api_reply_problem(reply, API_P_METHOD, false, NULL, "%s is not allowed on %s (allowed: %s)",
                          method, url, allow);
        return;
    }
    allow[0] = '\0';
    if (!accepts(accept, route->produces) && !accepts(accept, "application/problem+json")) {
        api_reply_problem(reply, API_P_NOT_ACCEPTABLE, false, NULL,
                          "this resource is only available as %s", route->produces);
        return;
    }
    if (st->too_large) {
        api_reply_problem(reply, API_P_TOO_LARGE, false, NULL,
                          "the request body is larger than %lu bytes", srv->max_body);
        return;
    }
    if (route->json_body &&
        !is_json_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"))) {
        api_reply_problem(reply, API_P_MEDIA_TYPE, false, NULL,
                          "send the request body as application/json");
        return;
    }
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &query);
    if (query.overflow) {
        api_reply_problem(reply, API_P_BAD_QUERY, false, NULL,
                          "more than %d query parameters", MAX_QUERY);
        return;
    }
    req.method = method;
    req.path = url;
    req.id = strstr(route->pattern, "{id}") ? id : NULL;
    req.query = query.kv;
    req.n_query = query.n;
    req.body = st->body;
    req.body_len = st->len;
    req.if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match");
    route->handler(srv->ctx, &req, reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct srv *srv = cls;
    struct req_state *st = *con_cls;
    struct api_reply reply = {0};
    char allow[128];
    enum MHD_Result ret;

    (void)version;
    if (!st) {
        /* First call: headers only. Answering now would cost keep-alive (MHD closes the
         * connection), so only a body announced as too large is refused here. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
            api_reply_problem(&reply, API_P_TOO_LARGE, false, NULL,
                              "the request body is larger than %lu bytes", srv->max_body);
            ret = send_reply(conn, &reply, NULL);
            api_reply_clear(&reply);
            return ret;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        append_body(srv, st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    dispatch(srv, conn, method, url, st, &reply, allow, sizeof(allow));
    if (reply.status == 0)
        api_reply_problem(&reply, API_P_INTERNAL, false, NULL, "the handler gave no answer");
    ret = send_reply(conn, &reply, allow);
    api_reply_clear(&reply);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req_state *st = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (st) {
        free(st->body);
        free(st);
        *con_cls = NULL;
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

struct srv *srv_start(const struct srv_config *cfg, struct api_ctx *ctx, char *why,
                      size_t why_len)
{
    struct sockaddr_storage addr = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
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
    srv->ctx = ctx;
    srv->max_body = cfg->max_body;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(why, why_len, "cannot listen on %s port %u (in use, or not allowed?)",
                 cfg->listen, cfg->port);
        free(srv);
        return NULL;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    return srv;
}

unsigned srv_port(const struct srv *srv)
{
    return srv->port;
}

void srv_stop(struct srv *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
