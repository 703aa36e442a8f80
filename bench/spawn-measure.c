/* SPDX-License-Identifier: Apache-2.0 */
/* Measures ONE run of a command: wall time, peak RSS, CPU time, exit code.
 *
 *   spawn-measure OUTPUT-FILE CMD [ARGS...]
 *
 * prints "<wall_s> <maxrss_kib> <cpu_s> <exit_code> spawn" on stdout; the
 * command's stdout and stderr go to OUTPUT-FILE, its stdin is /dev/null.
 *
 * Why a C program and not Python + GNU time: the measuring wrapper's own
 * cost lands in every figure. Python's fork of itself plus GNU time's
 * fork + exec costs ~3 ms per run here, more than a whole small ignis run;
 * posix_spawn from this tiny process costs what any exec costs (~0.8 ms
 * for /bin/true), so both tools are measured closer to what they cost.
 * Peak RSS is the child's ru_maxrss from wait4(): the largest of the
 * command and the children it waited for. Linux folds the pre-exec
 * memory of the spawning process into that figure, which is why the
 * spawner must be small (this one is ~1 MiB, like GNU time). */

#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
        posix_spawn_file_actions_t fa;
        struct timespec a, b;
        struct rusage ru;
        int status, out, e;
        pid_t pid;

        if (argc < 3) {
                fprintf(stderr, "usage: spawn-measure OUTPUT-FILE CMD [ARGS...]\n");
                return 2;
        }
        out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) {
                perror(argv[1]);
                return 2;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out, STDERR_FILENO);

        clock_gettime(CLOCK_MONOTONIC, &a);
        e = posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ);
        if (e != 0) {
                fprintf(stderr, "spawn-measure: %s: %s\n", argv[2], strerror(e));
                return 2;
        }
        if (wait4(pid, &status, 0, &ru) < 0) {
                perror("wait4");
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);

        printf("%.6f %ld %.3f %d spawn\n",
               (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9, ru.ru_maxrss,
               (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return 0;
}
