/* Service-level resources: /capabilities (CIM_ReplicationServiceCapabilities and the answers of
 * its Get* methods, CIM-NOTES §4), /livez and /openapi.yaml. */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

/* GetSupportedGroupFeatures values that follow from the configuration (CIM-NOTES §4.2). */
static json_t *group_features(const struct cim_caps *caps)
{
    json_t *j = json_array();

    if (j && caps->empty_groups && json_array_append_new(j, json_integer(5)))
        goto fail;
    if (j && caps->temporary_groups && json_array_append_new(j, json_integer(13)))
        goto fail;
    if (j && caps->nameable && json_array_append_new(j, json_integer(14)))
        goto fail;
    if (j && caps->multiple_membership && json_array_append_new(j, json_integer(23)))
        goto fail;
    return j;
fail:
    json_decref(j);
    return NULL;
}

static json_t *access_points(const struct cim_service *svc)
{
    json_t *j = json_array();

    for (size_t i = 0; j && i < svc->caps.n_access_points; i++) {
        char *path = cim_service_access_point_path(svc, svc->caps.access_points[i]);

        if (json_array_append_new(j, path ? json_string(path) : NULL)) {
            json_decref(j);
            j = NULL;
        }
        free(path);
    }
    return j;
}

void api_capabilities(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    const struct cim_caps *caps = &ctx->svc->caps;

    (void)req;
    api_reply_clear(reply);
    reply->status = 200;
    /* SupportedSynchronousActions: 12 CreateGroup, 13 DeleteGroup, 14 AddMembers, 15
     * RemoveMembers. SupportedStorageObjects: 2 StorageVolume, 3 LogicalDisk.
     * SupportedFeatures: 2 Replication groups. */
    reply->body = json_pack(
        "{s:s, s:s, s:[i,i,i,i], s:[], s:[i,i], s:[i], s:o, s:i, s:{s:I, s:I}, s:s, s:s, s:s, s:o, "
        "s:b, s:b, s:b, s:b, s:I, s:I}",
        "InstanceID", CIM_INSTANCE_ORG ":ReplicationServiceCapabilities", "ElementName",
        "replgw replication service capabilities", "SupportedSynchronousActions", 12, 13, 14, 15,
        "SupportedAsynchronousActions", "SupportedStorageObjects", 2, 3, "SupportedFeatures", 2,
        "SupportedGroupFeatures", group_features(caps), "DefaultGroupPersistency",
        (int)caps->default_persistency, "SupportedMaximum", "NumberOfGroups",
        (json_int_t)caps->max_groups, "ElementsPerGroup", (json_int_t)caps->max_members,
        "SystemName", caps->system_name, "Namespace", caps->ns, "HostingSystem",
        ctx->svc->system_path, "ServiceAccessPoints", access_points(ctx->svc), "GroupsNameable",
        caps->nameable, "EmptyGroupsAllowed", caps->empty_groups, "TemporaryGroupsAllowed",
        caps->temporary_groups, "MultipleMembership", caps->multiple_membership,
        "MaxMembersPerGroup", (json_int_t)caps->max_members, "MaxGroups",
        (json_int_t)caps->max_groups);
    if (!reply->body)
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
}

void api_livez(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    (void)ctx;
    (void)req;
    api_reply_clear(reply);
    reply->status = 200;
    reply->body = json_pack("{s:s}", "status", "ok");
    if (!reply->body)
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
}

void api_openapi(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    (void)req;
    api_reply_clear(reply);
    reply->status = 200;
    reply->content_type = "application/yaml";
    reply->text = malloc(ctx->openapi_len ? ctx->openapi_len : 1);
    if (!reply->text) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    memcpy(reply->text, ctx->openapi, ctx->openapi_len);
    reply->text_len = ctx->openapi_len;
}
