/* Idempotency-Key on POST: a retry with the same key and the same request gets the first
 * response again (status, body, Location, ETag), a key reused for a different request is 422,
 * and a key whose first request has not finished is 409. Responses of 5xx are not kept, so
 * retrying after a server-side failure runs the request again, nor are 412s. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 255
#define PROBLEM_JSON "application/problem+json"

static uint64_t fnv1a(uint64_t h, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return h;
}

/* FNV-1a (64 bit) of the method, the path and the body: tells a retry from a different request.
 * A body that parsed is hashed in one canonical form (compact, keys sorted), so a retry that
 * spaces or orders the same JSON otherwise is still the same request; one that did not parse
 * is hashed as its bytes. It is a fingerprint, not a security boundary: keys belong to the
 * clients that chose them. */
bool api_idempotency_fingerprint(const struct api_request *req, char out[API_FINGERPRINT_LEN])
{
    uint64_t h = 0xcbf29ce484222325ull;
    char *canon = req->json ? json_dumps(req->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    if (req->json && !canon)
        return false;
    h = fnv1a(h, req->method, strlen(req->method));
    h = fnv1a(h, "\n", 1);
    h = fnv1a(h, req->path, strlen(req->path));
    h = fnv1a(h, "\n", 1);
    h = canon ? fnv1a(h, canon, strlen(canon)) : fnv1a(h, req->body, req->body_len);
    free(canon);
    snprintf(out, API_FINGERPRINT_LEN, "%016llx", (unsigned long long)h);
    return true;
}

bool api_idempotency_key_valid(const char *key)
{
    size_t len = strlen(key);

    if (len == 0 || len > KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x21 || key[i] > 0x7E)
            return false;
    return true;
}

void api_reply_key_running(struct api_reply *reply)
{
    api_reply_problem(reply, API_P_KEY_RUNNING, false, "Idempotency-Key",
                      "the first request with this Idempotency-Key has not finished");
}

/* Answers with the stored response; its strings move into reply. */
static void replay(struct cim_response *stored, struct api_reply *reply)
{
    api_reply_clear(reply);
    reply->status = (unsigned)stored->status;
    reply->content_type = stored->content_type && strcmp(stored->content_type, PROBLEM_JSON) == 0
                              ? PROBLEM_JSON
                              : NULL;
    reply->text = stored->body;
    reply->text_len = stored->body ? strlen(stored->body) : 0;
    reply->location = stored->location;
    reply->etag = stored->etag;
    reply->replayed = true;
    stored->body = stored->location = stored->etag = NULL;
}

/* Stores reply (rendered first) as the key's response, or forgets the key for a 5xx, a 412 or
 * a 428: they judged the request's If-Match, which the fingerprint leaves out, so the retry
 * with a fresh tag must run. */
static void remember(struct api_ctx *ctx, const char *key, struct api_reply *reply)
{
    struct cim_response resp = {0};
    struct cim_err err;
    bool ok = true;

    cim_err_clear(&err);
    if (reply->status >= 500 || reply->status == 412 || reply->status == 428) {
        cim_idem_finish(ctx->svc, key, NULL, &err);
        return;
    }
    resp.status = (int)reply->status;
    api_reply_render(reply); /* what is stored must be what is sent */
    if (reply->body)
        ok = (resp.body = api_json_text(reply->body)) != NULL;
    else if (reply->text)
        ok = (resp.body = rg_strndup(reply->text, reply->text_len)) != NULL;
    /* resp only lends its strings to cim_idem_finish; content_type is never freed. */
    resp.content_type = (char *)(reply->content_type ? reply->content_type : "application/json");
    resp.location = reply->location;
    resp.etag = reply->etag;
    if (!ok || cim_idem_finish(ctx->svc, key, &resp, &err) != CIM_RV_SUCCESS) {
        /* Not stored: free the key so that a retry runs instead of waiting on it forever. */
        rg_log(RG_LOG_WARN, "api: could not store the response for an Idempotency-Key: %s",
               err.detail);
        cim_err_clear(&err);
        cim_idem_finish(ctx->svc, key, NULL, &err);
    }
    free(resp.body);
}

void api_idempotent(struct api_ctx *ctx, api_handler h, enum api_method m,
                    const struct api_request *req, const char *key, const char *fp,
                    struct api_reply *reply)
{
    struct cim_response stored;
    enum cim_idem_state state;
    struct cim_err err;
    char scoped[64 + 1 + KEY_MAX + 1];

    cim_err_clear(&err);
    if (!api_idempotency_key_valid(key)) {
        api_reply_problem(reply, API_P_BAD_HEADER, false, "Idempotency-Key",
                          "Idempotency-Key must be 1 to %d visible ASCII characters", KEY_MAX);
        return;
    }
    /* Keys belong to the clients that chose them: two tokens' same key are two keys, so one
     * client is never answered with another's response. A space cannot be in a key, so no
     * key of a server without tokens reads as a scoped one. */
    if (req->client) {
        snprintf(scoped, sizeof(scoped), "%.64s %s", req->client, key);
        key = scoped;
    }
    if (cim_idem_begin(ctx->svc, key, fp, &state, &stored, &err) != CIM_RV_SUCCESS) {
        api_reply_cim(reply, &err, m);
        return;
    }
    switch (state) {
    case CIM_IDEM_REPLAY:
        replay(&stored, reply);
        break;
    case CIM_IDEM_MISMATCH:
        api_reply_problem(reply, API_P_KEY_REUSED, false, "Idempotency-Key",
                          "this Idempotency-Key was used for a different request");
        break;
    case CIM_IDEM_RUNNING:
        api_reply_key_running(reply);
        break;
    case CIM_IDEM_NEW:
        h(ctx, req, reply);
        remember(ctx, key, reply);
        break;
    }
    cim_response_clear(&stored);
}
