/* A hostile writer safeops does not stop: while a restore stages its files in
 * VOLUME/.safeops-restore-*, swaps every directory in the staging directory with a
 * symlink to TARGET (RENAME_EXCHANGE), ROUNDS times. Used by tests/security.rs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void swap_children(int staging, const char *target) {
    DIR *d = fdopendir(dup(staging));
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        struct stat st;
        if (fstatat(staging, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) continue;
        unlinkat(staging, ".evil", 0);
        if (symlinkat(target, staging, ".evil")) continue;
        syscall(SYS_renameat2, staging, e->d_name, staging, ".evil", 2 /* RENAME_EXCHANGE */);
    }
    closedir(d);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: stager VOLUME TARGET ROUNDS\n");
        return 2;
    }
    long rounds = atol(argv[3]);
    for (long r = 0; r < rounds; r++) {
        DIR *v = opendir(argv[1]);
        if (!v) continue;
        struct dirent *e;
        while ((e = readdir(v))) {
            if (strncmp(e->d_name, ".safeops-restore-", 17) != 0) continue;
            int staging = openat(dirfd(v), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (staging < 0) continue;
            swap_children(staging, argv[2]);
            close(staging);
        }
        closedir(v);
    }
    return 0;
}
