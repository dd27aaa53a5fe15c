/* Makes (`deep make DIR LEVELS`) or reads (`deep read DIR LEVELS`) a tree LEVELS
 * directories deep, each name 200 bytes, with a file `f` at the bottom: its path is far
 * longer than PATH_MAX, which only relative chdir can reach. Used by tests/security.rs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: deep make|read DIR LEVELS\n");
        return 2;
    }
    char name[201];
    memset(name, 'd', 200);
    name[200] = 0;
    if (chdir(argv[2])) return perror("chdir"), 1;
    int levels = atoi(argv[3]);
    int make = strcmp(argv[1], "make") == 0;
    for (int i = 0; i < levels; i++) {
        if (make && mkdir(name, 0755)) return perror("mkdir"), 1;
        if (chdir(name)) return perror("chdir"), 1;
    }
    if (make) {
        FILE *f = fopen("f", "w");
        if (!f) return perror("fopen"), 1;
        fputs("bottom\n", f);
        return fclose(f) != 0;
    }
    char line[64] = {0};
    FILE *f = fopen("f", "r");
    if (!f || !fgets(line, sizeof line, f)) return perror("read"), 1;
    fputs(line, stdout);
    return 0;
}
