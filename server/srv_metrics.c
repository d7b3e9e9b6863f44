/* Request counters and the latency histogram behind the HTTP part of /metrics, in Prometheus
 * text format. Every MHD thread records, so a mutex guards them. Labels come from the route
 * table (static strings), which keeps the number of series bounded. */
#include "server/srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[SRV_LAT_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                               0.005,  0.01,    0.025,  0.1,   1.0};

void srv_metrics_init(struct srv_metrics *m)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
}

void srv_metrics_fini(struct srv_metrics *m)
{
    pthread_mutex_destroy(&m->lock);
}

static void record(struct srv_metrics *m, const char *route, const char *method,
                   unsigned status, double seconds)
{
    size_t i;

    for (i = 0; i < m->n_series; i++)
        if (m->series[i].route == route && m->series[i].method == method &&
            m->series[i].status == status)
            break;
    if (i == m->n_series) {
        if (m->n_series == SRV_MAX_SERIES) {
            m->dropped++;
            return;
        }
        m->series[i].route = route;
        m->series[i].method = method;
        m->series[i].status = status;
        m->n_series++;
    }
    m->series[i].count++;
    m->latency_count++;
    m->latency_sum += seconds;
    for (int b = 0; b < SRV_LAT_BUCKETS; b++)
        if (seconds <= bounds[b])
            m->latency[b]++;
}

void srv_metrics_record(struct srv_metrics *m, const char *route, const char *method,
                        unsigned status, double seconds)
{
    pthread_mutex_lock(&m->lock);
    record(m, route, method, status, seconds);
    pthread_mutex_unlock(&m->lock);
}

char *srv_metrics_render(void *cls)
{
    struct srv_metrics *m = cls;
    size_t cap = 1024 + SRV_MAX_SERIES * 160 + SRV_LAT_BUCKETS * 96, at;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    pthread_mutex_lock(&m->lock);
    at = (size_t)snprintf(buf, cap,
                          "# HELP replgw_http_requests_total HTTP requests by route, method and "
                          "status.\n# TYPE replgw_http_requests_total counter\n");
    for (size_t i = 0; i < m->n_series; i++)
        at += (size_t)snprintf(
            buf + at, cap - at,
            "replgw_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} %llu\n",
            m->series[i].route, m->series[i].method, m->series[i].status,
            (unsigned long long)m->series[i].count);
    at += (size_t)snprintf(buf + at, cap - at,
                           "# HELP replgw_http_request_duration_seconds Time from the request's "
                           "headers to its response.\n"
                           "# TYPE replgw_http_request_duration_seconds histogram\n");
    for (int b = 0; b < SRV_LAT_BUCKETS; b++)
        at += (size_t)snprintf(buf + at, cap - at,
                               "replgw_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                               bounds[b], (unsigned long long)m->latency[b]);
    snprintf(buf + at, cap - at,
             "replgw_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
             "replgw_http_request_duration_seconds_sum %.6f\n"
             "replgw_http_request_duration_seconds_count %llu\n",
             (unsigned long long)m->latency_count, m->latency_sum,
             (unsigned long long)m->latency_count);
    pthread_mutex_unlock(&m->lock);
    return buf;
}
