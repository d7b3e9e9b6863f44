/* A VFS shim over SQLite's default VFS that gathers the writes to a WAL file and hands them to
 * the file system in one call at the next sync.
 *
 * Why: a commit appends each dirty page to the WAL as two writes (frame header, page), about 35
 * pwrite calls for a batch of 8 creates, and each costs a system call that on a virtual machine
 * is dear. Gathered, the batch is one or two writes before its fdatasync.
 *
 * Why it is safe: SQLite's WAL readers (other connections) see a frame only once the writer has
 * published it in the wal-index, which happens after the commit's xSync when synchronous=FULL,
 * and db_open always sets FULL. Every call that could look at the file (read, size, truncate,
 * sync, file control, close) or write elsewhere in it first writes out what is gathered, so this
 * connection never sees the file other than as SQLite left it. A crash before the sync loses only
 * frames of a commit that was never acknowledged, as it would without the shim. Only files
 * SQLite opens as WAL go through it; the database file and everything else go to the default
 * VFS untouched. */
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>

/* What one WAL file gathers before writing out: a batch of 32 creates is about 60 frames. */
#define WAL_GATHER (256 * 1024)
/* The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the count with 0x1ffff) and
 * reports anything longer as SQLITE_FULL, so what is gathered goes out in pieces below that. */
#define WAL_PIECE (120 * 1024)

struct wal_file {
    sqlite3_file base; /* pMethods: wal_io */
    sqlite3_file *real; /* the default VFS's file, in the same allocation right after this */
    char *buf;          /* WAL_GATHER bytes, allocated on the first write; owned */
    size_t len;         /* bytes gathered, to go at off */
    sqlite3_int64 off;
};

static sqlite3_vfs *base_vfs;
static sqlite3_vfs wal_vfs;

static struct wal_file *wal_of(sqlite3_file *f)
{
    return (struct wal_file *)f;
}

/* Writes n bytes at off through the real file, in pieces the unix VFS accepts. */
static int write_pieces(struct wal_file *w, const char *data, size_t n, sqlite3_int64 off)
{
    int rc = SQLITE_OK;

    for (size_t done = 0; rc == SQLITE_OK && done < n;) {
        size_t piece = n - done < WAL_PIECE ? n - done : WAL_PIECE;

        rc = w->real->pMethods->xWrite(w->real, data + done, (int)piece,
                                       off + (sqlite3_int64)done);
        done += piece;
    }
    return rc;
}

static int write_out(struct wal_file *w)
{
    int rc = write_pieces(w, w->buf, w->len, w->off);

    w->len = 0;
    return rc;
}

static int wal_close(sqlite3_file *f)
{
    struct wal_file *w = wal_of(f);
    int rc = write_out(w), closed = w->real->pMethods->xClose(w->real);

    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int wal_read(sqlite3_file *f, void *out, int n, sqlite3_int64 off)
{
    struct wal_file *w = wal_of(f);
    int rc = write_out(w);

    return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, out, n, off);
}

/* Gathers a write that continues what is gathered; anything else writes that out first. */
static int wal_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
    struct wal_file *w = wal_of(f);
    int rc;

    if (w->len && off == w->off + (sqlite3_int64)w->len && w->len + (size_t)n <= WAL_GATHER) {
        memcpy(w->buf + w->len, data, (size_t)n);
        w->len += (size_t)n;
        return SQLITE_OK;
    }
    if ((rc = write_out(w)) != SQLITE_OK)
        return rc;
    if ((size_t)n > WAL_GATHER || (!w->buf && !(w->buf = malloc(WAL_GATHER))))
        return write_pieces(w, data, (size_t)n, off); /* ungathered, still right */
    memcpy(w->buf, data, (size_t)n);
    w->len = (size_t)n;
    w->off = off;
    return SQLITE_OK;
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct wal_file *w = wal_of(f);
    int rc = write_out(w);

    return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    struct wal_file *w = wal_of(f);
    int rc = write_out(w);

    return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int wal_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct wal_file *w = wal_of(f);
    int rc = write_out(w);

    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_lock(sqlite3_file *f, int level)
{
    return wal_of(f)->real->pMethods->xLock(wal_of(f)->real, level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
    return wal_of(f)->real->pMethods->xUnlock(wal_of(f)->real, level);
}

static int wal_check_lock(sqlite3_file *f, int *out)
{
    return wal_of(f)->real->pMethods->xCheckReservedLock(wal_of(f)->real, out);
}

static int wal_control(sqlite3_file *f, int op, void *arg)
{
    struct wal_file *w = wal_of(f);
    int rc = write_out(w);

    return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
    return wal_of(f)->real->pMethods->xSectorSize(wal_of(f)->real);
}

static int wal_device(sqlite3_file *f)
{
    return wal_of(f)->real->pMethods->xDeviceCharacteristics(wal_of(f)->real);
}

/* Version 1: a WAL file is never memory-mapped and its shared memory lives on the database
 * file, so the later methods are not needed. */
static const sqlite3_io_methods wal_io = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_lock,
    .xFileControl = wal_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device,
};

static int wal_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    struct wal_file *w = wal_of(f);
    int rc;

    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return base_vfs->xOpen(base_vfs, name, f, flags, out);
    memset(w, 0, sizeof(*w));
    w->real = (sqlite3_file *)(w + 1);
    rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out);
    if (rc == SQLITE_OK) {
        w->base.pMethods = &wal_io;
    } else if (w->real->pMethods) {
        /* SQLite closes a file whose open failed only if it has methods; ours has none, so the
         * real file, if its open left methods behind, is closed here. */
        w->real->pMethods->xClose(w->real);
    }
    return rc;
}

int db_wal_register(void)
{
    base_vfs = sqlite3_vfs_find(NULL);
    if (!base_vfs)
        return SQLITE_ERROR;
    wal_vfs = *base_vfs;
    wal_vfs.szOsFile = (int)sizeof(struct wal_file) + base_vfs->szOsFile;
    wal_vfs.zName = DB_WAL_VFS;
    wal_vfs.pNext = NULL;
    wal_vfs.xOpen = wal_open;
    return sqlite3_vfs_register(&wal_vfs, 0);
}
