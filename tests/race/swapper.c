/* A hostile container's helper: in DIR, swaps each regular file f<i> with the symlink
 * l<i> (RENAME_EXCHANGE), over and over, COUNT rounds. Used by tests/security.rs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: swapper DIR PAIRS ROUNDS\n");
        return 2;
    }
    const char *dir = argv[1];
    int pairs = atoi(argv[2]);
    long rounds = atol(argv[3]);
    char a[4096], b[4096];
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < pairs; i++) {
            snprintf(a, sizeof a, "%s/f%d", dir, i);
            snprintf(b, sizeof b, "%s/l%d", dir, i);
            syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */);
        }
    }
    return 0;
}
