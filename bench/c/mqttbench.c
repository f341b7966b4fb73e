/* Mosquitto load client of `make bench` (libmosquitto, QoS 1, TCP_NODELAY).
 * pub: --frames F --topic T [--window 1000] [--rate N] [--samples FILE]
 *      QoS 1 publishes, at most `window` without PUBACK; a publish counts at its PUBACK.
 * sub: --expect N [--idle 30] [--samples FILE]: QoS 1 subscription to alerts/#. */
#include "common.h"
#include <mosquitto.h>
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint64_t sent_at[65536];
static long inflight, acked, expect;
static samples_t samples;
static seen_t seen;
static uint64_t first_ns, last_ns, last_msg_ns;
static int connected;

static void on_connect(struct mosquitto *m, void *o, int rc) {
    (void)m; (void)o;
    pthread_mutex_lock(&lock); connected = rc == 0 ? 1 : -1; pthread_cond_broadcast(&cond); pthread_mutex_unlock(&lock);
}

static void on_publish(struct mosquitto *m, void *o, int mid) {
    (void)m; (void)o;
    uint64_t now = now_ns();
    pthread_mutex_lock(&lock);
    sample(&samples, now - sent_at[mid]);
    inflight--; acked++;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static void on_message(struct mosquitto *m, void *o, const struct mosquitto_message *msg) {
    (void)m; (void)o;
    uint64_t now = now_ns();
    pthread_mutex_lock(&lock);
    last_msg_ns = now;
    if (mark_seen(&seen, alert_number(msg->payload, (size_t)msg->payloadlen))) {
        if (!first_ns) first_ns = now;
        last_ns = now;
        uint64_t ts = read_ts(msg->payload, (size_t)msg->payloadlen);
        if (ts && ts <= now) sample(&samples, now - ts);
    }
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: mqttbench pub|sub [--option value ...]");
    int pub = strcmp(argv[1], "pub") == 0;
    int port = atoi(opt(argc, argv, "--port", "1883"));
    mosquitto_lib_init();
    char id[64];
    snprintf(id, sizeof id, "bench-%s-%d", argv[1], (int)getpid());
    struct mosquitto *m = mosquitto_new(id, true, NULL);
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_max_inflight_messages_set(m, 0);  /* the window below bounds it */
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_message_callback_set(m, on_message);
    if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) die("mosquitto_connect failed");
    mosquitto_loop_start(m);
    pthread_mutex_lock(&lock);
    while (!connected) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    if (connected < 0) die("connection refused");
    if (pub) {
        frame_t *frames;
        size_t n = load_frames(opt(argc, argv, "--frames", ""), (size_t)atol(opt(argc, argv, "--count", "1000000000")), &frames);
        long window = atol(opt(argc, argv, "--window", "1000"));
        uint64_t rate = (uint64_t)atol(opt(argc, argv, "--rate", "0"));
        const char *topic = opt(argc, argv, "--topic", "alerts/x");
        uint64_t start = now_ns();
        for (size_t i = 0; i < n; i++) {
            if (rate) { uint64_t due = start + i * 1000000000ull / rate, now; while ((now = now_ns()) < due) usleep((useconds_t)((due - now) / 1000)); }
            pthread_mutex_lock(&lock);
            while (inflight >= window) pthread_cond_wait(&cond, &lock);
            inflight++;
            pthread_mutex_unlock(&lock);
            int mid = (int)(i % 65535) + 1;  /* libmosquitto numbers messages 1, 2, ... 65535, 1 */
            uint64_t now = now_ns();
            sent_at[mid] = now;
            patch_ts(frames[i].data + frames[i].ts, now);
            int got;
            if (mosquitto_publish(m, &got, topic, (int)frames[i].len, frames[i].data, 1, false) != MOSQ_ERR_SUCCESS) die("publish failed");
            if (got != mid) die("unexpected message id");
        }
        pthread_mutex_lock(&lock);
        while (acked < (long)n) pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
        uint64_t end = now_ns();
        write_samples(&samples, opt(argc, argv, "--samples", NULL));
        printf("RESULT role=pub mode=mqtt sent=%zu acked=%ld nacks=0 start_ns=%llu end_ns=%llu\n", n, acked,
               (unsigned long long)start, (unsigned long long)end);
    } else {
        expect = atol(opt(argc, argv, "--expect", "0"));
        uint64_t idle = (uint64_t)atol(opt(argc, argv, "--idle", "30")) * 1000000000ull;
        mosquitto_subscribe(m, NULL, "alerts/#", 1);
        const char *ready = opt(argc, argv, "--ready-file", NULL);
        if (ready) { usleep(300000); FILE *f = fopen(ready, "w"); if (f) fclose(f); }
        last_msg_ns = now_ns();
        pthread_mutex_lock(&lock);
        while ((long)seen.distinct < expect && now_ns() - last_msg_ns < idle) {
            struct timespec t; clock_gettime(CLOCK_REALTIME, &t); t.tv_sec += 1;
            pthread_cond_timedwait(&cond, &lock, &t);
        }
        pthread_mutex_unlock(&lock);
        write_samples(&samples, opt(argc, argv, "--samples", NULL));
        printf("RESULT role=sub mode=mqtt received=%zu duplicates=%zu first_ns=%llu last_ns=%llu\n", seen.distinct, seen.dups,
               (unsigned long long)first_ns, (unsigned long long)last_ns);
    }
    fflush(stdout);
    mosquitto_disconnect(m);
    mosquitto_loop_stop(m, true);
    return 0;
}
