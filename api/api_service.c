/* Service-level resources: /capabilities (CIM_ReplicationServiceCapabilities and the answers of
 * its Get* methods, CIM-NOTES §4), /livez and /openapi.yaml. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GetSupportedGroupFeatures values that follow from the configuration (CIM-NOTES §4.2). */
static json_t *group_features(const struct cim_caps *caps)
{
    json_t *j = json_array();

    if (j && caps->empty_groups && json_array_append_new(j, json_integer(5)))
        goto fail;
    if (j && caps->composite_groups && json_array_append_new(j, json_integer(7)))
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

void api_readyz(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct cim_err err;

    (void)req;
    cim_err_clear(&err);
    if (cim_service_ping(ctx->svc, &err) != CIM_RV_SUCCESS) {
        api_reply_problem(reply, API_P_UNAVAILABLE, false, NULL, "the database is not usable: %s",
                          err.detail);
        return;
    }
    api_reply_clear(reply);
    reply->status = 200;
    reply->body = json_pack("{s:s}", "status", "ready");
    if (!reply->body)
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
}

/* The store's part of /metrics in Prometheus text format. New string or NULL on OOM. */
static char *store_metrics(const struct cim_stats *st)
{
    size_t cap = 2048, at;
    char *buf = malloc(cap);
    uint64_t below = 0;

    if (!buf)
        return NULL;
    at = (size_t)snprintf(buf, cap,
                          "# HELP replgw_groups Replication groups in the store.\n"
                          "# TYPE replgw_groups gauge\nreplgw_groups %lld\n"
                          "# HELP replgw_members Group memberships in the store.\n"
                          "# TYPE replgw_members gauge\nreplgw_members %lld\n"
                          "# HELP replgw_db_transaction_duration_seconds Write transactions, "
                          "BEGIN to end of COMMIT.\n"
                          "# TYPE replgw_db_transaction_duration_seconds histogram\n",
                          (long long)st->groups, (long long)st->members);
    for (int i = 0; i < CIM_STATS_BUCKETS && at < cap; i++) {
        below = st->txn_buckets[i];
        at += (size_t)snprintf(buf + at, cap - at,
                               "replgw_db_transaction_duration_seconds_bucket{le=\"%g\"} %llu\n",
                               st->txn_bounds[i], (unsigned long long)below);
    }
    if (at < cap)
        at += (size_t)snprintf(buf + at, cap - at,
                               "replgw_db_transaction_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                               "replgw_db_transaction_duration_seconds_sum %.6f\n"
                               "replgw_db_transaction_duration_seconds_count %llu\n",
                               (unsigned long long)st->txn_count, st->txn_seconds,
                               (unsigned long long)st->txn_count);
    if (at >= cap) {
        free(buf);
        return NULL;
    }
    return buf;
}

void api_metrics(struct api_ctx *ctx, const struct api_request *req, struct api_reply *reply)
{
    struct cim_stats st;
    struct cim_err err;
    char *http = NULL, *store = NULL;

    (void)req;
    cim_err_clear(&err);
    if (cim_service_stats(ctx->svc, &st, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, API_M_NONE);
        return;
    }
    /* Changes are committed by the writer: its transactions are the ones to report. */
    if (ctx->writer_svc)
        cim_service_txn_stats(ctx->writer_svc, &st);
    http = ctx->http_metrics ? ctx->http_metrics(ctx->http_metrics_cls) : rg_strdup("");
    store = store_metrics(&st);
    api_reply_clear(reply);
    reply->text = http && store ? rg_asprintf("%s%s", http, store) : NULL;
    free(http);
    free(store);
    if (!reply->text) {
        api_reply_problem(reply, API_P_INTERNAL, false, NULL, "out of memory");
        return;
    }
    reply->status = 200;
    reply->content_type = "text/plain; version=0.0.4";
    reply->text_len = strlen(reply->text);
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

bool api_batch_begin(struct api_ctx *ctx, unsigned waited_ms)
{
    struct cim_err err;

    cim_err_clear(&err);
    return cim_service_batch_begin(ctx->svc, waited_ms, &err) == CIM_RV_SUCCESS;
}

bool api_batch_end(struct api_ctx *ctx, bool commit, struct cim_err *err)
{
    cim_err_clear(err);
    return cim_service_batch_end(ctx->svc, commit, err) == CIM_RV_SUCCESS;
}
