/* The group life cycle over HTTP: PATCH (ModifyInstance), DELETE (DeleteGroup), the member
 * list, add-members (AddMembers) and remove-members (RemoveMembers). Each handler checks the
 * JSON, reads If-Match, and leaves the rules to cim_lifecycle.c. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const patch_fields[] = {"ElementName", "Persistent", "DeleteOnEmptyElement",
                                           "DeleteOnUnassociated"};
/* The representation's other members: named as read-only rather than unknown. */
static const char *const read_only_fields[] = {
    "id",           "InstanceID",       "Generation", "ReplicationGroup", "HostingSystem",
    "Members",      "Description",      "ReplicationSettingData",
};
static const char *const add_fields[] = {"Members", "ServiceAccessPoint",
                                         "ReplicationSettingData"};
static const char *const remove_fields[] = {"Members", "DeleteOnEmptyElement",
                                            "ServiceAccessPoint", "ReplicationSettingData"};

/* Parses {id}; answers 404 and returns false when it is not a group id. */
static bool group_id(const struct api_request *req, int64_t *id, struct api_reply *reply)
{
    if (api_path_id(req->id, id))
        return true;
    api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no replication group with id %s",
                      req->id);
    return false;
}

/* A merge-patch flag: absent keeps (-1), null returns to the default (-2), else the boolean. */
static int patch_flag(const json_t *j_req, const char *name, int *out, struct api_reply *reply)
{
    const json_t *j = json_object_get(j_req, name);

    *out = -1;
    if (!j)
        return 0;
    if (json_is_null(j)) {
        *out = -2;
        return 0;
    }
    return api_json_bool(j_req, name, out, reply, false);
}

/* A body refused for a group that does not exist gets the group's 404 instead (openapi.yaml:
 * an unknown id is checked before the body), as method m tells it. Looked up only then: a
 * change that reaches the cim layer finds a missing group in the transaction that reads it
 * anyway. */
static void unknown_group_first(struct api_ctx *ctx, int64_t id, enum api_method m,
                                struct api_reply *reply)
{
    struct cim_err err;
    int64_t generation;

    if (reply->status != 400 && reply->status != 422)
        return;
    cim_err_clear(&err);
    if (cim_group_generation(ctx->svc, id, &generation, &err) == CIM_RV_NOT_FOUND)
        api_reply_cim(reply, &err, m);
}

void api_groups_modify(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct cim_modify_req mreq = {0};
    struct api_if_match if_match;
    struct cim_group group = {0};
    struct cim_err err;
    const char *key;
    json_t *j_req = NULL, *value;
    int64_t id;

    cim_err_clear(&err);
    if (!group_id(req, &id, reply))
        return;
    if (!(j_req = api_json_body(req, &ctx->limits, reply, false)))
        goto out;
    json_object_foreach(j_req, key, value) {
        for (size_t i = 0; i < RG_ARRAY_LEN(read_only_fields); i++)
            if (strcmp(key, read_only_fields[i]) == 0) {
                api_reply_problem(reply, API_P_BAD_REQUEST, false, key,
                                  "%s is not writable here%s", key,
                                  strcmp(key, "Members") == 0
                                      ? "; use add-members and remove-members"
                                      : "");
                goto out;
            }
    }
    if (api_json_known_fields(j_req, patch_fields, RG_ARRAY_LEN(patch_fields), reply, false) ||
        patch_flag(j_req, "Persistent", &mreq.persistent, reply) ||
        patch_flag(j_req, "DeleteOnEmptyElement", &mreq.delete_on_empty, reply) ||
        patch_flag(j_req, "DeleteOnUnassociated", &mreq.delete_on_unassoc, reply))
        goto out;
    value = json_object_get(j_req, "ElementName");
    /* null, as for the flags, is the default: the name a group created without one gets. */
    mreq.default_name = json_is_null(value);
    if (mreq.default_name)
        value = NULL;
    if (value && !json_is_string(value)) {
        api_reply_problem(reply, API_P_BAD_REQUEST, false, "ElementName",
                          "ElementName must be a string");
        goto out;
    }
    /* With its length: cim_group_modify refuses a NUL in the name as a control character. */
    mreq.element_name = value ? json_string_value(value) : NULL;
    mreq.element_name_len = value ? json_string_length(value) : 0;
    mreq.if_match = api_if_match(&if_match, req, 'g', id);
    if (cim_group_modify(ctx->svc, id, &mreq, &group, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        goto out;
    }
    api_reply_group(reply, &group, API_GROUP_MODIFIED);
out:
    unknown_group_first(ctx, id, API_M_NONE, reply);
    cim_group_clear(&group);
    json_decref(j_req);
}

void api_groups_delete(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    static const char *const params[] = {"RemoveElements"};
    struct api_if_match if_match;
    struct cim_err err;
    const char *remove;
    int64_t id;

    cim_err_clear(&err);
    if (!group_id(req, &id, reply))
        return;
    if (api_query_only(req, params, RG_ARRAY_LEN(params), reply) != 0)
        return;
    remove = api_query_get(req, "RemoveElements");
    if (remove && strcmp(remove, "true") != 0 && strcmp(remove, "false") != 0) {
        api_reply_problem(reply, API_P_BAD_QUERY, false, "RemoveElements",
                          "RemoveElements must be true or false");
        return;
    }
    if (cim_group_delete(ctx->svc, id, remove && strcmp(remove, "true") == 0,
                         api_if_match(&if_match, req, 'g', id), &err) !=
        CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_DELETE_GROUP);
        return;
    }
    api_reply_clear(reply);
    reply->status = 204;
}

void api_groups_members(struct api_ctx *ctx, const struct api_request *req,
                        struct api_reply *reply)
{
    struct cim_group group;
    struct cim_err err;
    struct rg_buf b = {0};
    char count[32];
    int64_t id;

    cim_err_clear(&err);
    if (!group_id(req, &id, reply))
        return;
    if (cim_group_get(ctx->svc, id, &group, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    rg_buf_add(&b, "{\"items\":", 9);
    api_text_members(&b, &group);
    rg_buf_add(&b, count,
               (size_t)snprintf(count, sizeof(count), ",\"count\":%zu}", group.n_members));
    api_reply_text(reply, &b);
    if (reply->status == 200 && !(reply->etag = api_etag('g', group.id, group.generation)))
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
    cim_group_clear(&group);
}

/* Parses an add-members or remove-members body into mreq (strings borrowed from *j_out, which
 * the caller releases, as it does *refs). Returns 0, or -1 after replying. */
static int parse_members_body(struct api_ctx *ctx, const struct api_request *req, bool remove,
                              enum api_method m, json_t **j_out, const char ***refs,
                              struct cim_members_req *mreq, struct api_reply *reply)
{
    const json_t *j_members, *j_rsd;
    struct cim_rsd rsd = {0};
    json_t *j_req;
    size_t n;
    int rc;

    *refs = NULL;
    mreq->delete_on_empty = -1;
    j_req = *j_out = api_json_body(req, &ctx->limits, reply, true);
    if (!j_req)
        return -1;
    if (api_json_known_fields(j_req, remove ? remove_fields : add_fields,
                              remove ? RG_ARRAY_LEN(remove_fields) : RG_ARRAY_LEN(add_fields),
                              reply, true) ||
        api_json_string(j_req, "ServiceAccessPoint", &mreq->service_access_point, reply, true) ||
        (remove && api_json_bool(j_req, "DeleteOnEmptyElement", &mreq->delete_on_empty, reply,
                                 true)))
        return -1;
    /* The setting data is a per-call option bag: checked against the class, not stored. Its
     * wrong types (400) come before the members' refused values (422), as in CreateGroup. */
    j_rsd = json_object_get(j_req, "ReplicationSettingData");
    if (j_rsd && !json_is_null(j_rsd) && api_rsd_check_json(j_rsd, reply) != 0)
        return -1;
    j_members = json_object_get(j_req, "Members");
    if (api_json_members(j_members, &ctx->limits, refs, &n, reply) != 0)
        return -1;
    mreq->members = *refs;
    mreq->n_members = n;
    if (!j_rsd || json_is_null(j_rsd))
        return 0;
    if (cim_rsd_init(&rsd) != 0) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return -1;
    }
    rc = api_rsd_from_json(j_rsd, &rsd, m, reply);
    cim_rsd_free(&rsd);
    return rc;
}

static void change_members(struct api_ctx *ctx, const struct api_request *req,
                           struct api_reply *reply, bool remove)
{
    enum api_method m = remove ? API_M_REMOVE_MEMBERS : API_M_ADD_MEMBERS;
    struct cim_members_req mreq = {0};
    struct api_if_match if_match;
    struct cim_group group = {0};
    struct cim_err err;
    const char **refs = NULL;
    json_t *j_req = NULL;
    bool deleted = false;
    enum cim_rv rv;
    int64_t id;

    cim_err_clear(&err);
    if (!group_id(req, &id, reply))
        return;
    if (parse_members_body(ctx, req, remove, m, &j_req, &refs, &mreq, reply) != 0)
        goto out;
    mreq.if_match = api_if_match(&if_match, req, 'g', id);
    rv = remove ? cim_group_remove_members(ctx->svc, id, &mreq, &group, &deleted, &err)
                : cim_group_add_members(ctx->svc, id, &mreq, &group, &err);
    if (rv != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, m);
        goto out;
    }
    if (deleted) {
        /* CIM RemoveMembers: the group became empty and was deleted with its last member. */
        api_reply_clear(reply);
        reply->status = 204;
        goto out;
    }
    api_reply_group(reply, &group, API_GROUP_METHOD);
out:
    unknown_group_first(ctx, id, m, reply);
    cim_group_clear(&group);
    free(refs);
    json_decref(j_req);
}

void api_groups_add_members(struct api_ctx *ctx, const struct api_request *req,
                            struct api_reply *reply)
{
    change_members(ctx, req, reply, false);
}

void api_groups_remove_members(struct api_ctx *ctx, const struct api_request *req,
                               struct api_reply *reply)
{
    change_members(ctx, req, reply, true);
}
