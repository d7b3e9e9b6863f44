/* The header deadline: a connection that has sent no complete request head within
 * --header-timeout seconds of opening, or of its previous answer, is shut. libmicrohttpd's own
 * timeout is an idle one, which every byte resets: a client trickling a header line a byte at a
 * time (slowloris) would hold its connection, and enough of them every slot, for ever.
 *
 * MHD tells of each connection as it opens and closes (srv_conns_notify, on MHD's threads); the
 * request handler and the completion callback say when a request head is in and when its answer
 * went out. One thread looks over the open connections each second and shuts the socket of any
 * past its deadline; MHD then reads the end of the stream and closes the connection as its own.
 * MHD reports a connection closed before it closes the socket, and the list is changed under
 * the same lock the thread looks with, so the thread never shuts a socket number reused since. */
#include "server/srv.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

struct srv_conn {
    struct srv_conn *prev, *next;
    int fd;
    double waiting_since; /* when it began to wait for a request head (CLOCK_MONOTONIC) */
    bool in_request;      /* a head is in, its answer not yet sent */
    bool shut;
};

static void *watch_main(void *arg)
{
    struct srv_conns *cs = arg;

    pthread_mutex_lock(&cs->lock);
    while (!cs->stop) {
        struct timespec until;
        double now = rg_monotonic_seconds();

        for (struct srv_conn *c = cs->head; c; c = c->next) {
            int unsent = 0;

            if (c->in_request || c->shut)
                continue;
            /* An answer the client is still reading (bytes queued in the kernel, past MHD) is
             * no wait for a request: the deadline counts from when it has gone. */
            if (ioctl(c->fd, TIOCOUTQ, &unsent) == 0 && unsent > 0)
                c->waiting_since = now;
            if (now - c->waiting_since <= cs->timeout)
                continue;
            shutdown(c->fd, SHUT_RDWR);
            c->shut = true;
            rg_log(RG_LOG_INFO, "closing a connection that sent no complete request head within "
                                "--header-timeout %u s", cs->timeout);
        }
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&cs->wake, &cs->lock, &until);
    }
    pthread_mutex_unlock(&cs->lock);
    return NULL;
}

int srv_conns_start(struct srv_conns *cs, unsigned timeout)
{
    pthread_condattr_t attr;
    int rc;

    memset(cs, 0, sizeof(*cs));
    cs->timeout = timeout;
    if (timeout == 0)
        return 0;
    pthread_mutex_init(&cs->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cs->wake, &attr);
    pthread_condattr_destroy(&attr);
    rc = pthread_create(&cs->thread, NULL, watch_main, cs);
    if (rc != 0) {
        pthread_cond_destroy(&cs->wake);
        pthread_mutex_destroy(&cs->lock);
        return -1;
    }
    cs->running = true;
    return 0;
}

void srv_conns_stop(struct srv_conns *cs)
{
    if (!cs->running)
        return;
    pthread_mutex_lock(&cs->lock);
    cs->stop = true;
    pthread_cond_signal(&cs->wake);
    pthread_mutex_unlock(&cs->lock);
    pthread_join(cs->thread, NULL);
    /* MHD has reported every connection closed by now (it is stopped first), so the list is
     * empty; anything left would be MHD's leak, not freed twice here. */
    pthread_cond_destroy(&cs->wake);
    pthread_mutex_destroy(&cs->lock);
    cs->running = false;
}

void srv_conns_notify(struct srv_conns *cs, struct MHD_Connection *conn, void **socket_context,
                      bool opened)
{
    struct srv_conn *c = *socket_context;

    if (!cs->running)
        return;
    if (opened) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

        /* Without memory the connection goes unwatched: the idle timeout still holds it. */
        c = info ? calloc(1, sizeof(*c)) : NULL;
        *socket_context = c;
        if (!c)
            return;
        c->fd = info->connect_fd;
        c->waiting_since = rg_monotonic_seconds();
        pthread_mutex_lock(&cs->lock);
        c->next = cs->head;
        if (cs->head)
            cs->head->prev = c;
        cs->head = c;
        pthread_mutex_unlock(&cs->lock);
        return;
    }
    if (!c)
        return;
    pthread_mutex_lock(&cs->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&cs->lock);
    free(c);
    *socket_context = NULL;
}

void srv_conns_request(struct srv_conns *cs, struct MHD_Connection *conn, bool begun)
{
    const union MHD_ConnectionInfo *info;
    struct srv_conn *c;

    if (!cs->running)
        return;
    info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&cs->lock);
    c->in_request = begun;
    if (!begun)
        c->waiting_since = rg_monotonic_seconds();
    pthread_mutex_unlock(&cs->lock);
}
