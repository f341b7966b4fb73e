/* zmq_proxy XSUB -> XPUB, the ceiling of `make bench`: libzmq's own proxy, no ack, no disk.
 * Bounded HWMs (10,000) and ZMQ_XPUB_NODROP, so publishers wait instead of losing messages.
 * usage: zmqproxy XSUB_ENDPOINT XPUB_ENDPOINT [SERVER_SECRET_KEY_Z85_FILE] */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: zmqproxy XSUB XPUB [secret-key-file]\n"); return 2; }
    void *ctx = zmq_ctx_new();
    void *xsub = zmq_socket(ctx, ZMQ_XSUB), *xpub = zmq_socket(ctx, ZMQ_XPUB);
    int hwm = 10000, one = 1;
    void *socks[2] = {xsub, xpub};
    char key[64] = {0};
    if (argc > 3) {
        FILE *f = fopen(argv[3], "r");
        if (!f || !fgets(key, sizeof key, f)) { fprintf(stderr, "cannot read %s\n", argv[3]); return 2; }
        fclose(f);
        key[strcspn(key, "\r\n")] = 0;
    }
    for (int i = 0; i < 2; i++) {
        zmq_setsockopt(socks[i], ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(socks[i], ZMQ_RCVHWM, &hwm, sizeof hwm);
        if (key[0]) {
            zmq_setsockopt(socks[i], ZMQ_CURVE_SERVER, &one, sizeof one);
            if (zmq_setsockopt(socks[i], ZMQ_CURVE_SECRETKEY, key, 40) != 0) { fprintf(stderr, "bad key\n"); return 2; }
        }
    }
    zmq_setsockopt(xpub, ZMQ_XPUB_NODROP, &one, sizeof one);
    if (zmq_bind(xsub, argv[1]) != 0 || zmq_bind(xpub, argv[2]) != 0) { fprintf(stderr, "bind: %s\n", zmq_strerror(zmq_errno())); return 2; }
    zmq_proxy(xsub, xpub, NULL);
    return 0;
}
