/* /replication-groups: CreateGroup (POST), enumeration (GET) and GetInstance with the ordered
 * members (GET /{id}). Converts between JSON and cim_create_req / cim_group; the rules
 * themselves are cim_group's. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUPS_PATH "/replication-groups"

static const char *const create_fields[] = {
    "GroupName",           "Members",          "Persistent",
    "DeleteOnEmptyElement", "DeleteOnUnassociated", "ServiceAccessPoint",
    "ReplicationSettingData",
};

void api_reply_group(struct api_reply *reply, struct cim_group *g, enum api_group_answer how)
{
    bool created = how == API_GROUP_CREATED;

    api_reply_clear(reply);
    reply->status = created ? 201 : 200;
    reply->etag = api_etag('g', g->id, g->generation);
    reply->location = created ? rg_asprintf(GROUPS_PATH "/%lld", (long long)g->id) : NULL;
    reply->group = calloc(1, sizeof(*reply->group));
    if (!reply->etag || (created && !reply->location) || !reply->group) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    *reply->group = *g;
    reply->group_rv = how != API_GROUP_MODIFIED;
    memset(g, 0, sizeof(*g));
}

void api_reply_render(struct api_reply *reply)
{
    struct cim_group *g = reply->group;
    struct rg_buf b = {0};

    if (!g)
        return;
    reply->group = NULL;
    api_text_group(&b, g, reply->group_rv);
    cim_group_clear(g);
    free(g);
    if (b.failed) {
        free(b.p);
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    reply->text = b.p;
    reply->text_len = b.len;
}

/* Reads Members: absent or null = not given; otherwise an array of strings. */
static int read_members(const struct api_limits *limits, const json_t *j_req,
                        struct cim_create_req *creq, const char ***refs, struct api_reply *reply)
{
    const json_t *j_members = json_object_get(j_req, "Members");

    *refs = NULL;
    if (!j_members || json_is_null(j_members))
        return 0;
    if (api_json_members(j_members, limits, refs, &creq->n_members, reply) != 0)
        return -1;
    creq->members = *refs;
    creq->members_given = true;
    return 0;
}

void api_groups_create(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct cim_create_req creq = {.persistent = -1, .delete_on_empty = -1,
                                  .delete_on_unassoc = -1};
    struct cim_rsd rsd = {0};
    struct cim_group group = {0};
    struct cim_err err;
    const char **refs = NULL;
    const json_t *j_rsd;
    json_t *j_req = NULL;

    cim_err_clear(&err);
    j_req = api_json_body(req, &ctx->limits, reply, true);
    if (!j_req)
        goto out;
    if (api_json_known_fields(j_req, create_fields, RG_ARRAY_LEN(create_fields), reply, true) ||
        /* With its length: cim_group refuses a NUL in the name, after the not-nameable rule. */
        api_json_stringn(j_req, "GroupName", &creq.group_name, &creq.group_name_len, reply,
                         true) ||
        api_json_bool(j_req, "Persistent", &creq.persistent, reply, true) ||
        api_json_bool(j_req, "DeleteOnEmptyElement", &creq.delete_on_empty, reply, true) ||
        api_json_bool(j_req, "DeleteOnUnassociated", &creq.delete_on_unassoc, reply, true) ||
        api_json_string(j_req, "ServiceAccessPoint", &creq.service_access_point, reply, true))
        goto out;
    /* Every 400 (a wrong type anywhere) before any 422 (a value refused), whatever the order
     * of the fields: the setting data's types are checked before the members are read. */
    j_rsd = json_object_get(j_req, "ReplicationSettingData");
    if (j_rsd && !json_is_null(j_rsd) && api_rsd_check_json(j_rsd, reply) != 0)
        goto out;
    if (read_members(&ctx->limits, j_req, &creq, &refs, reply))
        goto out;
    if (j_rsd && !json_is_null(j_rsd)) {
        if (cim_rsd_init(&rsd) != 0) {
            api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
            goto out;
        }
        if (api_rsd_from_json(j_rsd, &rsd, API_M_CREATE_GROUP, reply) != 0)
            goto out;
        creq.rsd = &rsd;
    }
    if (cim_group_create(ctx->svc, &creq, &group, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_CREATE_GROUP);
        goto out;
    }
    api_reply_group(reply, &group, API_GROUP_CREATED);
out:
    cim_group_clear(&group);
    cim_rsd_free(&rsd);
    free(refs);
    json_decref(j_req);
}

int api_cache_init(struct api_ctx *ctx, size_t slots)
{
    ctx->cache = slots ? calloc(slots, sizeof(*ctx->cache)) : NULL;
    ctx->cache_slots = ctx->cache ? slots : 0;
    return slots && !ctx->cache ? -1 : 0;
}

void api_cache_free(struct api_ctx *ctx)
{
    for (size_t i = 0; ctx->cache && i < ctx->cache_slots; i++)
        free(ctx->cache[i].text);
    free(ctx->cache);
    ctx->cache = NULL;
    ctx->cache_slots = 0;
}

/* The cached text of version generation of group id, or NULL. */
static const struct api_cache_entry *cached(const struct api_ctx *ctx, int64_t id,
                                            int64_t generation)
{
    const struct api_cache_entry *e;

    if (!ctx->cache)
        return NULL;
    e = &ctx->cache[(uint64_t)id % ctx->cache_slots];
    return e->id == id && e->generation == generation && e->text ? e : NULL;
}

/* Keeps a copy of a group's serialized representation (a failure only costs a later miss). */
static void remember(struct api_ctx *ctx, int64_t id, int64_t generation, const char *text,
                     size_t len)
{
    struct api_cache_entry *e;
    char *copy;

    if (!ctx->cache || len > API_CACHE_MAX_ENTRY || !(copy = rg_strndup(text, len)))
        return;
    e = &ctx->cache[(uint64_t)id % ctx->cache_slots];
    free(e->text);
    *e = (struct api_cache_entry){id, generation, copy, len};
}

/* Appends the representation of group id to out: the cached text when version generation is
 * cached, else the group as read now, rendered and cached. *generation is set to the version
 * appended. A hit and a miss give byte for byte the same text. */
static enum cim_rv append_group(struct api_ctx *ctx, int64_t id, int64_t *generation,
                                struct rg_buf *out, struct cim_err *err)
{
    const struct api_cache_entry *e = cached(ctx, id, *generation);
    struct cim_group group;
    size_t start = out->len;

    if (e) {
        rg_buf_add(out, e->text, e->len);
        return CIM_RV_SUCCESS;
    }
    if (cim_group_get(ctx->svc, id, &group, err) != CIM_RV_SUCCESS)
        return err->rv;
    *generation = group.generation;
    api_text_group(out, &group, false);
    cim_group_clear(&group);
    if (out->failed)
        return cim_err_set(err, CIM_RV_FAILED, NULL, "out of memory");
    remember(ctx, id, *generation, out->p + start, out->len - start);
    return CIM_RV_SUCCESS;
}

void api_groups_get(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct rg_buf b = {0};
    struct cim_err err;
    int64_t id, generation;

    cim_err_clear(&err);
    if (!api_path_id(req->id, &id)) {
        api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no replication group with id %s",
                          req->id);
        return;
    }
    /* One primary-key lookup tells whether the cached text is still the group. */
    if (cim_group_generation(ctx->svc, id, &generation, &err) != CIM_RV_SUCCESS ||
        append_group(ctx, id, &generation, &b, &err) != CIM_RV_SUCCESS) {
        free(b.p);
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    api_reply_text(reply, &b);
    if (reply->status == 200 && !(reply->etag = api_etag('g', id, generation)))
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
}

/* The page's items, read in one snapshot so that the page and its groups agree: each from the
 * cache when its Generation is cached. */
static enum cim_rv append_items(struct api_ctx *ctx, const struct cim_group_ref *refs,
                                size_t shown, struct rg_buf *b, struct cim_err *err)
{
    enum cim_rv rv = CIM_RV_SUCCESS;

    rg_buf_add(b, "{\"items\":[", 10);
    for (size_t i = 0; rv == CIM_RV_SUCCESS && i < shown; i++) {
        int64_t generation = refs[i].generation;

        if (i > 0)
            rg_buf_add(b, ",", 1);
        rv = append_group(ctx, refs[i].id, &generation, b, err);
    }
    rg_buf_add(b, "]", 1);
    return rv;
}

void api_groups_list(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    static const char *const filters[] = {"ElementName", "ElementNamePrefix", "Persistent",
                                          "Member"};
    struct cim_group_filter f = {.persistent = -1};
    struct cim_group_ref *refs = NULL;
    struct rg_buf b = {0};
    struct cim_err err;
    struct api_page page;
    const char *persistent;
    size_t n = 0, shown = 0;
    int64_t total = 0;
    enum cim_rv rv;
    json_t *j_rest = NULL;
    char *next = NULL, *rest = NULL;

    cim_err_clear(&err);
    if (api_query_page(req, filters, RG_ARRAY_LEN(filters), &page, reply) != 0)
        return;
    f.name = api_query_get(req, "ElementName");
    f.prefix = api_query_get(req, "ElementNamePrefix");
    f.member_ref = api_query_get(req, "Member");
    persistent = api_query_get(req, "Persistent");
    if (persistent) {
        if (strcmp(persistent, "true") != 0 && strcmp(persistent, "false") != 0) {
            api_reply_problem(reply, API_P_BAD_QUERY, false, "Persistent",
                              "Persistent must be true or false");
            return;
        }
        f.persistent = strcmp(persistent, "true") == 0;
    }
    if (cim_service_snapshot_begin(ctx->svc, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    /* One row more than the page tells whether a next page exists. */
    rv = cim_group_page(ctx->svc, page.after_id, page.limit + 1, &f, &refs, &n, &total, &err);
    if (rv == CIM_RV_SUCCESS) {
        shown = n > (size_t)page.limit ? (size_t)page.limit : n;
        rv = append_items(ctx, refs, shown, &b, &err);
    }
    cim_service_snapshot_end(ctx->svc);
    if (rv != CIM_RV_SUCCESS) {
        free(refs);
        free(b.p);
        /* A Member filter that does not resolve is a bad query parameter (reading the page's
         * groups never gives 5). */
        if (err.rv == CIM_RV_INVALID_PARAMETER)
            api_reply_problem(reply, API_P_BAD_QUERY, false, "Member", "%s", err.detail);
        else
            api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    if (n > shown)
        next = api_next_link(GROUPS_PATH, page.limit, (long long)refs[shown - 1].id, req,
                             filters, RG_ARRAY_LEN(filters));
    /* The rest of the envelope through jansson, which escapes the next link. */
    j_rest = json_pack("{s:I, s:s?}", "count", (json_int_t)total, "next", next);
    rest = j_rest ? api_json_text(j_rest) : NULL;
    if (!rest || (n > shown && !next)) {
        b.failed = true;
    } else {
        rg_buf_add(&b, ",", 1);
        rg_buf_add(&b, rest + 1, strlen(rest + 1));
    }
    api_reply_text(reply, &b);
    json_decref(j_rest);
    free(rest);
    free(next);
    free(refs);
}
