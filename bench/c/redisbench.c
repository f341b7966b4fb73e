/* Redis Streams load client of `make bench` (hiredis).
 * pub: --frames F [--window 1000] [--rate N] [--samples FILE]: pipelined XADD alerts * a <frame>,
 *      at most `window` outstanding; a publish counts at its reply (after the AOF write).
 * sub: --expect N [--idle 30] [--samples FILE]: XREAD BLOCK COUNT 1000 from the stream's start. */
#include "common.h"
#include <hiredis/hiredis.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) die("usage: redisbench pub|sub [--option value ...]");
    redisContext *c = redisConnect("127.0.0.1", atoi(opt(argc, argv, "--port", "6379")));
    if (!c || c->err) die("cannot connect to redis");
    samples_t samples = {0};
    if (strcmp(argv[1], "pub") == 0) {
        frame_t *frames;
        size_t n = load_frames(opt(argc, argv, "--frames", ""), (size_t)atol(opt(argc, argv, "--count", "1000000000")), &frames);
        size_t window = (size_t)atol(opt(argc, argv, "--window", "1000"));
        uint64_t rate = (uint64_t)atol(opt(argc, argv, "--rate", "0"));
        uint64_t *sent = calloc(window, 8);
        size_t next = 0, done = 0;
        uint64_t start = now_ns();
        while (done < n) {
            while (next < n && next - done < window) {
                uint64_t now = now_ns();
                if (rate && now < start + next * 1000000000ull / rate) break;
                patch_ts(frames[next].data + frames[next].ts, now);
                redisAppendCommand(c, "XADD alerts * a %b", frames[next].data, frames[next].len);
                sent[next % window] = now;
                next++;
            }
            if (next == done) {  /* paced: nothing outstanding yet */
                uint64_t due = start + next * 1000000000ull / rate, now = now_ns();
                if (due > now) usleep((useconds_t)((due - now) / 1000));
                continue;
            }
            redisReply *r;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) die("redis connection lost");
            if (r->type == REDIS_REPLY_ERROR) { fprintf(stderr, "XADD: %s\n", r->str); die("redis error"); }
            sample(&samples, now_ns() - sent[done % window]);
            freeReplyObject(r);
            done++;
        }
        uint64_t end = now_ns();
        write_samples(&samples, opt(argc, argv, "--samples", NULL));
        printf("RESULT role=pub mode=redis sent=%zu acked=%zu nacks=0 start_ns=%llu end_ns=%llu\n", n, done,
               (unsigned long long)start, (unsigned long long)end);
    } else {
        size_t expect = (size_t)atol(opt(argc, argv, "--expect", "0"));
        uint64_t idle = (uint64_t)atol(opt(argc, argv, "--idle", "30")) * 1000000000ull;
        const char *ready = opt(argc, argv, "--ready-file", NULL);
        if (ready) { FILE *f = fopen(ready, "w"); if (f) fclose(f); }
        seen_t seen = {0};
        char last[64] = "0-0";
        uint64_t first = 0, lastr = 0, last_msg = now_ns();
        while (seen.distinct < expect && now_ns() - last_msg < idle) {
            redisReply *r = redisCommand(c, "XREAD COUNT 1000 BLOCK 1000 STREAMS alerts %s", last);
            if (!r) die("redis connection lost");
            if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
                redisReply *entries = r->element[0]->element[1];
                uint64_t now = now_ns();
                last_msg = now;
                for (size_t i = 0; i < entries->elements; i++) {
                    redisReply *e = entries->element[i];
                    snprintf(last, sizeof last, "%s", e->element[0]->str);
                    redisReply *v = e->element[1]->element[1];
                    if (!mark_seen(&seen, alert_number((unsigned char *)v->str, v->len))) continue;
                    if (!first) first = now;
                    lastr = now;
                    uint64_t ts = read_ts((unsigned char *)v->str, v->len);
                    if (ts && ts <= now) sample(&samples, now - ts);
                }
            }
            freeReplyObject(r);
        }
        write_samples(&samples, opt(argc, argv, "--samples", NULL));
        printf("RESULT role=sub mode=redis received=%zu duplicates=%zu first_ns=%llu last_ns=%llu\n", seen.distinct, seen.dups,
               (unsigned long long)first, (unsigned long long)lastr);
    }
    fflush(stdout);
    redisFree(c);
    return 0;
}
