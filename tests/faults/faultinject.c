/* SPDX-License-Identifier: Apache-2.0 */
/* LD_PRELOAD shim: makes the Nth call of a class of functions fail, to
 * walk every error path of a real `ignis apply` (tests/faults/walk.py).
 *
 *   IGNIS_FAULT=CLASS:N      the Nth call (1-based) of CLASS fails, once;
 *                            N = 0 fails nothing and only counts
 *   IGNIS_FAULT_REPORT=FILE  gets "injected CLASS N FUNCTION" when the
 *                            fault fires, then "frame FILE OFFSET" for each
 *                            caller (for addr2line), and "calls CLASS
 *                            COUNT" at exit
 *
 * Classes and the error each returns:
 *   write   write, pwrite, writev on fds above 2 (not stdout/stderr, so the
 *           error line itself can be written)                    ENOSPC
 *   sync    fsync, fdatasync, syncfs                              EIO
 *   rename  rename, renameat, renameat2, linkat, symlinkat        EIO
 *   open    open, openat, openat2 (through syscall()) when they may write:
 *           O_WRONLY, O_RDWR, O_CREAT, O_TMPFILE                  ENOSPC
 *   spawn   posix_spawn, posix_spawnp, fork, vfork, execve        EAGAIN
 *   malloc  malloc, calloc, realloc                               ENOMEM
 *
 * Only the process named "ignis" counts: the tools it spawns inherit the
 * preload and are left alone. Threads share the counter. */

/* The plain names are the ones defined here (meson builds with 64-bit
 * offsets, which renames open() to open64() in the headers). */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern char *program_invocation_short_name;

enum fclass { C_WRITE, C_SYNC, C_RENAME, C_OPEN, C_SPAWN, C_MALLOC, C_COUNT };
static const char *const class_names[C_COUNT] = { "write", "sync", "rename", "open", "spawn", "malloc" };

static bool active;
static int target_class = -1;
static unsigned long target_n;
static unsigned long counts[C_COUNT];
static char report_path[512];
static __thread int busy;

static void report(const char *line)
{
        int fd;

        if (!report_path[0])
                return;
        /* Raw syscalls: this must not count, allocate or recurse. */
        fd = (int) syscall(SYS_openat, AT_FDCWD, report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        syscall(SYS_write, fd, line, strlen(line));
        syscall(SYS_close, fd);
}

/* true when this call is the one to fail */
static bool hit(enum fclass c, const char *fn)
{
        unsigned long n;

        if (!active || busy)
                return false;
        n = __atomic_add_fetch(&counts[c], 1, __ATOMIC_RELAXED);
        if ((int) c != target_class || n != target_n)
                return false;
        char line[1024];
        void *frames[12];
        int nf;

        busy++;
        snprintf(line, sizeof(line), "injected %s %lu %s\n", class_names[c], n, fn);
        report(line);
        /* Who asked: tells a failure ignis mishandles from one inside a
         * library (json-c) that ignis cannot handle. */
        nf = backtrace(frames, 12);
        for (int i = 2; i < nf; i++) {
                Dl_info info;
                if (dladdr(frames[i], &info) && info.dli_fname) {
                        snprintf(line, sizeof(line), "frame %s %#lx\n", info.dli_fname,
                                 (unsigned long) ((char *) frames[i] - (char *) info.dli_fbase) - 1);
                        report(line);
                }
        }
        busy--;
        return true;
}

__attribute__((constructor)) static void init(void)
{
        const char *spec = getenv("IGNIS_FAULT"), *rep = getenv("IGNIS_FAULT_REPORT");
        const char *colon;

        if (!spec || strcmp(program_invocation_short_name, "ignis") != 0)
                return;
        colon = strchr(spec, ':');
        if (!colon)
                return;
        for (int i = 0; i < C_COUNT; i++)
                if (strlen(class_names[i]) == (size_t) (colon - spec) && !strncmp(spec, class_names[i], colon - spec))
                        target_class = i;
        target_n = strtoul(colon + 1, NULL, 10);
        if (rep)
                snprintf(report_path, sizeof(report_path), "%s", rep);
        /* backtrace() loads libgcc_s on first use: not in the middle of a
         * failing malloc. */
        void *warm[2];
        backtrace(warm, 2);
        active = true;
}

__attribute__((destructor)) static void fini(void)
{
        char line[64];

        if (!active)
                return;
        active = false;
        for (int i = 0; i < C_COUNT; i++) {
                snprintf(line, sizeof(line), "calls %s %lu\n", class_names[i], counts[i]);
                report(line);
        }
}

#define REAL(ret, name, ...)                                                    \
        static ret (*real_##name)(__VA_ARGS__);                                 \
        if (!real_##name)                                                       \
                real_##name = (ret (*)(__VA_ARGS__)) dlsym(RTLD_NEXT, #name)

#define FAIL(err, val)                                                          \
        do {                                                                    \
                errno = (err);                                                  \
                return (val);                                                   \
        } while (0)

void *malloc(size_t n)
{
        if (hit(C_MALLOC, "malloc"))
                FAIL(ENOMEM, NULL);
        return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
        if (hit(C_MALLOC, "calloc"))
                FAIL(ENOMEM, NULL);
        return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
        if (hit(C_MALLOC, "realloc"))
                FAIL(ENOMEM, NULL);
        return __libc_realloc(p, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
        REAL(ssize_t, write, int, const void *, size_t);
        if (fd > 2 && hit(C_WRITE, "write"))
                FAIL(ENOSPC, -1);
        return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
        REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
        if (fd > 2 && hit(C_WRITE, "pwrite"))
                FAIL(ENOSPC, -1);
        return real_pwrite(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
        REAL(ssize_t, writev, int, const struct iovec *, int);
        if (fd > 2 && hit(C_WRITE, "writev"))
                FAIL(ENOSPC, -1);
        return real_writev(fd, iov, n);
}

int fsync(int fd)
{
        REAL(int, fsync, int);
        if (hit(C_SYNC, "fsync"))
                FAIL(EIO, -1);
        return real_fsync(fd);
}

int fdatasync(int fd)
{
        REAL(int, fdatasync, int);
        if (hit(C_SYNC, "fdatasync"))
                FAIL(EIO, -1);
        return real_fdatasync(fd);
}

int syncfs(int fd)
{
        REAL(int, syncfs, int);
        if (hit(C_SYNC, "syncfs"))
                FAIL(EIO, -1);
        return real_syncfs(fd);
}

int rename(const char *a, const char *b)
{
        REAL(int, rename, const char *, const char *);
        if (hit(C_RENAME, "rename"))
                FAIL(EIO, -1);
        return real_rename(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
        REAL(int, renameat, int, const char *, int, const char *);
        if (hit(C_RENAME, "renameat"))
                FAIL(EIO, -1);
        return real_renameat(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
        REAL(int, renameat2, int, const char *, int, const char *, unsigned);
        if (hit(C_RENAME, "renameat2"))
                FAIL(EIO, -1);
        return real_renameat2(da, a, db, b, flags);
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
        REAL(int, linkat, int, const char *, int, const char *, int);
        if (hit(C_RENAME, "linkat"))
                FAIL(EIO, -1);
        return real_linkat(da, a, db, b, flags);
}

int symlinkat(const char *target, int d, const char *name)
{
        REAL(int, symlinkat, const char *, int, const char *);
        if (hit(C_RENAME, "symlinkat"))
                FAIL(EIO, -1);
        return real_symlinkat(target, d, name);
}

static bool writes(int flags)
{
        return (flags & (O_WRONLY | O_RDWR | O_CREAT)) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define OPEN_WRAPPER(name, ...)                                                         \
        {                                                                               \
                REAL(int, name, __VA_ARGS__);                                           \
                va_list ap;                                                             \
                mode_t mode;                                                            \
                                                                                        \
                va_start(ap, flags);                                                    \
                mode = (mode_t) va_arg(ap, int);                                        \
                va_end(ap);                                                             \
                if (writes(flags) && hit(C_OPEN, #name))                                \
                        FAIL(ENOSPC, -1);                                               \
                return real_##name(OPEN_ARGS, flags, mode);                             \
        }

#define OPEN_ARGS path
int open(const char *path, int flags, ...) OPEN_WRAPPER(open, const char *, int, ...)
int open64(const char *path, int flags, ...) OPEN_WRAPPER(open64, const char *, int, ...)
#undef OPEN_ARGS
#define OPEN_ARGS d, path
int openat(int d, const char *path, int flags, ...) OPEN_WRAPPER(openat, int, const char *, int, ...)
int openat64(int d, const char *path, int flags, ...) OPEN_WRAPPER(openat64, int, const char *, int, ...)
#undef OPEN_ARGS

/* openat2 has no glibc wrapper in Debian 12: ignis calls syscall(). */
struct open_how_prefix {
        unsigned long long flags;
};

long syscall(long nr, ...)
{
        REAL(long, syscall, long, ...);
        va_list ap;
        long a[6];

        va_start(ap, nr);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (nr == SYS_openat2 && a[2]) {
                const struct open_how_prefix *how = (const void *) a[2];
                if (writes((int) how->flags) && hit(C_OPEN, "openat2"))
                        FAIL(ENOSPC, -1);
        }
        return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
                char *const argv[], char *const envp[])
{
        REAL(int, posix_spawn, pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
             char *const[], char *const[]);
        if (hit(C_SPAWN, "posix_spawn"))
                return EAGAIN;
        return real_posix_spawn(pid, path, fa, at, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
                 char *const argv[], char *const envp[])
{
        REAL(int, posix_spawnp, pid_t *, const char *, const posix_spawn_file_actions_t *,
             const posix_spawnattr_t *, char *const[], char *const[]);
        if (hit(C_SPAWN, "posix_spawnp"))
                return EAGAIN;
        return real_posix_spawnp(pid, file, fa, at, argv, envp);
}

pid_t fork(void)
{
        REAL(pid_t, fork, void);
        if (hit(C_SPAWN, "fork"))
                FAIL(EAGAIN, -1);
        return real_fork();
}

pid_t vfork(void)
{
        /* vfork cannot be wrapped (the child would return into this frame);
         * fork has the same outcome for a caller that execs or exits. */
        return fork();
}

int execve(const char *path, char *const argv[], char *const envp[])
{
        REAL(int, execve, const char *, char *const[], char *const[]);
        if (hit(C_SPAWN, "execve"))
                FAIL(EAGAIN, -1);
        return real_execve(path, argv, envp);
}
