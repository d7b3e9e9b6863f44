/* Idempotent retries: a POST that carries an Idempotency-Key claims the key with a fingerprint
 * of its request; the response it gets is stored, and a retry with the same key is answered
 * from the store, also after a restart. Which requests take part and how a response is
 * represented is the api layer's business. */
#include "cim/cim.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "db/db.h"

struct begin_ctx {
    struct cim_service *svc;
    const char *key;
    const char *fingerprint;
    enum cim_idem_state state;
    struct db_idem found;
    struct cim_err *err;
};

static double wall_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void cim_response_clear(struct cim_response *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->content_type);
    free(r->location);
    free(r->etag);
    memset(r, 0, sizeof(*r));
}

static int begin_txn(struct db *db, void *cls)
{
    struct begin_ctx *c = cls;
    double now = wall_now();
    int rc = db_idem_purge(db, now - c->svc->caps.idempotency_ttl);

    if (rc == DB_OK)
        rc = db_idem_get(db, c->key, &c->found);
    if (rc == DB_OK) {
        /* Still marked running: by this process, it really is (whatever the new request); by
         * an earlier one, that process died before answering, so the request may run again. */
        if (c->found.status == 0 && c->found.created >= c->svc->started) {
            c->state = CIM_IDEM_RUNNING;
            return 0;
        }
        if (c->found.status != 0) {
            c->state = strcmp(c->found.fingerprint, c->fingerprint) == 0 ? CIM_IDEM_REPLAY
                                                                        : CIM_IDEM_MISMATCH;
            return 0;
        }
        db_idem_clear(&c->found);
        rc = DB_NOTFOUND;
    }
    if (rc != DB_NOTFOUND)
        return cim_rv_from_db(rc, c->err, "read idempotency key");
    c->state = CIM_IDEM_NEW;
    rc = db_idem_claim(db, c->key, c->fingerprint, now);
    return rc == DB_OK ? 0 : cim_rv_from_db(rc, c->err, "claim idempotency key");
}

enum cim_rv cim_idem_begin(struct cim_service *svc, const char *key, const char *fingerprint,
                           enum cim_idem_state *state, struct cim_response *stored,
                           struct cim_err *err)
{
    struct begin_ctx c = {.svc = svc, .key = key, .fingerprint = fingerprint, .err = err};
    int rc = db_txn_run(svc->db, begin_txn, &c);

    memset(stored, 0, sizeof(*stored));
    if (rc != DB_OK) {
        db_idem_clear(&c.found);
        return rc == DB_ABORT ? err->rv : cim_rv_from_db(rc, err, "idempotency key");
    }
    *state = c.state;
    if (c.state == CIM_IDEM_REPLAY) {
        /* The strings move from the row to the response. */
        stored->status = c.found.status;
        stored->body = c.found.body;
        stored->content_type = c.found.content_type;
        stored->location = c.found.location;
        stored->etag = c.found.etag;
        c.found.body = c.found.content_type = c.found.location = c.found.etag = NULL;
    }
    db_idem_clear(&c.found);
    return CIM_RV_SUCCESS;
}

enum cim_rv cim_idem_finish(struct cim_service *svc, const char *key,
                            const struct cim_response *resp, struct cim_err *err)
{
    struct db_idem row = {0};
    int rc;

    if (!resp)
        return cim_rv_from_db(db_idem_delete(svc->db, key), err, "forget idempotency key");
    row.status = resp->status;
    row.body = resp->body;
    row.content_type = resp->content_type;
    row.location = resp->location;
    row.etag = resp->etag;
    rc = db_idem_store(svc->db, key, &row);
    return cim_rv_from_db(rc, err, "store idempotent response");
}
