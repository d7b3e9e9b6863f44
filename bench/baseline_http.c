/* The HTTP ceiling: a minimal libmicrohttpd server (one epoll thread, as replgw) answering every
 * request with a fixed 200-byte JSON body, queued on the second handler call so keep-alive
 * holds. Prints "listening on PORT" and serves until killed. */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char body[] =
    "{\"id\":\"1\",\"InstanceID\":\"REPLGW:1\",\"ElementName\":\"baseline\",\"Persistent\":true,"
    "\"DeleteOnEmptyElement\":false,\"DeleteOnUnassociated\":false,\"Generation\":1,\"Members\":"
    "[],\"ReplicationSettingData\":null,\"padding\":\"xxxxxxxxxxxxxxx\"}";

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    static int first;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    (void)cls, (void)url, (void)method, (void)version, (void)data;
    if (!*state) {
        *state = &first;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
                                           MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

int main(void)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, answer,
                                            NULL, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                                            MHD_OPTION_END);
    const union MHD_DaemonInfo *info;

    if (!d)
        return 1;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on %u\n", info->port);
    fflush(stdout);
    pause();
    MHD_stop_daemon(d);
    return 0;
}
