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

json_t *api_members_to_json(const struct cim_group *g)
{
    json_t *j = json_array();

    for (size_t i = 0; j && i < g->n_members; i++) {
        const struct cim_member *m = &g->members[i];
        char id[24];

        snprintf(id, sizeof(id), "%lld", (long long)m->element_id);
        if (json_array_append_new(j, json_pack("{s:I, s:s, s:s, s:s+}", "AssignedSequence",
                                               (json_int_t)m->seq, "Member", m->path, "id", id,
                                               "href", "/logical-elements/", id))) {
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

/* The group's JSON representation (see openapi.yaml ReplicationGroup). New reference or NULL. */
static json_t *group_to_json(const struct cim_group *g)
{
    char id[24];
    json_t *j;

    snprintf(id, sizeof(id), "%lld", (long long)g->id);
    j = json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b, s:b, s:I, s:s, s:s, s:o?, s:o}", "id", id,
                  "InstanceID", g->instance_id, "ElementName", g->element_name, "Description",
                  g->description, "Persistent", g->persistent, "DeleteOnEmptyElement",
                  g->delete_on_empty, "DeleteOnUnassociated", g->delete_on_unassoc, "Generation",
                  (json_int_t)g->generation, "ReplicationGroup", g->path, "HostingSystem",
                  g->system_path, "Members", api_members_to_json(g), "ReplicationSettingData",
                  g->rsd ? api_rsd_to_json(g->rsd) : json_null());
    return j;
}

void api_reply_group(struct api_reply *reply, struct cim_group *g, bool created)
{
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
    memset(g, 0, sizeof(*g));
}

void api_reply_render(struct api_reply *reply)
{
    struct cim_group *g = reply->group;

    if (!g)
        return;
    reply->group = NULL;
    reply->body = group_to_json(g);
    if (reply->body && reply->status == 201 &&
        (json_object_set_new(reply->body, "ReturnValue", json_integer(CIM_RV_SUCCESS)) ||
         json_object_set_new(reply->body, "ReturnValueName",
                             json_string(cim_rv_name(CIM_RV_SUCCESS)))))
        json_decref(reply->body), reply->body = NULL;
    cim_group_clear(g);
    free(g);
    if (!reply->body)
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
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
        api_json_string(j_req, "GroupName", &creq.group_name, reply, true) ||
        api_json_bool(j_req, "Persistent", &creq.persistent, reply, true) ||
        api_json_bool(j_req, "DeleteOnEmptyElement", &creq.delete_on_empty, reply, true) ||
        api_json_bool(j_req, "DeleteOnUnassociated", &creq.delete_on_unassoc, reply, true) ||
        api_json_string(j_req, "ServiceAccessPoint", &creq.service_access_point, reply, true) ||
        read_members(&ctx->limits, j_req, &creq, &refs, reply))
        goto out;
    j_rsd = json_object_get(j_req, "ReplicationSettingData");
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
    api_reply_group(reply, &group, true);
out:
    cim_group_clear(&group);
    cim_rsd_free(&rsd);
    free(refs);
    json_decref(j_req);
}

int api_cache_init(struct api_ctx *ctx)
{
    ctx->cache = calloc(API_CACHE_SLOTS, sizeof(*ctx->cache));
    return ctx->cache ? 0 : -1;
}

void api_cache_free(struct api_ctx *ctx)
{
    for (size_t i = 0; ctx->cache && i < API_CACHE_SLOTS; i++)
        free(ctx->cache[i].text);
    free(ctx->cache);
    ctx->cache = NULL;
}

/* Answers with the cached text of version generation of group id; false on a miss. */
static bool reply_cached(struct api_ctx *ctx, int64_t id, int64_t generation,
                         struct api_reply *reply)
{
    const struct api_cache_entry *e;

    if (!ctx->cache)
        return false;
    e = &ctx->cache[(uint64_t)id % API_CACHE_SLOTS];
    if (e->id != id || e->generation != generation || !e->text)
        return false;
    api_reply_clear(reply);
    reply->status = 200;
    reply->text = rg_strndup(e->text, e->len);
    reply->text_len = e->len;
    reply->etag = api_etag('g', id, generation);
    if (!reply->text || !reply->etag)
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
    return true;
}

/* Keeps a copy of a group's serialized representation (a failure only costs a later miss). */
static void remember(struct api_ctx *ctx, int64_t id, int64_t generation, const char *text)
{
    struct api_cache_entry *e;
    size_t len = strlen(text);
    char *copy;

    if (!ctx->cache || len > API_CACHE_MAX_ENTRY || !(copy = rg_strndup(text, len)))
        return;
    e = &ctx->cache[(uint64_t)id % API_CACHE_SLOTS];
    free(e->text);
    *e = (struct api_cache_entry){id, generation, copy, len};
}

void api_groups_get(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct cim_group group;
    struct cim_err err;
    int64_t id, generation;
    char *text;

    cim_err_clear(&err);
    if (!api_path_id(req->id, &id)) {
        api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no replication group with id %s",
                          req->id);
        return;
    }
    /* One primary-key lookup tells whether the cached text is still the group. */
    if (cim_group_generation(ctx->svc, id, &generation, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    if (reply_cached(ctx, id, generation, reply))
        return;
    if (cim_group_get(ctx->svc, id, &group, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    id = group.id;
    generation = group.generation;
    api_reply_group(reply, &group, false);
    api_reply_render(reply);
    /* Send the text we keep, so a hit and a miss answer byte for byte the same. */
    if (reply->status == 200 && reply->body && (text = api_json_text(reply->body))) {
        remember(ctx, id, generation, text);
        json_decref(reply->body);
        reply->body = NULL;
        reply->text = text;
        reply->text_len = strlen(text);
    }
    cim_group_clear(&group);
}

void api_groups_list(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    static const char *const filters[] = {"ElementName", "ElementNamePrefix", "Persistent",
                                          "Member"};
    struct cim_group_filter f = {.persistent = -1};
    struct cim_group *groups = NULL;
    struct cim_err err;
    struct api_page page;
    const char *persistent;
    size_t n = 0, shown;
    int64_t total = 0;
    json_t *j_items = NULL;
    char *next = NULL;

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
    /* One row more than the page tells whether a next page exists. */
    if (cim_group_list(ctx->svc, page.after_id, page.limit + 1, &f, &groups, &n, &total, &err) !=
        CIM_RV_SUCCESS) {
        /* A Member filter that does not resolve is a bad query parameter. */
        if (err.rv == CIM_RV_INVALID_PARAMETER)
            api_reply_problem(reply, API_P_BAD_QUERY, false, "Member", "%s", err.detail);
        else
            api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    shown = n > (size_t)page.limit ? (size_t)page.limit : n;
    j_items = json_array();
    for (size_t i = 0; j_items && i < shown; i++)
        if (json_array_append_new(j_items, group_to_json(&groups[i])))
            json_decref(j_items), j_items = NULL;
    if (n > shown)
        next = api_next_link(GROUPS_PATH, page.limit, (long long)groups[shown - 1].id, req,
                             filters, RG_ARRAY_LEN(filters));
    api_reply_clear(reply);
    reply->status = 200;
    reply->body = j_items ? json_pack("{s:o, s:I, s:s?}", "items", j_items, "count",
                                      (json_int_t)total, "next", next)
                          : NULL;
    if (!reply->body || (n > shown && !next))
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
    free(next);
    for (size_t i = 0; i < n; i++)
        cim_group_clear(&groups[i]);
    free(groups);
}
