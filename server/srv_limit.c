/* Request rate per client address: a token bucket per address in a fixed table (the stalest
 * entry makes room for a new address), refilled at `rate` tokens a second up to `burst`. Used
 * only from the MHD thread, so no locking. */
#include "server/srv.h"

#include <string.h>

static uint64_t hash_addr(const unsigned char *addr, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < len; i++)
        h = (h ^ addr[i]) * 0x100000001b3ull;
    return h;
}

double srv_rate_take(struct srv_rate *r, const unsigned char *addr, size_t len, double now)
{
    struct srv_bucket *slot = NULL, *stalest = NULL;
    size_t start;

    if (r->rate == 0 || len > sizeof(slot->addr))
        return 0;
    start = (size_t)(hash_addr(addr, len) % SRV_RATE_SLOTS);
    /* Look a few slots on from the address's home; reuse the stalest of them if it is new. */
    for (size_t i = 0; i < SRV_RATE_PROBES; i++) {
        struct srv_bucket *b = &r->slots[(start + i) % SRV_RATE_SLOTS];

        if (b->len == len && memcmp(b->addr, addr, len) == 0) {
            slot = b;
            break;
        }
        if (!stalest || b->seen < stalest->seen)
            stalest = b;
    }
    if (!slot) {
        slot = stalest;
        memcpy(slot->addr, addr, len);
        slot->len = len;
        slot->tokens = r->burst;
        slot->seen = now;
    }
    slot->tokens += (now - slot->seen) * r->rate;
    if (slot->tokens > r->burst)
        slot->tokens = r->burst;
    slot->seen = now;
    if (slot->tokens >= 1.0) {
        slot->tokens -= 1.0;
        return 0;
    }
    /* Seconds until one token is back. */
    return (1.0 - slot->tokens) / r->rate;
}
