/* api: the JSON face of the model. Each handler takes a transport-free api_request (method,
 * path parameters, query, body) and fills an api_reply (status, JSON body, a few headers). It
 * parses and strictly checks JSON (unknown fields, wrong types and duplicate keys are 400 naming
 * the field), converts to and from cim/ structs, and writes every error as
 * application/problem+json through the one table in api_problem.c. No MHD, no SQLite here.
 */
#ifndef API_H
#define API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cim/cim.h"

struct api_kv {
    const char *key;
    const char *value; /* NULL for a key given without '=' */
};

struct api_request {
    const char *method;
    const char *client; /* who sent it (a token's name under --tokens), or NULL */
    const char *path;
    const char *id; /* the {id} path segment, NULL when the route has none */
    const struct api_kv *query;
    size_t n_query;
    const char *body; /* NULL when there is none */
    size_t body_len;
    const char *if_match; /* the If-Match header, NULL when absent */
    const char *if_none_match; /* the If-None-Match header of a change, NULL when absent */
    bool if_match_required;    /* a change under --require-if-match without If-Match: 428 */
    json_t *json; /* the body as api_json_prepare parsed it, or NULL; owned by the caller */
};

struct api_reply {
    unsigned status;
    json_t *body;        /* owned; NULL for no body (204) */
    const char *content_type; /* static; NULL = application/json */
    char *text;          /* owned; a non-JSON body (openapi.yaml), used when body is NULL */
    size_t text_len;
    char *location;      /* owned; Location header or NULL */
    char *etag;          /* owned; ETag header or NULL */
    int retry_after;     /* seconds; 0 = no Retry-After header */
    bool replayed;       /* answered from the Idempotency-Key store */
    struct cim_group *group; /* owned; a group answer not rendered yet (api_reply_render) */
    bool group_rv;           /* that answer is a CIM method's: it carries ReturnValue 0 */
};

/* Releases what reply owns and zeroes it. NULL-safe. */
void api_reply_clear(struct api_reply *reply);

/* Answers 200 with the JSON text in b (taken); 500 when building it ran out of memory. */
void api_reply_text(struct api_reply *reply, struct rg_buf *b);

/* Renders a group answer left in reply->group into its JSON text (reply->text). A change runs
 * on the writer thread, which every change waits for: it leaves the group as it is and the
 * request's own thread renders it before sending. No-op when there is nothing to render. */
void api_reply_render(struct api_reply *reply);

/* Everything a handler needs; borrowed for the life of the server. */
/* Bounds on what a request body may hold; each breach is a 400 naming the field. */
struct api_limits {
    unsigned max_depth;      /* JSON nesting */
    size_t max_string;       /* bytes in any string, keys included */
    size_t max_members;      /* references in one Members list */
};

/* Serialized group representations keyed by id and Generation. Every change to a group bumps
 * its Generation and ids are never reused, so an entry is either current or never matched
 * again. GET of one group and list pages answer from it. Each request thread has its own
 * context, so a cache is only ever used by one thread. */
#define API_CACHE_DEFAULT_SLOTS 4096
#define API_CACHE_MAX_ENTRY 65536

struct api_cache_entry {
    int64_t id;
    int64_t generation;
    char *text; /* owned */
    size_t len;
};

struct api_ctx {
    struct cim_service *svc;
    struct api_limits limits;
    struct api_cache_entry *cache; /* cache_slots entries, or NULL for no cache */
    size_t cache_slots;
    const char *openapi; /* the contract served at /openapi.yaml */
    size_t openapi_len;
    /* The HTTP part of /metrics (request counters, latency), written by the server: returns a
     * new string (caller frees) or NULL on OOM. */
    char *(*http_metrics)(void *cls);
    void *http_metrics_cls;
    struct cim_service *writer_svc; /* where changes are committed, for /metrics; NULL = svc */
};

typedef void (*api_handler)(struct api_ctx *ctx, const struct api_request *req,
                            struct api_reply *reply);

/* Group commit for the writer thread: see cim_service_batch_begin/end. api_batch_end fills err
 * when the commit failed (every change of the batch is then undone). */
bool api_batch_begin(struct api_ctx *ctx, unsigned waited_ms);
bool api_batch_end(struct api_ctx *ctx, bool commit, struct cim_err *err);

/* Allocates ctx->cache with slots entries (0: no cache) and frees it. api_cache_init returns 0,
 * or -1 when memory runs out. */
int api_cache_init(struct api_ctx *ctx, size_t slots);
void api_cache_free(struct api_ctx *ctx);

/* Resource handlers; each fills reply completely, errors included. */
void api_groups_create(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_groups_list(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_groups_get(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_groups_modify(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_groups_delete(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_groups_members(struct api_ctx *ctx, const struct api_request *req,
                        struct api_reply *reply);
void api_groups_add_members(struct api_ctx *ctx, const struct api_request *req,
                            struct api_reply *reply);
void api_groups_remove_members(struct api_ctx *ctx, const struct api_request *req,
                               struct api_reply *reply);
void api_elements_create(struct api_ctx *ctx, const struct api_request *req,
                         struct api_reply *reply);
void api_elements_list(struct api_ctx *ctx, const struct api_request *req,
                       struct api_reply *reply);
void api_elements_get(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_elements_delete(struct api_ctx *ctx, const struct api_request *req,
                         struct api_reply *reply);
void api_capabilities(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_livez(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_readyz(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_metrics(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);
void api_openapi(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply);

/* The CIM method behind a request: ReturnValues 7 and 8 mean different things per method, and
 * API_M_NONE (no method: GET, PATCH, element resources) means no ReturnValue in problems. */
enum api_method {
    API_M_NONE,
    API_M_CREATE_GROUP,
    API_M_DELETE_GROUP,
    API_M_ADD_MEMBERS,
    API_M_REMOVE_MEMBERS,
};

#define API_FINGERPRINT_LEN 17 /* 16 hex digits and a NUL */

/* Writes to out the fingerprint that tells a retry of req from another request under the same
 * key (its method, path, and body as JSON). On the request thread, with req->json prepared: the
 * writer has enough to do. False when memory runs out. */
bool api_idempotency_fingerprint(const struct api_request *req, char out[API_FINGERPRINT_LEN]);
/* Runs h, the handler of CIM method m (API_M_NONE for none), for req under Idempotency-Key key,
 * fp being req's api_idempotency_fingerprint: the first response is stored in the database and
 * replayed to retries with the same request; see api_idempotency.c. A failure of the store is
 * answered as one of m. */
void api_idempotent(struct api_ctx *ctx, api_handler h, enum api_method m,
                    const struct api_request *req, const char *key, const char *fp,
                    struct api_reply *reply);
/* Whether key is a well-formed Idempotency-Key (api_idempotent answers 400 for any other). */
bool api_idempotency_key_valid(const char *key);
/* The 409 for a request whose Idempotency-Key's first request has not finished: one still
 * waiting for the writer or running (judged where they wait), or marked running in the store. */
void api_reply_key_running(struct api_reply *reply);

/* ---- problems (api_problem.c) ---- */

/* Problems that are not a CIM method outcome. */
enum api_problem {
    API_P_BAD_REQUEST,      /* 400: malformed JSON, wrong type, unknown field (ReturnValue 5) */
    API_P_BAD_QUERY,        /* 400: a bad query parameter (no ReturnValue) */
    API_P_NOT_FOUND,        /* 404 */
    API_P_METHOD,           /* 405 */
    API_P_NOT_ACCEPTABLE,   /* 406 */
    API_P_TOO_LARGE,        /* 413 */
    API_P_MEDIA_TYPE,       /* 415 */
    API_P_INTERNAL,         /* 500 */
    API_P_UNAVAILABLE,      /* 503 */
    API_P_PRECONDITION_REQUIRED, /* 428 */
    API_P_BAD_HEADER,       /* 400: a malformed request header */
    API_P_KEY_REUSED,       /* 422: an Idempotency-Key used for a different request */
    API_P_KEY_RUNNING,      /* 409: the first request with this Idempotency-Key still runs */
    API_P_UNAUTHORIZED,     /* 401 */
    API_P_FORBIDDEN,        /* 403 */
    API_P_TOO_MANY,         /* 429 */
    API_P_INVALID_VALUE,    /* 422: a well-formed value the field does not take (ReturnValue 5) */
    API_P_NOT_IMPLEMENTED,  /* 501: a transfer coding the server does not know */
    API_P_PRECONDITION_FAILED, /* 412: If-Match names no current version */
};

/* Replaces reply with a problem body for a CIM outcome of method m (ReturnValue,
 * ReturnValueName and Parameter included unless m is API_M_NONE). */
void api_reply_cim(struct api_reply *reply, const struct cim_err *err, enum api_method m);

/* Replaces reply with a transport or request problem; param may be NULL. API_P_BAD_REQUEST
 * and API_P_INVALID_VALUE carry ReturnValue 5 when with_rv is true. */
void api_reply_problem(struct api_reply *reply, enum api_problem p, bool with_rv,
                       const char *param, const char *fmt, ...) RG_PRINTF(5, 6);

/* The compact text of j as a string the caller releases with free(), whatever allocator
 * jansson was given (tests give it cmocka's). NULL on OOM. */
char *api_json_text(const json_t *j);

/* ---- strict JSON input (api_json.c) ---- */

/* Parses the request body as one JSON object with duplicate keys rejected, within limits (NULL:
 * none). Returns a new reference (to req->json when set), or NULL after writing a 400 problem
 * into reply. */
json_t *api_json_body(const struct api_request *req, const struct api_limits *limits,
                      struct api_reply *reply, bool with_rv);

/* Whether v is an integer literal of the body that does not fit in int64 (jansson takes none),
 * which api_json_body keeps, as a mark, only as a property of ReplicationSettingData. If so,
 * *literal is its text: an optional '-' and digits. */
bool api_json_big_int(const json_t *v, const char **literal);

/* The body parsed ahead of its handler, so a change's parse runs on a request thread and not
 * on the single writer: what api_json_body would return, or NULL when the body fails any of
 * its checks (the handler then parses it again and answers the problem). For req->json. */
json_t *api_json_prepare(const struct api_request *req, const struct api_limits *limits);

/* Reads j_members, which must be an array of strings within limits, into *refs (a new array
 * of n strings borrowed from j_members; caller frees the array). Returns 0, or -1 after a 400
 * naming Members or Members[i], or a 422 for a Members[i] holding a NUL (*refs then NULL). */
int api_json_members(const json_t *j_members, const struct api_limits *limits, const char ***refs,
                     size_t *n, struct api_reply *reply);

/* Checks that obj has no member other than the names listed; 400 naming the first stranger
 * (prefix + "." + name when prefix is not NULL). Returns 0, or -1 after replying. */
int api_json_known_fields(const json_t *obj, const char *const *names, size_t n,
                          struct api_reply *reply, bool with_rv);

/* Typed getters. Absent and null leave the default (NULL / -1); a wrong type is a 400 naming
 * the field. Return 0, or -1 after replying. Strings are borrowed from obj. A string holding a
 * NUL (JSON "\u0000"), which a C string would cut short, is a 422 naming the field. */
int api_json_string(const json_t *obj, const char *name, const char **out,
                    struct api_reply *reply, bool with_rv);
/* api_json_string for a value passed on with its length *len, for a taker that refuses a NUL
 * inside it in its own order of checks: a NUL is not refused here. */
int api_json_stringn(const json_t *obj, const char *name, const char **out, size_t *len,
                     struct api_reply *reply, bool with_rv);
int api_json_bool(const json_t *obj, const char *name, int *out, struct api_reply *reply,
                  bool with_rv);

/* ---- query strings and pagination (api_json.c) ---- */

struct api_page {
    int limit;
    long long after_id;
};

/* Reads limit (1..API_MAX_LIMIT, default API_DEFAULT_LIMIT) and cursor, and checks that the
 * query holds nothing but those and the names in extra. Returns 0, or -1 after a 400 naming the
 * bad parameter. */
int api_query_page(const struct api_request *req, const char *const *extra, size_t n_extra,
                   struct api_page *page, struct api_reply *reply);

/* Checks that the query holds only the names listed, each once, no value holding "%00" (kept
 * as written by srv_unescape); 400 naming the first other. Empty segments ("&&") are no
 * parameter. Returns 0, or -1 after replying. */
int api_query_only(const struct api_request *req, const char *const *names, size_t n,
                   struct api_reply *reply);

/* The value of query parameter key, or NULL. */
const char *api_query_get(const struct api_request *req, const char *key);

/* The "next" link for a list: path?limit=N&cursor=ID followed by the request's own values of
 * the query parameters named in keep, percent-encoded. New string or NULL on OOM. */
char *api_next_link(const char *path, int limit, long long cursor, const struct api_request *req,
                    const char *const *keep, size_t n_keep);

/* Parses the {id} path segment (a positive decimal); false when it is not one. */
bool api_path_id(const char *s, int64_t *id);

/* A strong ETag for version generation of object id: "\"<kind><id>.<generation>\"". New string
 * (caller frees), NULL on OOM. */
char *api_etag(char kind, int64_t id, int64_t generation);

/* Whether an If-Match or If-None-Match list (NULL: none) holds "*" or etag, an ETag as this
 * server sends it. Strong comparison, as If-Match asks (a W/ tag never equals), or weak, as
 * If-None-Match does (W/"x" names "x"). Every tag of the list is looked at: a client may send
 * all it holds, older versions first. */
bool api_etag_listed(const char *header, const char *etag, bool weak);

/* A change's If-Match and If-None-Match as cim's precondition on object kind/id (RFC 9110
 * 13.1.1-2): it holds when If-Match, if given, names the object's current ETag (api_etag's
 * text; strong comparison) or is "*", and If-None-Match, if given, names neither (weak
 * comparison; "*" names any existing version). */
struct api_if_match {
    struct cim_cond cond;    /* first: cim is given &cond */
    const char *header;      /* borrowed: the request's If-Match, lines joined, or NULL */
    const char *none_match;  /* borrowed: its If-None-Match, or NULL */
    char kind;
    int64_t id;
};

/* Sets *m up for req's conditions and returns the precondition to give cim: NULL when the
 * request has none and needs none (if_match_required: one that never holds, 428 once cim has
 * found the object). */
const struct cim_cond *api_if_match(struct api_if_match *m, const struct api_request *req,
                                    char kind, int64_t id);

#define API_DEFAULT_LIMIT 100
#define API_MAX_FILTERS 8
#define API_MAX_LIMIT 1000

/* ---- group representations (api_groups.c) ---- */

/* What a group answers: CreateGroup (201 with Location), AddMembers or RemoveMembers (200),
 * both CIM methods whose answer carries ReturnValue 0, or ModifyInstance (PATCH, 200), which
 * is no method and carries none. */
enum api_group_answer { API_GROUP_CREATED, API_GROUP_METHOD, API_GROUP_MODIFIED };

/* Answers with group g: takes g's contents (g is left zeroed for its owner's cim_group_clear),
 * sets the status, the ETag and for a creation Location; the body is made by
 * api_reply_render. */
void api_reply_group(struct api_reply *reply, struct cim_group *g, enum api_group_answer how);

/* ---- JSON text written directly (api_text.c) ---- */

/* Appends s as a JSON string literal, escaped as json_dumps escapes it. */
void api_text_string(struct rg_buf *b, const char *s);
/* Appends the group's ordered members as a JSON array. */
void api_text_members(struct rg_buf *b, const struct cim_group *g);
/* Appends the group's representation (openapi.yaml ReplicationGroup), with a method's
 * ReturnValue 0 and ReturnValueName when with_rv; the same text as json_dumps(JSON_COMPACT) of
 * the same values. */
void api_text_group(struct rg_buf *b, const struct cim_group *g, bool with_rv);

/* ---- ReplicationSettingData in JSON (api_rsd.c) ---- */

/* Converts the ReplicationSettingData parameter (a JSON object of properties, or a MOF
 * embedded-instance string) into rsd, which must be initialised. Returns 0, or -1 after a
 * problem reply (400 for a wrong JSON type, 422 for a value the class does not allow). */
int api_rsd_from_json(const json_t *j, struct cim_rsd *rsd, enum api_method m,
                      struct api_reply *reply);
/* The 400s of api_rsd_from_json alone (not an object or string, an unknown property, a wrong
 * JSON type), so that a request reports them before any 422 of another parameter. */
int api_rsd_check_json(const json_t *j, struct api_reply *reply);

#endif
