/* Writes a synthetic nginx "combined" access log to stdout for the
 * hush-logstat benchmark: N lines (argv[1]), deterministic, with a realistic
 * mix of endings, 20,000 client addresses with a skewed distribution, 2,000
 * paths, query strings, a few dozen user agents and 50 lines per second. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Roughly Zipf: small indices far more often than large ones. */
static unsigned skewed(unsigned n)
{
    double u = (double)(next() % 1000000) / 1e6;
    return (unsigned)((double)n * u * u * u);
}

static const char *const uas[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "curl/8.4.0", "okhttp/4.9.3", "python-requests/2.31.0", "Go-http-client/1.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "sqlmap/1.7.11#stable (https://sqlmap.org)", "masscan/1.3", "zgrab/0.x", "-",
};
static const char *const methods[] = {"GET", "GET", "GET", "GET", "POST", "HEAD", "PUT"};
static const char *const sections[] = {"api", "static", "img", "blog", "shop", "user", "search", "docs"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof(buf));
    time_t t0 = 1795597200; /* 2026-11-25 09:00 UTC */
    for (long i = 0; i < n; i++) {
        time_t t = t0 + i / 50;
        struct tm tm;
        gmtime_r(&t, &tm);
        unsigned ip = skewed(20000), path = skewed(2000), r = (unsigned)(next() % 1000);
        const char *ua = uas[next() % 8];
        int status = 200;
        unsigned long bytes = 200 + next() % 50000;
        char req[160];
        snprintf(req, sizeof(req), "%s /%s/item%u%s HTTP/1.1", methods[next() % 7], sections[path % 8], path,
                 next() % 3 ? "" : "?page=2&sort=asc");
        if (r < 40) {
            status = 444, bytes = 0, ua = uas[10 + next() % 4];
            snprintf(req, sizeof(req), "GET /wp-login.php HTTP/1.1");
        } else if (r < 70) {
            status = 499, bytes = 0;
        } else if (r < 80) {
            status = 408, bytes = 0;
        } else if (r < 90) {
            status = 400, bytes = 0, ua = "-";
            snprintf(req, sizeof(req), "-");
        } else if (r < 100) {
            status = 400, bytes = 157;
            snprintf(req, sizeof(req), "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03");
        } else if (r < 120) {
            status = 502 + (int)(next() % 3), bytes = 157;
        } else if (r < 150) {
            status = 404, bytes = 153;
        } else if (r < 200) {
            status = 304, bytes = 0;
        }
        printf("%u.%u.%u.%u - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"%s\" %d %lu \"%s\" \"%s\"\n",
               10 + ip % 200, ip / 200 % 256, ip * 7 % 256, ip % 251, tm.tm_mday, months[tm.tm_mon],
               tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, req, status, bytes,
               next() % 4 ? "-" : "https://www.example.com/", ua);
    }
    return 0;
}
