/* Shared by the C load clients of `make bench`: the frames file that `ibm-bench prepare`
 * writes (u32 little-endian length + IngestRequest bytes), the timestamp placeholder in
 * each frame, CLOCK_MONOTONIC, and raw latency samples (u64 ns) for `ibm-bench hist`. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MARKER "bench-ts:"
#define DIGITS 20

typedef struct { unsigned char *data; size_t len; size_t ts; } frame_t;

static void die(const char *what) { fprintf(stderr, "%s\n", what); exit(2); }

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Reads at most `limit` frames of `path`; returns how many. */
static size_t load_frames(const char *path, size_t limit, frame_t **out) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open frames file");
    size_t cap = 1024, n = 0;
    frame_t *frames = malloc(cap * sizeof *frames);
    uint32_t len;
    while (n < limit && fread(&len, 4, 1, f) == 1) {
        unsigned char *data = malloc(len);
        if (fread(data, 1, len, f) != len) die("truncated frames file");
        unsigned char *m = memmem(data, len, MARKER, strlen(MARKER));
        if (!m) die("frame without timestamp marker");
        if (n == cap) { cap *= 2; frames = realloc(frames, cap * sizeof *frames); }
        frames[n].data = data; frames[n].len = len; frames[n].ts = (size_t)(m - data) + strlen(MARKER);
        n++;
    }
    fclose(f);
    *out = frames;
    return n;
}

static void patch_ts(unsigned char *at, uint64_t v) {
    for (int i = DIGITS - 1; i >= 0; i--) { at[i] = (unsigned char)('0' + v % 10); v /= 10; }
}

/* The send time in a received payload, or 0. */
static uint64_t read_ts(const unsigned char *p, size_t len) {
    const unsigned char *m = memmem(p, len, MARKER, strlen(MARKER));
    if (!m || (size_t)(m - p) + strlen(MARKER) + DIGITS > len) return 0;
    m += strlen(MARKER);
    uint64_t v = 0;
    for (int i = 0; i < DIGITS; i++) { if (m[i] < '0' || m[i] > '9') return 0; v = v * 10 + (uint64_t)(m[i] - '0'); }
    return v;
}

typedef struct { uint64_t *v; size_t n, cap; } samples_t;

static void sample(samples_t *s, uint64_t v) {
    if (s->n == s->cap) { s->cap = s->cap ? s->cap * 2 : 65536; s->v = realloc(s->v, s->cap * 8); }
    s->v[s->n++] = v;
}

static void write_samples(const samples_t *s, const char *path) {
    if (!path) return;
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write samples");
    fwrite(s->v, 8, s->n, f);
    fclose(f);
}

/* `--name value` lookup. */
static const char *opt(int argc, char **argv, const char *name, const char *def) {
    for (int i = 1; i + 1 < argc; i++) if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return def;
}

/* The trailing number of the alert id in an IngestRequest (field 1 Alert, its field 1 id),
 * e.g. bor-b00000123 -> 123; -1 if absent. Enough protobuf to count distinct alerts. */
static long alert_number(const unsigned char *p, size_t len) {
    for (int depth = 0; depth < 2; depth++) {
        size_t i = 0; int found = 0;
        while (i < len) {
            uint64_t key = 0; int shift = 0;
            while (i < len) { unsigned char b = p[i++]; key |= (uint64_t)(b & 0x7f) << shift; shift += 7; if (!(b & 0x80)) break; }
            int wire = key & 7;
            if (wire == 0) { while (i < len && (p[i++] & 0x80)) {} continue; }
            if (wire == 1) { i += 8; continue; }
            if (wire == 5) { i += 4; continue; }
            if (wire != 2) return -1;
            uint64_t l = 0; shift = 0;
            while (i < len) { unsigned char b = p[i++]; l |= (uint64_t)(b & 0x7f) << shift; shift += 7; if (!(b & 0x80)) break; }
            if (i + l > len) return -1;
            if ((key >> 3) == 1) { p += i; len = l; found = 1; break; }
            i += l;
        }
        if (!found) return -1;
    }
    long v = 0, scale = 1; size_t k = len;
    while (k > 0 && p[k - 1] >= '0' && p[k - 1] <= '9') { v += (p[k - 1] - '0') * scale; scale *= 10; k--; }
    return k == len ? -1 : v;
}

/* Distinct-alert counter for subscribers. */
typedef struct { unsigned char *seen; size_t cap; size_t distinct, dups; } seen_t;

static int mark_seen(seen_t *s, long n) {
    if (n < 0) return 0;
    if ((size_t)n >= s->cap) {
        size_t cap = ((size_t)n + 1) * 2;
        s->seen = realloc(s->seen, cap);
        memset(s->seen + s->cap, 0, cap - s->cap);
        s->cap = cap;
    }
    if (s->seen[n]) { s->dups++; return 0; }
    s->seen[n] = 1; s->distinct++;
    return 1;
}
