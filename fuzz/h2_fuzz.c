/* The HTTP/2 frame input: a real worker's HTTP/2 connection (src/h2 over
 * the core, a configuration with files, return, 444 and error pages) on
 * one end of a socket pair gets the preface and the input as its client's
 * bytes, then the client's end of stream; the loop runs until the
 * connection is over. Whatever the frames say, hush must neither crash nor
 * leak (ASan), and every connection must end. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "http/internal.h"
#include "modules.h"

static const char conf_text[] =
    "daemon off;\n"
    "error_log /dev/null;\n"
    "events { worker_connections 64; }\n"
    "http {\n"
    "  access_log off;\n"
    "  http2_flood_limit ping_flood 20 1s;\n"
    "  server {\n"
    "    listen 127.0.0.1:1 http2;\n"
    "    root /tmp;\n"
    "    location = /r { return 200 \"x\"; }\n"
    "    location = /d { return 444; }\n"
    "    location = /e { return 418; }\n"
    "    error_page 404 /r;\n"
    "  }\n"
    "}\n";

static hs_config *conf;

static void setup(void)
{
    char path[] = "/tmp/hush-h2-fuzz-XXXXXX", err[512];
    int fd = mkstemp(path);
    REQUIRE(fd >= 0 && write(fd, conf_text, sizeof(conf_text) - 1) == (ssize_t)sizeof(conf_text) - 1);
    close(fd);
    hs_modules_init();
    conf = hs_config_load(path, "/tmp", NULL, err, sizeof(err));
    unlink(path);
    if (conf == NULL)
        fprintf(stderr, "%s\n", err);
    REQUIRE(conf != NULL && hs_loop_init() == 0);
    hs_modules_worker_start(conf);
}

static void drain(int fd)
{
    char buf[65536];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    if (conf == NULL)
        setup();
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    hs_listener l;
    memset(&l, 0, sizeof(l));
    struct sockaddr_storage peer = {.ss_family = AF_INET};
    REQUIRE(write(sv[1], preface, sizeof(preface) - 1) == sizeof(preface) - 1);
    if (size && write(sv[1], data, size) < 0)
        return 0; /* larger than the socket holds: not an input for this target */
    shutdown(sv[1], SHUT_WR);
    hs_conn_start(&l, sv[0], &peer, sizeof(struct sockaddr_in), &conf->http->groups[0], 1);
    for (int i = 0; i < 50 && hs_http_active_connections() > 0; i++) {
        hs_loop_once(0);
        drain(sv[1]);
    }
    close(sv[1]);
    hs_http_close_all(HS_END_SHUTDOWN); /* a connection still waiting (a held stream) */
    hs_loop_once(0);
    REQUIRE(hs_http_active_connections() == 0);
    return 0;
}
