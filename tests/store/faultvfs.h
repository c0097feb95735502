/* faultvfs: a SQLite VFS shim that injects I/O faults, for tests.
 *
 * It wraps the default VFS (sqlite3_vfs_find(NULL)) and registers itself
 * as the new default, so every connection opened afterwards with a NULL
 * VFS name (the store's) goes through it. Each opened file is wrapped:
 * xWrite, xSync and xTruncate consult the knobs below; every other method
 * (locks, reads, shared memory, mmap fetch) is forwarded unchanged.
 *
 * Knobs (plain globals; the tests are single-threaded while they turn them):
 *   fv_fail_writes       nonzero: every xWrite returns fv_write_code
 *                        (SQLITE_FULL by default: a full disk)
 *   fv_fail_sync         nonzero: every xSync returns SQLITE_IOERR_FSYNC
 *   fv_fail_truncate     nonzero: every xTruncate returns SQLITE_IOERR_TRUNCATE
 *   fv_fail_after_writes > 0: that many more xWrite calls succeed, then
 *                        every later one fails with fv_write_code until
 *                        fv_clear(); 0 = off
 * Counters: fv_nwrites, fv_nsyncs, fv_ntruncates (calls seen), and
 * fv_injected (faults returned).
 *
 * Header-only, everything static: include it in one test file. */
#ifndef STACKYARD_TESTS_FAULTVFS_H
#define STACKYARD_TESTS_FAULTVFS_H

#include <sqlite3.h>
#include <stddef.h>
#include <string.h>

static volatile int fv_fail_writes, fv_fail_sync, fv_fail_truncate;
static volatile int fv_fail_after_writes;
static volatile int fv_write_code = SQLITE_FULL;
static volatile unsigned long fv_nwrites, fv_nsyncs, fv_ntruncates, fv_injected;
static volatile int fv_countdown_armed, fv_countdown_left;

static sqlite3_vfs *fv_real;      /* the wrapped default VFS */
static sqlite3_vfs fv_vfs;        /* ours */
/* Our io methods, one table per iVersion the real file reports (1..3),
 * so SQLite never calls a method the real file does not have. */
static sqlite3_io_methods fv_methods[4];

/* The wrapper file: our header, then the real file in the same allocation
 * (szOsFile covers both). */
struct fv_file {
	sqlite3_file base;
	sqlite3_file *real;
};

#define FV_REAL(f) (((struct fv_file *)(f))->real)

static __attribute__((unused)) void fv_clear(void)
{
	fv_fail_writes = 0;
	fv_fail_sync = 0;
	fv_fail_truncate = 0;
	fv_fail_after_writes = 0;
	fv_countdown_armed = 0;
	fv_countdown_left = 0;
	fv_write_code = SQLITE_FULL;
}

/* Let n more writes through, then fail every write with code. */
static __attribute__((unused)) void fv_arm_after(int n, int code)
{
	fv_write_code = code;
	fv_fail_after_writes = n;
	fv_countdown_left = n;
	fv_countdown_armed = 1;
}

static int fv_write_fails(void)
{
	if (fv_fail_writes)
		return 1;
	if (fv_countdown_armed) {
		if (fv_countdown_left > 0) {
			fv_countdown_left--;
			return 0;
		}
		return 1;
	}
	return 0;
}

static int fv_close(sqlite3_file *f)
{
	sqlite3_file *r = FV_REAL(f);
	int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;

	f->pMethods = NULL;
	return rc;
}

static int fv_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xRead(r, p, n, off);
}

static int fv_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	sqlite3_file *r = FV_REAL(f);

	fv_nwrites++;
	if (fv_write_fails()) {
		fv_injected++;
		return fv_write_code;
	}
	return r->pMethods->xWrite(r, p, n, off);
}

static int fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	sqlite3_file *r = FV_REAL(f);

	fv_ntruncates++;
	if (fv_fail_truncate) {
		fv_injected++;
		return SQLITE_IOERR_TRUNCATE;
	}
	return r->pMethods->xTruncate(r, size);
}

static int fv_sync(sqlite3_file *f, int flags)
{
	sqlite3_file *r = FV_REAL(f);

	fv_nsyncs++;
	if (fv_fail_sync) {
		fv_injected++;
		return SQLITE_IOERR_FSYNC;
	}
	return r->pMethods->xSync(r, flags);
}

static int fv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xFileSize(r, size);
}

static int fv_lock(sqlite3_file *f, int lk)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xLock(r, lk);
}

static int fv_unlock(sqlite3_file *f, int lk)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xUnlock(r, lk);
}

static int fv_check_reserved(sqlite3_file *f, int *out)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xCheckReservedLock(r, out);
}

static int fv_file_control(sqlite3_file *f, int op, void *arg)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xFileControl(r, op, arg);
}

static int fv_sector_size(sqlite3_file *f)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xSectorSize(r);
}

static int fv_device_chars(sqlite3_file *f)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xDeviceCharacteristics(r);
}

static int fv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xShmMap(r, pg, pgsz, extend, pp);
}

static int fv_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xShmLock(r, off, n, flags);
}

static void fv_shm_barrier(sqlite3_file *f)
{
	sqlite3_file *r = FV_REAL(f);

	r->pMethods->xShmBarrier(r);
}

static int fv_shm_unmap(sqlite3_file *f, int del)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xShmUnmap(r, del);
}

static int fv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xFetch(r, off, n, pp);
}

static int fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	sqlite3_file *r = FV_REAL(f);

	return r->pMethods->xUnfetch(r, off, p);
}

static int fv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
		   int *out_flags)
{
	struct fv_file *w = (struct fv_file *)f;
	int rc, v;

	(void)vfs;
	w->real = (sqlite3_file *)(w + 1);
	memset(w->real, 0, (size_t)fv_real->szOsFile);
	rc = fv_real->xOpen(fv_real, name, w->real, flags, out_flags);
	/* SQLite calls xClose whenever pMethods is set, even after a failed
	 * xOpen, so mirror the real file: set exactly when it is set. */
	if (!w->real->pMethods) {
		w->base.pMethods = NULL;
		return rc;
	}
	v = w->real->pMethods->iVersion;
	if (v < 1)
		v = 1;
	if (v > 3)
		v = 3;
	w->base.pMethods = &fv_methods[v];
	return rc;
}

/* Installs the shim as the default VFS (idempotent). Call before opening
 * any connection. Returns SQLITE_OK or an error. */
static __attribute__((unused)) int fv_install(void)
{
	int v;

	if (fv_real)
		return SQLITE_OK;
	if (!(fv_real = sqlite3_vfs_find(NULL)))
		return SQLITE_ERROR;
	for (v = 1; v <= 3; v++) {
		sqlite3_io_methods *m = &fv_methods[v];
		memset(m, 0, sizeof(*m));
		m->iVersion = v;
		m->xClose = fv_close;
		m->xRead = fv_read;
		m->xWrite = fv_write;
		m->xTruncate = fv_truncate;
		m->xSync = fv_sync;
		m->xFileSize = fv_file_size;
		m->xLock = fv_lock;
		m->xUnlock = fv_unlock;
		m->xCheckReservedLock = fv_check_reserved;
		m->xFileControl = fv_file_control;
		m->xSectorSize = fv_sector_size;
		m->xDeviceCharacteristics = fv_device_chars;
		if (v >= 2) {
			m->xShmMap = fv_shm_map;
			m->xShmLock = fv_shm_lock;
			m->xShmBarrier = fv_shm_barrier;
			m->xShmUnmap = fv_shm_unmap;
		}
		if (v >= 3) {
			m->xFetch = fv_fetch;
			m->xUnfetch = fv_unfetch;
		}
	}
	/* Everything but xOpen is the real VFS's own method; pAppData is
	 * copied too, since the unix VFS keeps its state there. */
	fv_vfs = *fv_real;
	fv_vfs.pNext = NULL;
	fv_vfs.zName = "stackyard-faulty";
	fv_vfs.szOsFile = (int)sizeof(struct fv_file) + fv_real->szOsFile;
	fv_vfs.xOpen = fv_open;
	return sqlite3_vfs_register(&fv_vfs, 1);
}

static __attribute__((unused)) void fv_uninstall(void)
{
	if (!fv_real)
		return;
	sqlite3_vfs_unregister(&fv_vfs);
	sqlite3_vfs_register(fv_real, 1);
	fv_real = NULL;
}

#endif
