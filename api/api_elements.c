/* /logical-elements: the inventory of CIM_LogicalElements (volumes) that may become group
 * members. Registration is an intrinsic CreateInstance, not a CIM method, so its problems carry
 * no ReturnValue. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>

#define ELEMENTS_PATH "/logical-elements"

static const char *const element_fields[] = {"DeviceID", "CreationClassName",
                                             "SystemCreationClassName", "SystemName",
                                             "ElementName"};

static json_t *memberships_to_json(const struct cim_element *e)
{
    json_t *j = json_array();

    for (size_t i = 0; j && i < e->n_groups; i++) {
        char id[24];

        snprintf(id, sizeof(id), "%lld", (long long)e->groups[i].group_id);
        if (json_array_append_new(j, json_pack("{s:s, s:s, s:I}", "id", id, "ReplicationGroup",
                                               e->groups[i].group_path, "AssignedSequence",
                                               (json_int_t)e->groups[i].seq))) {
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

/* The rest of the element's groups: the group list filtered by the element, from the group
 * after the last one listed. NULL when Groups lists them all, and when out of memory (the
 * caller tells the two apart by e->more_groups). Caller frees. */
static char *more_groups_link(const struct cim_element *e)
{
    if (!e->more_groups)
        return NULL;
    return rg_asprintf("/replication-groups?limit=%d&cursor=%lld"
                       "&Member=%%2Flogical-elements%%2F%lld",
                       CIM_ELEMENT_GROUPS, (long long)e->groups[e->n_groups - 1].group_id,
                       (long long)e->id);
}

static json_t *element_to_json(const struct cim_element *e)
{
    char id[24], *more = more_groups_link(e);
    json_t *j = NULL;

    snprintf(id, sizeof(id), "%lld", (long long)e->id);
    if (!e->more_groups || more)
        j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:o, s:s?}", "id", id,
                      "ObjectPath", e->path, "CreationClassName", e->class_name, "DeviceID",
                      e->device_id, "SystemCreationClassName", e->sys_class, "SystemName",
                      e->sys_name, "ElementName", e->element_name, "Generation",
                      (json_int_t)e->generation, "Groups", memberships_to_json(e),
                      "GroupsNext", more);
    free(more);
    return j;
}

static void reply_element(struct api_reply *reply, const struct cim_element *e, bool created)
{
    api_reply_clear(reply);
    reply->status = created ? 201 : 200;
    reply->body = element_to_json(e);
    reply->etag = api_etag('e', e->id, e->generation);
    if (created)
        reply->location = rg_asprintf(ELEMENTS_PATH "/%lld", (long long)e->id);
    if (!reply->body || !reply->etag || (created && !reply->location))
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
}

void api_elements_create(struct api_ctx *ctx, const struct api_request *req,
                         struct api_reply *reply)
{
    struct cim_element_req ereq = {0};
    struct cim_element element = {0};
    struct cim_err err;
    json_t *j_req;

    cim_err_clear(&err);
    j_req = api_json_body(req, &ctx->limits, reply, false);
    if (!j_req)
        return;
    if (api_json_known_fields(j_req, element_fields, RG_ARRAY_LEN(element_fields), reply,
                              false) ||
        api_json_string(j_req, "DeviceID", &ereq.device_id, reply, false) ||
        api_json_string(j_req, "CreationClassName", &ereq.class_name, reply, false) ||
        api_json_string(j_req, "SystemCreationClassName", &ereq.sys_class, reply, false) ||
        api_json_string(j_req, "SystemName", &ereq.sys_name, reply, false) ||
        api_json_string(j_req, "ElementName", &ereq.element_name, reply, false))
        goto out;
    if (cim_element_create(ctx->svc, &ereq, &element, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        goto out;
    }
    reply_element(reply, &element, true);
out:
    cim_element_clear(&element);
    json_decref(j_req);
}

void api_elements_get(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct cim_element element;
    struct cim_err err;
    int64_t id;

    cim_err_clear(&err);
    if (!api_path_id(req->id, &id)) {
        api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no logical element with id %s",
                          req->id);
        return;
    }
    if (cim_element_get(ctx->svc, id, &element, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    reply_element(reply, &element, false);
    cim_element_clear(&element);
}

void api_elements_delete(struct api_ctx *ctx, const struct api_request *req,
                         struct api_reply *reply)
{
    struct api_if_match if_match;
    struct cim_err err;
    int64_t id;

    cim_err_clear(&err);
    if (!api_path_id(req->id, &id)) {
        api_reply_problem(reply, API_P_NOT_FOUND, false, NULL, "no logical element with id %s",
                          req->id);
        return;
    }
    if (cim_element_delete(ctx->svc, id, api_if_match(&if_match, req, 'e', id), &err) !=
        CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    api_reply_clear(reply);
    reply->status = 204;
}

void api_elements_list(struct api_ctx *ctx, const struct api_request *req,
                       struct api_reply *reply)
{
    struct cim_element *elements = NULL;
    struct cim_err err;
    struct api_page page;
    size_t n = 0, shown;
    int64_t total = 0;
    json_t *j_items;
    char *next = NULL;

    cim_err_clear(&err);
    if (api_query_page(req, NULL, 0, &page, reply) != 0)
        return;
    if (cim_element_list(ctx->svc, page.after_id, page.limit + 1, &elements, &n, &total, &err) !=
        CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    shown = n > (size_t)page.limit ? (size_t)page.limit : n;
    j_items = json_array();
    for (size_t i = 0; j_items && i < shown; i++)
        if (json_array_append_new(j_items, element_to_json(&elements[i])))
            json_decref(j_items), j_items = NULL;
    if (n > shown)
        next = api_next_link(ELEMENTS_PATH, page.limit, (long long)elements[shown - 1].id, req,
                             NULL, 0);
    api_reply_clear(reply);
    reply->status = 200;
    reply->body = j_items ? json_pack("{s:o, s:I, s:s?}", "items", j_items, "count",
                                      (json_int_t)total, "next", next)
                          : NULL;
    if (!reply->body || (n > shown && !next))
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
    free(next);
    for (size_t i = 0; i < n; i++)
        cim_element_clear(&elements[i]);
    free(elements);
}
