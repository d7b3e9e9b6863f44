/* Fuzz target: a CreateGroup request body through JSON parsing, validation and the CIM rules,
 * against an in-memory database holding two volumes. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "db/db.h"
#include "fuzz/fuzz.h"

static struct api_ctx *context(void)
{
    static struct db *db;
    static struct cim_service svc;
    static struct api_ctx ctx;
    static const struct db_options opts = {.busy_timeout_ms = 10};
    struct cim_caps caps = {.system_name = "tgt01", .ns = CIM_DEFAULT_NAMESPACE, .nameable = true,
                            .empty_groups = true, .temporary_groups = true, .max_members = 16,
                            .default_persistency = CIM_PERSISTENCY_PERSISTENT};
    char why[256];

    if (db)
        return &ctx;
    if (db_open(":memory:", &opts, &db, why, sizeof(why)) != DB_OK ||
        cim_service_init(&svc, db, &caps, why, sizeof(why)) != 0)
        abort();
    for (int i = 0; i < 2; i++) {
        struct cim_element_req req = {.device_id = i ? "vol2" : "vol1"};
        struct cim_element e;
        struct cim_err err;

        cim_err_clear(&err);
        if (cim_element_create(&svc, &req, &e, &err) != CIM_RV_SUCCESS)
            abort();
        cim_element_clear(&e);
    }
    ctx.svc = &svc;
    ctx.limits = (struct api_limits){.max_depth = 16, .max_string = 4096, .max_members = 64};
    return &ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_request req = {.method = "POST", .path = "/replication-groups",
                              .body = (const char *)data, .body_len = size};
    struct api_reply reply = {0};

    api_groups_create(context(), &req, &reply);
    /* Every answer is a success or a problem with a status. */
    if (reply.status != 201 && (reply.status < 400 || !reply.body))
        abort();
    api_reply_clear(&reply);
    return 0;
}
