/* The HTTP header rules the daemon applies around every route: content negotiation (Accept,
 * Content-Type), CORS origins, conditional GET (If-None-Match) and the unescaping of the URL. */
#include "server/srv.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "util/rg_util.h"

/* The weight (RFC 9110 §12.4.2) in the parameters of one media range, p (len bytes, from just
 * after the range): its q in thousandths, 1000 without one (or with one that does not parse). */
static int range_weight(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        size_t j = i + 1;
        int w, scale = 100;

        if (p[i] != ';')
            continue;
        while (j < len && (p[j] == ' ' || p[j] == '\t'))
            j++;
        if (j + 2 >= len || (p[j] != 'q' && p[j] != 'Q') || p[j + 1] != '=' ||
            (p[j + 2] != '0' && p[j + 2] != '1'))
            continue;
        w = (p[j + 2] - '0') * 1000;
        j += 3;
        if (j < len && p[j] == '.')
            for (j++; j < len && scale > 0 && p[j] >= '0' && p[j] <= '9'; j++, scale /= 10)
                w += (p[j] - '0') * scale;
        return w > 1000 ? 1000 : w;
    }
    return 1000;
}

/* The weight the Accept header gives type: that of the most specific media range matching it
 * (the exact type, then its main type with any subtype, then any type: RFC 9110 §12.5.1),
 * compared without its other parameters; -1 when no range matches. */
static int accept_weight(const char *accept, const char *type)
{
    size_t main_len = strcspn(type, "/"), type_len = strlen(type);
    int best = 0, weight = -1;

    for (const char *p = accept; *p;) {
        size_t len, range_len;
        int rank = 0;

        p += strspn(p, " \t,");
        len = strcspn(p, ",");
        range_len = strcspn(p, ";,");
        while (range_len > 0 && (p[range_len - 1] == ' ' || p[range_len - 1] == '\t'))
            range_len--;
        if (range_len == type_len && strncasecmp(p, type, range_len) == 0)
            rank = 3;
        else if (range_len == main_len + 2 && strncasecmp(p, type, main_len + 1) == 0 &&
                 p[main_len + 1] == '*')
            rank = 2;
        else if (range_len == 3 && strncmp(p, "*/*", 3) == 0)
            rank = 1;
        if (rank > best) {
            best = rank;
            weight = range_weight(p + range_len, len - range_len);
        }
        p += len;
    }
    return weight;
}

/* True when the Accept header (absent = anything) admits type with a weight above 0 or, when
 * no media range matches type at all, admits application/problem+json (a client that takes
 * only problems). A range with q=0 refuses what it matches. */
bool srv_accepts(const char *accept, const char *type)
{
    int weight;

    if (!accept || !*accept)
        return true;
    weight = accept_weight(accept, type);
    return weight > 0 || (weight < 0 && accept_weight(accept, "application/problem+json") > 0);
}

/* Whether the parameters of a media type (from its first ';') declare no charset or UTF-8:
 * JSON is UTF-8 (RFC 8259 8.1), and a body said to be in another charset would be read wrong. */
static bool charset_is_utf8(const char *params)
{
    for (const char *p = params; *p == ';';) {
        size_t name, value;

        p++;
        p += strspn(p, " \t");
        name = strcspn(p, "=;");
        if (p[name] != '=') {
            p += name;
            continue;
        }
        value = strcspn(p + name + 1, ";");
        if (name == 7 && strncasecmp(p, "charset", 7) == 0) {
            const char *v = p + name + 1;

            while (value > 0 && (v[value - 1] == ' ' || v[value - 1] == '\t'))
                value--;
            if (value >= 2 && v[0] == '"' && v[value - 1] == '"') {
                v++;
                value -= 2;
            }
            if (!((value == 5 && strncasecmp(v, "utf-8", 5) == 0) ||
                  (value == 4 && strncasecmp(v, "utf8", 4) == 0)))
                return false;
        }
        p += name + 1 + value;
    }
    return true;
}

bool srv_is_json_type(const char *ct)
{
    size_t len, type;

    if (!ct)
        return false;
    type = len = strcspn(ct, ";");
    while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    return ((len == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
            (len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0)) &&
           charset_is_utf8(ct + type);
}

/* The next item of a comma-separated list from *p, blanks around it left out: its start, with
 * its length in *len; *p moves past it. NULL at the end of the list. */
static const char *next_item(const char **p, size_t *len)
{
    const char *item;

    if (!**p)
        return NULL;
    *p += strspn(*p, " \t");
    item = *p;
    *len = strcspn(item, ",");
    *p += *len + (item[*len] == ',');
    while (*len > 0 && (item[*len - 1] == ' ' || item[*len - 1] == '\t'))
        (*len)--;
    return item;
}

bool srv_origin_allowed(const char *list, const char *origin)
{
    const char *item;
    size_t len, olen;

    if (!list || !origin)
        return false;
    if (strcmp(list, "*") == 0)
        return true;
    olen = strlen(origin);
    for (const char *p = list; (item = next_item(&p, &len));)
        if (len == olen && strncasecmp(item, origin, len) == 0) /* scheme, host: no case */
            return true;
    return false;
}

/* Whether the len bytes at item are an origin: http or https "://", a host (a name of letters,
 * digits, '-' and '.', or a bracketed IPv6 address), and an optional ":port" of 1 to 65535. */
static bool is_origin(const char *item, size_t len)
{
    size_t at = strncasecmp(item, "https://", 8) == 0 ? 8
                : strncasecmp(item, "http://", 7) == 0 ? 7
                                                        : 0;
    size_t host = at;
    unsigned long port = 0;

    if (at == 0)
        return false;
    if (at < len && item[at] == '[') {
        while (at < len && item[at] != ']')
            at++;
        if (at++ == len)
            return false;
    } else {
        while (at < len && (isalnum((unsigned char)item[at]) || item[at] == '-' ||
                            item[at] == '.'))
            at++;
    }
    if (at == host)
        return false;
    if (at < len && item[at] == ':') {
        size_t digits = ++at;

        while (at < len && isdigit((unsigned char)item[at]) && port <= 65535)
            port = port * 10 + (unsigned long)(item[at++] - '0');
        /* A browser leaves the scheme's own port out of Origin: with it, no match. */
        if (at == digits || port == 0 || port > 65535 || port == (host == 8 ? 443u : 80u))
            return false;
    }
    return at == len;
}

const char *srv_origin_list_fault(const char *list)
{
    const char *item;
    size_t len;

    if (!list || strcmp(list, "*") == 0)
        return NULL;
    /* No path, not even the "/" a browser never sends, no query, no user. */
    for (const char *p = list; (item = next_item(&p, &len));)
        if (!is_origin(item, len))
            return "each --cors-origin must be an origin, http://host or https://host with an "
                   "optional :port and no path, or the list must be * alone";
    return NULL;
}

void *srv_check_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    const char *query = strchr(uri, '?');
    const union MHD_ConnectionInfo *info;
    unsigned params = 0;

    (void)cls;
    for (const char *p = query; p && *p; p++)
        params += *p == '&' || p == query;
    if (params > SRV_QUERY_CLOSE &&
        (info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)))
        shutdown(info->connect_fd, SHUT_RDWR);
    return NULL;
}

/* MHD's unescaping of the path and the query, in place: "%HH" becomes its byte, except "%00",
 * which stays as it is. Decoded, a NUL would end the C string every handler reads, so that
 * "/replication-groups/92%00/members" addressed (and DELETE deleted) group 92; kept, it is a
 * path no route has (404), or a query value that does not parse (400). */
size_t srv_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *out = s;

    (void)cls;
    (void)conn;
    for (const char *p = s; *p; p++) {
        int hi = p[0] == '%' ? rg_hex_value(p[1]) : -1, lo = hi >= 0 ? rg_hex_value(p[2]) : -1;

        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

enum srv_framing srv_framing(unsigned n_length, unsigned n_coding, const char *te)
{
    if (n_length > 1 || (n_length && n_coding) || n_coding > 1)
        return SRV_FRAMING_AMBIGUOUS;
    if (n_coding && strcasecmp(te, "chunked") != 0)
        return SRV_FRAMING_UNKNOWN;
    return SRV_FRAMING_OK;
}

struct framing_headers {
    unsigned length, coding;
    const char *te;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct framing_headers *h = cls;

    (void)kind;
    if (strcasecmp(key, "Content-Length") == 0)
        h->length++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0 && h->coding++ == 0)
        h->te = value ? value : "";
    return MHD_YES;
}

enum srv_framing srv_request_framing(struct MHD_Connection *conn, const char **field)
{
    struct framing_headers h = {0, 0, ""};

    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &h);
    *field = h.coding > 1 ? "Transfer-Encoding" : "Content-Length";
    return srv_framing(h.length, h.coding, h.te);
}

struct field_list {
    const char *name;
    const char *first; /* the first line's value, as MHD holds it */
    unsigned n;
    struct rg_buf all; /* from the second line on: every line's value, comma-joined */
};

static enum MHD_Result join_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    struct field_list *l = cls;

    (void)kind;
    if (strcasecmp(key, l->name) != 0)
        return MHD_YES;
    if (!value)
        value = "";
    if (l->n++ == 0) {
        l->first = value;
        return MHD_YES;
    }
    if (l->n == 2)
        rg_buf_add(&l->all, l->first, strlen(l->first));
    rg_buf_add(&l->all, ", ", 2);
    rg_buf_add(&l->all, value, strlen(value));
    return MHD_YES;
}

const char *srv_header_list(struct MHD_Connection *conn, const char *name, char **joined,
                            bool *failed)
{
    struct field_list l = {name, NULL, 0, {0}};

    *joined = NULL;
    *failed = false;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, join_field, &l);
    if (l.n < 2)
        return l.first;
    if (l.all.failed) {
        free(l.all.p);
        *failed = true;
        return NULL;
    }
    *joined = l.all.p;
    return l.all.p;
}

const char *srv_origin_form(const char *target)
{
    size_t scheme = rg_http_scheme_len(target);
    const char *path;

    if (!scheme)
        return target;
    path = strchr(target + scheme, '/');
    return path ? path : "/";
}

/* Fields a request may carry once: a second one would be read by some and not by others (a
 * proxy that adds its own Authorization would have the client's used here). */
static const char *const single_fields[] = {"Authorization", "Host", "Idempotency-Key"};

struct field_scan {
    enum srv_head_fault fault;
    const char *field;
    unsigned seen[RG_ARRAY_LEN(single_fields)];
};

/* RFC 9110 5.6.2: a field name is a token. */
static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return false;
    return true;
}

static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    struct field_scan *scan = cls;
    char *end;

    (void)kind;
    if (!is_token(key)) {
        scan->fault = SRV_HEAD_BAD_NAME;
        scan->field = key;
        return MHD_NO;
    }
    for (size_t i = 0; i < RG_ARRAY_LEN(single_fields); i++) {
        if (strcasecmp(key, single_fields[i]) == 0 && scan->seen[i]++) {
            scan->fault = SRV_HEAD_TWICE;
            scan->field = single_fields[i];
            return MHD_NO;
        }
    }
    /* RFC 9110 5.5: white space after a value is not part of it; MHD 0.9.75 keeps it. MHD
     * holds each value in its own copy of the head, so it is cut there, once, for every later
     * reader. Transfer-Encoding keeps it: MHD has already judged the framing on the value as it
     * stands ("chunked " is not chunked to it), and the framing check must agree. */
    if (value && strcasecmp(key, "Transfer-Encoding") != 0) {
        end = (char *)value + strlen(value);
        while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
    }
    return MHD_YES;
}

enum srv_head_fault srv_head_fault(struct MHD_Connection *conn, const char **field)
{
    struct field_scan scan = {SRV_HEAD_OK, NULL, {0}};

    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_field, &scan);
    *field = scan.field;
    return scan.fault;
}
