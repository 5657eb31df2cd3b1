/* Tests for src/parse/tls_hello.c. ClientHellos captured on loopback from
 * the clients on this machine (their SNI, ALPN, versions and JA4: the README
 * documents these JA4 values), JA4's published vectors, hellos built here
 * (GREASE, split records, each malformation the parser names) and input
 * that is not TLS. Every case is parsed from a buffer that ends right
 * before a PROT_NONE page (an over-read faults), and so is every strict
 * prefix: a valid hello must be HS_AGAIN for each, an invalid one HS_AGAIN
 * or the same outcome, never anything else. */
#include "parse/tls_hello.h"
#include "unit.h"

#include <sys/mman.h>
#include <unistd.h>

/* ---- hellos captured on loopback (some are fuzz/corpus/tls_hello/ too) ---- */

/* openssl s_client -connect 127.0.0.1:PORT -servername localhost: 315 bytes */
static const char hex_s_client13[] =
    "160301013601000132030312ecf7eee27e0df5dbdaa67b35e015021534e79781e5a3dc562b63d7752dcbca20"
    "2a8bc655a64c8a8565327488df4c7f5ed522d546c5855fc105c7271a9b53f115003e130213031301c02cc030"
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"
    "003c0035002f00ff010000ab0000000e000c0000096c6f63616c686f7374000b000403000102000a00160014"
    "001d0017001e0019001801000101010201030104002300000016000000170000000d002a0028040305030603"
    "080708080809080a080b080408050806040105010601030303010302040205020602002b0009080304030303"
    "020301002d00020101003300260024001d0020774bd3deb03e0f4e9f5a48c165599406c37b4d33c596bfb9e3"
    "e97199abec6545";

/* the same with -tls1_2: 206 bytes */
static const char hex_s_client12[] =
    "16030100c9010000c5030345b3c9dd217c1f2d9be20b1a8ebfe558f7400643dea0e420623fe7df8b06e49400"
    "0038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033"
    "009d009c003d003c0035002f00ff010000640000000e000c0000096c6f63616c686f7374000b000403000102"
    "000a000c000a001d0017001e00190018002300000016000000170000000d002a002804030503060308070808"
    "0809080a080b080408050806040105010601030303010302040205020602";

/* curl https://localhost:PORT/ (ALPN h2, http/1.1): 517 bytes */
static const char hex_curl[] =
    "1603010200010001fc030368b89f12d658d52632699ef3276e7435845deba273a171a9b764bc99db475d7b20"
    "460fbedad4b5ecd6b2bea0e1f1c1b92752ed2de51716acf01c003af1c366d6a6003e130213031301c02cc030"
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"
    "003c0035002f00ff010001750000000e000c0000096c6f63616c686f7374000b000403000102000a00160014"
    "001d0017001e00190018010001010102010301040010000e000c02683208687474702f312e31001600000017"
    "000000310000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301"
    "0302040205020602002b0009080304030303020301002d00020101003300260024001d002032f2338b741350"
    "5cafbe9060ba75762beb0e0a3b5f877521fda476cc2fdbee08001500b4000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000";

/* curl --http1.1 https://localhost:PORT/: 517 bytes */
static const char hex_curl_h11[] =
    "1603010200010001fc0303738679fc2f7a29bf842ecaf6082fc2a263d18a0d8f44bef5cf7fe2221bdae32120"
    "4211b5c4ddf1f2dc09b00b16a182d7c4de5ddf50315d8f12e324d762532b8f20003e130213031301c02cc030"
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"
    "003c0035002f00ff010001750000000e000c0000096c6f63616c686f7374000b000403000102000a00160014"
    "001d0017001e00190018010001010102010301040010000b000908687474702f312e31001600000017000000"
    "310000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301030204"
    "0205020602002b0009080304030303020301002d00020101003300260024001d0020cccccf3b02f924ac1388"
    "40e8ed8b1a38d668fa1521dfb84baed6bb031fffa820001500b7000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000";

/* Python 3.11: ssl.create_default_context().wrap_socket(s,
 * server_hostname='localhost'): 517 bytes */
static const char hex_python[] =
    "1603010200010001fc0303c02d4c950c7c854c4e6e404be7e6637d62d93aba2af23c83a0966f1b69bd3d0520"
    "cc9b87fa785082e229ba31dab761cb031a45d394fae20eb7759c57d3fea12a3e003e130213031301c02cc030"
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"
    "003c0035002f00ff010001750000000e000c0000096c6f63616c686f7374000b000403000102000a00160014"
    "001d0017001e0019001801000101010201030104002300000016000000170000000d002a0028040305030603"
    "080708080809080a080b080408050806040105010601030303010302040205020602002b0009080304030303"
    "020301002d00020101003300260024001d002084040176a0ed760d38a22ec160222bfaee873bc01d24da56af"
    "1fbf853af0e90a001500c6000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000";

/* the same after set_alpn_protocols(['h2', 'http/1.1']): 517 bytes */
static const char hex_python_alpn[] =
    "1603010200010001fc030339ffe7e9c7dda3921e4c7bd61c909bd84fda49923ef5f9aa50b692cc9037b68320"
    "ac75889176d524321914365529f7d6f3ee46eb5c6ebeaad66236741b54f2dc5d003e130213031301c02cc030"
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"
    "003c0035002f00ff010001750000000e000c0000096c6f63616c686f7374000b000403000102000a00160014"
    "001d0017001e0019001801000101010201030104002300000010000e000c02683208687474702f312e310016"
    "000000170000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301"
    "0302040205020602002b0009080304030303020301002d00020101003300260024001d0020e9debef0aa0878"
    "0a1a89d3c015ba32bad42263e8d2f55a87ac1f2196dac0d81e001500b4000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000";

/* chromium 156 --headless https://localhost:PORT/ (GREASE everywhere,
 * extensions shuffled): 2013 bytes */
static const char hex_chromium[] =
    "16030107d8010007d4030314ac02c1dddc493116b4674c900532867df85bee4871dec453d200a0c419f4de20"
    "8dd5f1290de6614ee3400eb6b96b64c34f09ee55b52ecaa8e1093a6a07db2efc00207a7a130113021303c02b"
    "c02fc02cc030cca9cca8c013c014009c009d002f00350100076b1a1a000000120000ff01000100000d001a00"
    "184a4a090409050906040308040401050308050501080606010000000e000c0000096c6f63616c686f7374ca"
    "3400ba00b80582df1302010582df1302060582df13020d0582df13020e0582df13020f0582df1302120582df"
    "1302130582df13021408839a648c9b2d010708839a648c9b2d010808839a648c9b2d010908839a648c9b2d01"
    "0a08839a648c9b2d010b08839a648c9b2d010c08839a648c9b2d010d08839a648c9b2d011208839a648c9b2d"
    "011304d679090104d679090404d679090504d679090604d679090704d679090804d679090a04d679090b04d6"
    "79090c04d679090d04d679090f002b0007066a6a03040303003304ef04ed3a3a00010011ec04c075262b00b9"
    "78e7d118d18283406b908cf5798b440f2ac73f77aa108b300f2c9a182327773c5269590a51bd59c69ce367c8"
    "db28c46c6d05f3815db738827a2db096cf51b704e2c8c9ff5ab833640f0602907fe082fd728364249cc72a8c"
    "23431ca1969bdf8b05c49312bc92913c74b3ef66420d4444c1007dcbd9ae9330c98fd1559445650fc0c4dce3"
    "57a699b929129f4e566118803d4e910fc128a975761986a078ba66013188ac51d66abd122a496151c749bd85"
    "9c74d161178b27b224278232690b4aab1176b957221b02f6e1864992c4d446c044a52d5c423157704b73797f"
    "3d3c2a665067b512448791367a2225edd7401f5473a959a1815a6f78e15d66590e7af7951049270342aafac0"
    "8bb9ba6e4a41476348bcfa5639943083c6a652d2472245578005636ba6db97ad80170c8abcd764593b02c88f"
    "94b4653a7237c61271136d73e8a8e2b51ebc338ae7752cbb36180757cb5e8310ecd962fddbabeb538b3108ad"
    "2e2c9378348b5dcc9611d8ad9100454683b32bc35014c951ba6750f540b0e2cbc2847b1c07900d4757c4a6b7"
    "c1ef07b8224396e5b744d3d265bf5093100c5aff37a2eb0b7677b74dfa584020caba8290c9c631ab23a249b7"
    "99b70583539035b21742673896a3231c3ab5b5445df447f283a2e2f7161bab3a5c2792086c54795b4734d88f"
    "db76093fe961a7c5934dc0a1316a4938055d752c3abedc763d3a13cc673bfe511a96278f2a91125ba9cfe623"
    "90ea4a12bbb36fea160072b96bb36a63d8f6750f150f4e262a58b3062a866a564a397ed21316067053a39988"
    "d30307d48d4552a13a45a9b9b9028b31c36aa3b80a523a1870c072a8b280729c9d4c3eeda407a5e01805750b"
    "4e460c513ba6cc46bbfcf03e271b90bde5c0eda998d5a94c84367db8e9a079c4cf938c517fd30496f71a6226"
    "010bf8bb81817cf35425bae52cdbc32b03939325ea3b729a7f253809d4c1bc092417add4c98ca11794801087"
    "e39de62c9b9bfa53392a7e067acf42659274f3a9f49073cd7a550c1667f6e94b7612a1ae0657f1100681cb9b"
    "5e1a0342884af0a514accc5ab03c912b161b70cb4eaf276f7c993111031ca8e72cbe2a264b13caf3c264bef2"
    "839b5b55da332e11207133193881240ef13bc1a5174aebb16fb6c8724669a014e4676f72673343a21c2a43b1"
    "ab49ed71cf70d0005b443dceb1864d4b28e2c574fd2c9b4556910d5a40826b68a42a44bd140b997a8432a545"
    "fdb032f668160c805ec11a88622abe15894a1b646937c30e5c28a0d2b09d25248c7c825318252589785c0994"
    "0e288a6dd7f32c743c7118204084169b95d94cd6580151a617c0106532529e7750aafb5873c326391782562f"
    "3613a9a380a4049634913b44128e4a5586e60abd484744e2661e65e7165d3741a83371c65680fc16822439aa"
    "bc4b4221290b182476065313254cb221b02373250d55495be0133deb9c3c98819c0e880cbf73040ee31f5640"
    "7edf176e79571bb301383fe641b6a9299052b5c4628bb03a8af268961cc9370fccc647439fb1d157689a8d7f"
    "1106b3ab0a01b3af90660730a20136a53081158d4e75357f9b72f7087727d90bbf1615623b0a346c89cbd949"
    "40f411140b953974bbbd9d436d781deed2038545c72d71c5308a027ca82e9c2c431566d044f456eb068a7a94"
    "500cc67dcee4a1416cc7b59af0f4e589f9caf76ceae933001d0020a8543838c59acc2d1c706619ab9385f889"
    "67d8d5124216301e5f403639c92913fe0d011a00000100010800206fcf6d947075d21839f7322c01d7b291e0"
    "f2ca863f3bdaf92de5a4f62159b87500f0a30200c0219127c7ff6e0b31bdfe454b7eedec5d5efbb701448edf"
    "7e48568c1f7417941050201c73edf1f0c157223344f7b16f125b98096edb33bb795f9e1a059618b095cd6652"
    "d9e165ed426616489c7a35fbbafdf3da9ab7924cbc1800257bd567e36199e21997737663044d1dede11c8eef"
    "5a9518ac8bdbb7229790f74d9dc9c5f53ea7bfb9e1acbe933d24947d1aadff214603d11bea647837c69cdb72"
    "f6a2c56b4f356fa53ed43fc6ffdf6f16591b0fb6890a0e6980b2e50089320581e5367537e8c4de386ba31e76"
    "5030b70605759818f232ad8e832b34d4f6ae9df4a32d6fea3e04ec4924e2e9d6096d4aade644cd0005000302"
    "6832000a000c000a3a3a11ec001d0017001800170000002d000201010010000e000c02683208687474702f31"
    "2e31001b000302000200050005010000000000230000000b000201007a7a000100";

/* ---- guard-page harness ------------------------------------------------ */

static uint8_t *guard_base; /* start of the readable pages */
static size_t guard_size;   /* readable bytes before the PROT_NONE page */

static void guard_init(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guard_size = 2 * HS_TLS_HELLO_WIRE_MAX + page - 2 * HS_TLS_HELLO_WIRE_MAX % page;
    guard_base = mmap(NULL, guard_size + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED || mprotect(guard_base + guard_size, page, PROT_NONE)) {
        perror("mmap");
        exit(2);
    }
}

/* Copy n bytes so that they end exactly at the guard page. */
static const uint8_t *guarded(const uint8_t *in, size_t n)
{
    uint8_t *dst = guard_base + guard_size - n;
    memmove(dst, in, n);
    return dst;
}

static hs_tls_hello H;  /* the last case's full parse */
static hs_tls_hello Hk; /* its prefixes' */

static bool in_msg(const hs_tls_hello *h, hs_str s)
{
    return (const uint8_t *)s.p >= h->msg && (const uint8_t *)s.p + s.n <= h->msg + h->msg_len;
}

/* What every HS_OK must satisfy, whatever the input. */
static void check_ok(int line, size_t n)
{
    int before = unit_failures;
    CHECK(H.consumed <= n && H.consumed >= 5 + H.msg_len && H.msg_len >= 4);
    CHECK(H.nrecords >= 1 && H.nrecords <= HS_TLS_MAX_RECORDS);
    CHECK(H.nalpn <= H.alpn_offered && H.nalpn <= HS_TLS_MAX_ALPN);
    CHECK(H.has_alpn == (H.alpn_offered > 0));
    for (size_t i = 0; i < H.nalpn; i++)
        CHECK(in_msg(&H, H.alpn[i]) && H.alpn[i].n > 0);
    CHECK(H.sni_len == strlen(H.sni) && (H.sni_len > 0) == H.has_sni);
    char ja4[HS_TLS_JA4_LEN + 1];
    hs_tls_ja4(&H, ja4);
    CHECK_INT(strlen(ja4), HS_TLS_JA4_LEN);
    if (unit_failures != before)
        fprintf(stderr, "  in the case at line %d\n", line);
}

/* Parse in[0..n) and all its strict prefixes; returns the full parse's code
 * with H filled. */
static int parse_case(int line, const uint8_t *in, size_t n)
{
    int before = unit_failures;
    int rc = hs_tls_hello_parse(guarded(in, n), n, &H);
    size_t upto = rc == HS_OK ? H.consumed : n;
    for (size_t k = 0; k < n; k++) {
        int rck = hs_tls_hello_parse(guarded(in, k), k, &Hk);
        if (k < upto ? rck == HS_AGAIN || (rck == rc && rc != HS_OK) : rck == rc)
            continue;
        unit_failures++;
        fprintf(stderr, "%s:%d: prefix of %zu/%zu bytes: rc %d (%s), full rc %d\n", __FILE__,
                line, k, n, rck, rck == HS_ERROR ? Hk.error : "-", rc);
        break;
    }
    unit_checks++;
    if (rc == HS_OK)
        check_ok(line, n);
    if (rc == HS_ERROR && !H.error) {
        unit_failures++;
        fprintf(stderr, "%s:%d: HS_ERROR without a reason\n", __FILE__, line);
    }
    if (unit_failures != before)
        fprintf(stderr, "  in the case at line %d (rc %d: %s)\n", line, rc,
                rc == HS_ERROR ? H.error : "-");
    return rc;
}

#define PARSE(in, n) parse_case(__LINE__, in, n)

static void expect_error(int line, const uint8_t *in, size_t n, const char *why)
{
    int rc = parse_case(line, in, n);
    unit_checks++;
    if (rc != HS_ERROR || strcmp(H.error, why) != 0) {
        unit_failures++;
        fprintf(stderr, "%s:%d: expected error \"%s\", got rc %d (%s)\n", __FILE__, line, why,
                rc, rc == HS_ERROR ? H.error : "-");
    }
}

#define ERR(in, n, why) expect_error(__LINE__, in, n, why)

static size_t from_hex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ---- building hellos ----------------------------------------------------- */

static uint8_t M[2 * HS_TLS_HELLO_MAX]; /* a handshake message being built */
static size_t M_n;
static size_t ext_at; /* offset of the extension block's length */
static uint8_t W[2 * HS_TLS_HELLO_WIRE_MAX]; /* M in records */

static void put8(unsigned v) { M[M_n++] = (uint8_t)v; }

static void put16(unsigned v)
{
    put8(v >> 8 & 0xff);
    put8(v & 0xff);
}

static void put(const void *p, size_t n)
{
    memcpy(M + M_n, p, n);
    M_n += n;
}

static void set16(size_t at, size_t v)
{
    M[at] = (uint8_t)(v >> 8);
    M[at + 1] = (uint8_t)v;
}

/* The message up to its extension block: legacy_version, a random, an empty
 * session id, the cipher suites and the null compression method. */
static void hello_begin(uint16_t legacy, const uint16_t *ciphers, size_t n)
{
    M_n = 0;
    put8(1);
    put8(0);
    put16(0); /* the length: hello_end */
    put16(legacy);
    for (int i = 0; i < 32; i++)
        put8(0x11);
    put8(0);
    put16((unsigned)(2 * n));
    for (size_t i = 0; i < n; i++)
        put16(ciphers[i]);
    put8(1);
    put8(0);
    ext_at = M_n;
    put16(0);
}

static void ext(uint16_t type, const void *data, size_t n)
{
    put16(type);
    put16((unsigned)n);
    put(data, n);
}

static void ext_sni(const char *name)
{
    size_t n = strlen(name);
    put16(HS_TLS_EXT_SERVER_NAME);
    put16((unsigned)(n + 5));
    put16((unsigned)(n + 3));
    put8(0);
    put16((unsigned)n);
    put(name, n);
}

/* ALPN with comma-separated names. */
static void ext_alpn(const char *names)
{
    put16(HS_TLS_EXT_ALPN);
    size_t at = M_n;
    put16(0);
    put16(0);
    for (const char *p = names; *p;) {
        size_t n = strcspn(p, ",");
        put8((unsigned)n);
        put(p, n);
        p += n + (p[n] == ',');
    }
    set16(at, M_n - at - 2);
    set16(at + 2, M_n - at - 4);
}

/* A list of 16-bit values behind a `width`-byte length. */
static void ext_u16s(uint16_t type, int width, const uint16_t *v, size_t n)
{
    put16(type);
    put16((unsigned)(width + 2 * n));
    if (width == 1)
        put8((unsigned)(2 * n));
    else
        put16((unsigned)(2 * n));
    for (size_t i = 0; i < n; i++)
        put16(v[i]);
}

/* Ends the message after n bytes: its header's length. */
static size_t finish(size_t n)
{
    M_n = n;
    M[1] = (uint8_t)((M_n - 4) >> 16);
    set16(2, M_n - 4);
    return M_n;
}

/* Fills in the lengths; without_block: drop the (empty) extension block. */
static size_t hello_end(bool without_block)
{
    if (without_block)
        return finish(ext_at);
    set16(ext_at, M_n - ext_at - 2);
    return finish(M_n);
}

/* M in records of at most `piece` bytes (and 2^14); returns the wire length. */
static size_t wrap(size_t piece)
{
    size_t n = 0;
    if (piece == 0 || piece > 16384)
        piece = 16384;
    for (size_t off = 0; off < M_n;) {
        size_t k = M_n - off < piece ? M_n - off : piece;
        uint8_t head[5] = {22, 3, 1, (uint8_t)(k >> 8), (uint8_t)k};
        memcpy(W + n, head, 5);
        memcpy(W + n + 5, M + off, k);
        n += 5 + k;
        off += k;
    }
    return n;
}

/* hello_end + wrap in one record. */
static size_t built(void)
{
    hello_end(false);
    return wrap(0);
}

/* ---- JA4's published vectors ------------------------------------------- */

/* docs/design.md 6 and FoxIO's technical_details/JA4.md */
#define VEC_RAW                                                                        \
    "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,"  \
    "cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,"  \
    "0804,0401,0503,0805,0501,0806,0601"
#define VEC_JA4 "t13d1516h2_8daaf6152771_d8a2da3f94cd"

static void check_hash(const char *section, const char *want)
{
    char out[13];
    hs_tls_ja4_hash(section, strlen(section), out);
    CHECK_STR(out, want);
}

static void test_ja4_hash(void)
{
    check_hash("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9",
               "8daaf6152771");
    check_hash("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,"
               "0804,0401,0503,0805,0501,0806,0601",
               "e5627efa2ab1");
    check_hash("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01",
               "6d807ffa2a79");
    check_hash("0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,"
               "0804,0401,0503,0805,0501,0806,0601",
               "d8a2da3f94cd");
    check_hash("", "000000000000");
}

/* design.md's vector as a hello: ciphers and extensions in the order a
 * browser sends them (or reversed), optionally with GREASE in every list. */
static size_t build_vector(bool grease, bool reverse)
{
    static const uint16_t ciphers[] = {0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                       0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                       0x009c, 0x009d, 0x002f, 0x0035};
    static const uint16_t versions[] = {0x1a1a, 0x0304, 0x0303};
    static const uint16_t sigalgs[] = {0x3a3a, 0x0403, 0x0804, 0x0401, 0x0503,
                                       0x0805, 0x0501, 0x0806, 0x0601};
    static const uint16_t order[] = {0x0a0a, 0x001b, 0x0000, 0x0033, 0x0010, 0x44cd,
                                     0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
                                     0x002b, 0xff01, 0x000b, 0x000a, 0xfe0d, 0xfafa};
    size_t g = grease ? 0 : 1, n = HS_ARRAY_LEN(order);
    hello_begin(0x0303, ciphers + g, HS_ARRAY_LEN(ciphers) - g);
    for (size_t i = g; i < n - g; i++) {
        uint16_t t = order[reverse ? n - 1 - i : i];
        if (t == 0x0000)
            ext_sni("example.com");
        else if (t == 0x0010)
            ext_alpn("h2,http/1.1");
        else if (t == 0x002b)
            ext_u16s(t, 1, versions + g, HS_ARRAY_LEN(versions) - g);
        else if (t == 0x000d)
            ext_u16s(t, 2, sigalgs + g, HS_ARRAY_LEN(sigalgs) - g);
        else
            ext(t, "\0", t == 0xfafa); /* GREASE with a body, the others empty */
    }
    return built();
}

static void test_ja4_vector(void)
{
    char ja4[HS_TLS_JA4_LEN + 1], raw[HS_TLS_JA4_RAW_MAX + 1];
    for (int v = 0; v < 4; v++) {
        size_t n = build_vector(v & 1, v & 2);
        CHECK_INT(PARSE(W, n), HS_OK);
        hs_tls_ja4(&H, ja4);
        CHECK_STR(ja4, VEC_JA4);
        CHECK_INT(hs_tls_ja4_raw(&H, raw), strlen(VEC_RAW));
        CHECK_STR(raw, VEC_RAW);
        CHECK_INT(H.nciphers, (v & 1) ? 16 : 15);
        CHECK_INT(H.nextensions, (v & 1) ? 18 : 16);
        CHECK_INT(H.version, 0x0304);
        CHECK_STR(H.sni, "example.com");
        CHECK_INT(H.nalpn, 2);
        CHECK_SLICE(H.alpn[1], "http/1.1");
    }
}

/* ---- hellos from real clients ------------------------------------------ */

/* Each asked for "localhost". */
static const struct {
    const char *hex, *alpn0, *ja4;
    uint16_t version;
    int nalpn, nciphers, nextensions, nsigalgs;
} real[] = {
    {hex_s_client13, NULL, "t13d311000_e8f1e7e78f70_1f22a2ca17c4", 0x0304, 0, 31, 10, 20},
    {hex_s_client12, NULL, "t12d280700_d943125447b4_e7e480e5a997", 0x0303, 0, 28, 7, 20},
    {hex_curl, "h2", "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6", 0x0304, 2, 31, 12, 20},
    {hex_curl_h11, "http/1.1", "t13d3112h1_e8f1e7e78f70_b26ce05bbdd6", 0x0304, 1, 31, 12, 20},
    {hex_python, NULL, "t13d311100_e8f1e7e78f70_d41ae481755e", 0x0304, 0, 31, 11, 20},
    {hex_python_alpn, "h2", "t13d3112h2_e8f1e7e78f70_d41ae481755e", 0x0304, 2, 31, 12, 20},
    /* FoxIO publishes this JA4 for Chromium 152 (their sigalg-grease.pcap) */
    {hex_chromium, "h2", "t13d1517h2_8daaf6152771_cb7bf5808d99", 0x0304, 2, 16, 19, 12},
};

static uint8_t real_buf[4096];

static void test_real_hellos(void)
{
    char ja4[HS_TLS_JA4_LEN + 1];
    for (size_t i = 0; i < HS_ARRAY_LEN(real); i++) {
        size_t n = from_hex(real[i].hex, real_buf);
        int before = unit_failures;
        CHECK_INT(PARSE(real_buf, n), HS_OK);
        CHECK_INT(H.consumed, n);
        CHECK_INT(H.nrecords, 1);
        CHECK_INT(H.legacy_version, 0x0303);
        CHECK_INT(H.version, real[i].version);
        CHECK_STR(H.sni, "localhost");
        CHECK_INT(H.nalpn, real[i].nalpn);
        if (real[i].alpn0 && H.nalpn)
            CHECK_SLICE(H.alpn[0], real[i].alpn0);
        CHECK_INT(H.nciphers, real[i].nciphers);
        CHECK_INT(H.nextensions, real[i].nextensions);
        CHECK_INT(H.nsigalgs, real[i].nsigalgs);
        hs_tls_ja4(&H, ja4);
        CHECK_STR(ja4, real[i].ja4);
        if (unit_failures != before)
            fprintf(stderr, "  real hello %zu\n", i);
    }
}

static void test_real_raw(void)
{
    char raw[HS_TLS_JA4_RAW_MAX + 1];
    size_t n = from_hex(hex_s_client13, real_buf);
    CHECK_INT(PARSE(real_buf, n), HS_OK);
    hs_tls_ja4_raw(&H, raw);
    CHECK_STR(raw, "t13d311000_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,"
                   "00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,"
                   "c02f,c030,cca8,cca9,ccaa_000a,000b,000d,0016,0017,0023,002b,002d,0033_"
                   "0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,"
                   "0303,0301,0302,0402,0502,0602");
    /* Chromium: GREASE first in the ciphers, twice in the extensions, in the
     * versions and in the signature algorithms; none of it in JA4. */
    n = from_hex(hex_chromium, real_buf);
    CHECK_INT(PARSE(real_buf, n), HS_OK);
    CHECK(hs_tls_is_grease(H.ciphers[0]));
    CHECK(hs_tls_is_grease(H.extensions[0]) && hs_tls_is_grease(H.extensions[18]));
    CHECK(hs_tls_is_grease(H.sigalgs[0]));
    hs_tls_ja4_raw(&H, raw);
    CHECK_STR(raw, "t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,"
                   "c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,"
                   "44cd,ca34,fe0d,ff01_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601");
}

/* ---- records ----------------------------------------------------------- */

/* M in two records, cut after `cut` bytes; returns the wire length. */
static size_t wrap_cut(size_t cut)
{
    size_t rest = M_n - cut;
    uint8_t h1[5] = {22, 3, 1, (uint8_t)(cut >> 8), (uint8_t)cut};
    uint8_t h2[5] = {22, 3, 3, (uint8_t)(rest >> 8), (uint8_t)rest};
    memcpy(W, h1, 5);
    memcpy(W + 5, M, cut);
    memcpy(W + 5 + cut, h2, 5);
    memcpy(W + 10 + cut, M + cut, rest);
    return M_n + 10;
}

/* curl's hello over several records: the same hello. */
static void check_curl_split(int line, size_t w, size_t records)
{
    char ja4[HS_TLS_JA4_LEN + 1];
    int before = unit_failures;
    CHECK_INT(PARSE(W, w), HS_OK);
    CHECK_INT(H.consumed, w);
    CHECK_INT(H.nrecords, records);
    CHECK_STR(H.sni, "localhost");
    CHECK_SLICE(H.alpn[0], "h2");
    hs_tls_ja4(&H, ja4);
    CHECK_STR(ja4, "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6");
    if (unit_failures != before)
        fprintf(stderr, "  split at line %d\n", line);
}

static void test_split(void)
{
    size_t n = from_hex(hex_curl, real_buf);
    M_n = n - 5;
    memcpy(M, real_buf + 5, M_n);
    static const size_t cuts[] = {1, 2, 3, 4, 5, 100, 152, 511}; /* 152: inside the SNI */
    for (size_t i = 0; i < HS_ARRAY_LEN(cuts); i++)
        check_curl_split(__LINE__, wrap_cut(cuts[i]), 2);
    static const size_t pieces[] = {16, 300, 8}; /* 8 bytes: 64 records, the limit */
    for (size_t i = 0; i < HS_ARRAY_LEN(pieces); i++)
        check_curl_split(__LINE__, wrap(pieces[i]), (M_n + pieces[i] - 1) / pieces[i]);
    CHECK_INT(M_n / 8, HS_TLS_MAX_RECORDS);
    ERR(W, wrap(7), "ClientHello in too many records");
}

static void test_after_hello(void)
{
    size_t n = from_hex(hex_s_client12, real_buf);
    /* a ChangeCipherSpec and early data after the hello are not its bytes */
    memcpy(real_buf + n, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x02xy", 13);
    CHECK_INT(PARSE(real_buf, n + 13), HS_OK);
    CHECK_INT(H.consumed, n);
    /* but a longer record is data after the hello in its own record */
    real_buf[4]++;
    ERR(real_buf, n + 1, "data after the ClientHello");
    real_buf[4]--;
    real_buf[8]--; /* the message says it is shorter than the record */
    ERR(real_buf, n, "data after the ClientHello");
    real_buf[8] += 2; /* longer: wait for the next record, and */
    CHECK_INT(PARSE(real_buf, n), HS_AGAIN);
    /* what arrives there must be a handshake record, and parse */
    memcpy(real_buf + n, "\x17\x03\x03\x00\x01\x00", 6);
    ERR(real_buf, n + 6, "record in the ClientHello is not a handshake record");
    memcpy(real_buf + n, "\x16\x02\x03\x00\x01\x00", 6);
    ERR(real_buf, n + 6, "bad record version");
    memcpy(real_buf + n, "\x16\x03\x03\x00\x01\x00", 6);
    ERR(real_buf, n + 6, "bad extension block");
}

static void test_not_tls(void)
{
    static const struct {
        const char *in;
        size_t n;
        int rc;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, HS_DECLINED},
        {"\x80\x2e\x01\x03\x01\x00\x15", 7, HS_DECLINED}, /* SSLv2-style hello */
        {"\x15\x03\x03\x00\x02\x02\x28", 7, HS_DECLINED}, /* an alert first */
        {"\x16\x02\x00\x00\x04", 5, HS_DECLINED},
        {"\x16\x04\x00\x00\x04", 5, HS_DECLINED},
        {"\x16\x03", 2, HS_AGAIN},
        {"\x16\x03\x01\x00", 4, HS_AGAIN},
        {"\x16\x03\x01\x00\x05\x01\x00\x00", 8, HS_AGAIN},
        {"", 0, HS_AGAIN},
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++)
        CHECK_INT(PARSE((const uint8_t *)cases[i].in, cases[i].n), cases[i].rc);
}

static void test_record_errors(void)
{
    ERR((const uint8_t *)"\x16\x03\x01\x00\x00", 5, "empty handshake record");
    ERR((const uint8_t *)"\x16\x03\x01\x00\x04\x02\x00\x00\x00", 9,
        "first handshake message is not a ClientHello");
    ERR((const uint8_t *)"\x16\x03\x01\x00\x04\x01\x00\x3f\xfd", 9, "ClientHello too long");
    ERR((const uint8_t *)"\x16\x03\x01\x40\x01\x01", 6, "ClientHello too long");
    ERR((const uint8_t *)"\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9, "ClientHello too short");
    /* the largest message: a hello padded to HS_TLS_HELLO_MAX bytes */
    static uint8_t pad[HS_TLS_HELLO_MAX];
    static const uint16_t c[] = {0x1301};
    hello_begin(0x0303, c, 1);
    ext(0x0015, pad, HS_TLS_HELLO_MAX - M_n - 4);
    CHECK_INT(hello_end(false), HS_TLS_HELLO_MAX);
    size_t n = wrap(0);
    CHECK_INT(PARSE(W, n), HS_OK);
    CHECK_INT(H.msg_len, HS_TLS_HELLO_MAX);
    M[M_n++] = 0; /* one byte more */
    M[3]++;
    set16(ext_at, M_n - ext_at - 2);
    ERR(W, wrap(4096), "ClientHello too long");
}

/* ---- the message ------------------------------------------------------- */

static const uint16_t one_cipher[] = {0x1301};

/* A hello with the given extension as its only one. */
#define WITH_EXT(type, body)                                                           \
    (hello_begin(0x0303, one_cipher, 1), ext(type, body, sizeof(body) - 1), built())

static void test_body_errors(void)
{
    hello_begin(0x0203, one_cipher, 1);
    ERR(W, built(), "bad ClientHello version");
    hello_begin(0x0303, one_cipher, 1);
    finish(20);
    ERR(W, wrap(0), "ClientHello too short");
    hello_begin(0x0303, one_cipher, 1);
    M[38] = 33; /* session id length */
    ERR(W, built(), "bad session id");
    hello_begin(0x0303, one_cipher, 0);
    ERR(W, built(), "bad cipher suite list");
    hello_begin(0x0303, one_cipher, 1);
    M[40]++; /* an odd cipher suite list */
    ERR(W, built(), "bad cipher suite list");
    hello_begin(0x0303, one_cipher, 1);
    M[44] = 1; /* compression: only method 1 */
    ERR(W, built(), "bad compression methods");
    hello_begin(0x0303, one_cipher, 1);
    M[43] = 0; /* no compression method: the block's length moves up */
    M_n = ext_at = 44;
    put16(0);
    ERR(W, built(), "bad compression methods");
    hello_begin(0x0303, one_cipher, 1);
    ext(0x0017, "", 0);
    hello_end(false);
    M[ext_at + 1]--; /* the block says 3 bytes, 4 follow */
    ERR(W, wrap(0), "bad extension block");
    hello_begin(0x0303, one_cipher, 1);
    ext(0x0017, "", 0);
    hello_end(false);
    M[M_n - 1] = 1; /* the extension says 1 byte, none follows */
    ERR(W, wrap(0), "bad extension");
}

static void test_extension_errors(void)
{
    hello_begin(0x0303, one_cipher, 1);
    ext(0x0017, "", 0);
    ext(0x0017, "", 0);
    ERR(W, built(), "duplicate extension");
    hello_begin(0x0303, one_cipher, 1);
    ext(HS_TLS_EXT_PRE_SHARED_KEY, "", 0);
    ext(0x0017, "", 0);
    ERR(W, built(), "pre_shared_key is not the last extension");
    hello_begin(0x0303, one_cipher, 1);
    ext(0x0017, "", 0);
    ext(HS_TLS_EXT_PRE_SHARED_KEY, "", 0);
    CHECK_INT(PARSE(W, built()), HS_OK);
    ERR(W, WITH_EXT(HS_TLS_EXT_ALPN, "\x00\x00"), "bad ALPN extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_ALPN, "\x00\x03\x02h2\x00"), "bad ALPN extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_ALPN, "\x00\x03\x00\x01x"), "bad ALPN protocol name");
    ERR(W, WITH_EXT(HS_TLS_EXT_ALPN, "\x00\x02\x02h"), "bad ALPN protocol name");
    ERR(W, WITH_EXT(HS_TLS_EXT_SUPPORTED_VERSIONS, "\x03\x03\x04\x03"),
        "bad supported_versions extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SUPPORTED_VERSIONS, "\x00"), "bad supported_versions extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SUPPORTED_VERSIONS, "\x02\x03\x04\x00"),
        "bad supported_versions extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SIGALGS, "\x00\x03\x04\x03\x08"),
        "bad signature_algorithms extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SIGALGS, "\x00\x00"), "bad signature_algorithms extension");
}

static void test_limits(void)
{
    static uint16_t v[HS_TLS_MAX_CIPHERS + 1];
    for (size_t i = 0; i < HS_ARRAY_LEN(v); i++)
        v[i] = (uint16_t)(0x0100 + i);
    char ja4[HS_TLS_JA4_LEN + 1], raw[HS_TLS_JA4_RAW_MAX + 1];
    hello_begin(0x0303, v, HS_TLS_MAX_CIPHERS);
    for (size_t i = 0; i < HS_TLS_MAX_EXTENSIONS - 1; i++)
        ext(v[i], "", 0);
    ext_u16s(HS_TLS_EXT_SIGALGS, 2, v, HS_TLS_MAX_SIGALGS);
    CHECK_INT(PARSE(W, built()), HS_OK);
    hs_tls_ja4(&H, ja4);
    CHECK(strncmp(ja4, "t12i9964", 8) == 0); /* counts stop at 99 */
    CHECK_INT(hs_tls_ja4_raw(&H, raw), 10 + 5 * (HS_TLS_MAX_CIPHERS + HS_TLS_MAX_EXTENSIONS +
                                                HS_TLS_MAX_SIGALGS));
    hello_begin(0x0303, v, HS_TLS_MAX_CIPHERS + 1);
    ERR(W, built(), "too many cipher suites");
    hello_begin(0x0303, v, 1);
    for (size_t i = 0; i < HS_TLS_MAX_EXTENSIONS + 1; i++)
        ext(v[i], "", 0);
    ERR(W, built(), "too many extensions");
    hello_begin(0x0303, v, 1);
    ext_u16s(HS_TLS_EXT_SIGALGS, 2, v, HS_TLS_MAX_SIGALGS + 1);
    ERR(W, built(), "too many signature algorithms");
    hello_begin(0x0303, v, 1);
    ext_alpn("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t");
    CHECK_INT(PARSE(W, built()), HS_OK);
    CHECK_INT(H.nalpn, HS_TLS_MAX_ALPN);
    CHECK_INT(H.alpn_offered, 20);
    CHECK_SLICE(H.alpn[15], "p");
}

static void check_sni(int line, const char *name, const char *want)
{
    hello_begin(0x0303, one_cipher, 1);
    ext_sni(name);
    size_t n = built();
    if (want) {
        unit_checks++;
        if (parse_case(line, W, n) != HS_OK || strcmp(H.sni, want) != 0) {
            unit_failures++;
            fprintf(stderr, "%s:%d: SNI \"%s\": want \"%s\", got \"%s\" (%s)\n", __FILE__, line,
                    name, want, H.sni, H.error ? H.error : "-");
        }
        return;
    }
    CHECK_INT(parse_case(line, W, n), HS_ERROR);
}

#define SNI(name, want) check_sni(__LINE__, name, want)

static void test_sni(void)
{
    char n255[256], n256[257];
    memset(n255, 'a', 255);
    n255[255] = '\0';
    memset(n256, 'a', 256);
    n256[256] = '\0';
    SNI("WWW.Example.COM.", "www.example.com");
    SNI("a", "a");
    SNI("a.", "a");
    SNI("_acme-challenge.xn--bcher-kva.example", "_acme-challenge.xn--bcher-kva.example");
    SNI("192.0.2.1", "192.0.2.1"); /* RFC 6066 forbids it; the DNS check lets it by */
    SNI(n255, n255);
    SNI(n256, NULL);
    SNI("", NULL);
    SNI(".", NULL);
    SNI(".a", NULL);
    SNI("a..b", NULL);
    SNI("a..", NULL);
    SNI("a b", NULL);
    SNI("a/b", NULL);
    SNI("a:443", NULL);
    SNI("[::1]", NULL);
    SNI("caf\xc3\xa9", NULL);
    ERR(W, WITH_EXT(HS_TLS_EXT_SERVER_NAME, "\x00\x04\x01\x00\x01x"),
        "server_name is not a host_name");
    ERR(W, WITH_EXT(HS_TLS_EXT_SERVER_NAME, "\x00\x08\x00\x00\x01x\x00\x00\x01y"),
        "bad server_name extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SERVER_NAME, "\x00\x04\x00\x00\x01x\x00"),
        "bad server_name extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SERVER_NAME, "\x00\x00"), "bad server_name extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SERVER_NAME, "\x00\x04\x00\x00\x02x"),
        "bad server_name extension");
    ERR(W, WITH_EXT(HS_TLS_EXT_SERVER_NAME, "\x00\x03\x00\x00\x00"), "bad server name length");
}

/* ---- JA4 details ------------------------------------------------------- */

static void check_ja4(int line, const char *want)
{
    char ja4[HS_TLS_JA4_LEN + 1];
    unit_checks++;
    if (parse_case(line, W, M_n + 5) != HS_OK) {
        unit_failures++;
        fprintf(stderr, "%s:%d: not parsed: %s\n", __FILE__, line, H.error);
        return;
    }
    hs_tls_ja4(&H, ja4);
    if (strncmp(ja4, want, strlen(want)) != 0) {
        unit_failures++;
        fprintf(stderr, "%s:%d: JA4 %s, want %s...\n", __FILE__, line, ja4, want);
    }
}

#define JA4(want) (built(), check_ja4(__LINE__, want))

/* A hello whose first ALPN name is name[0..n). */
static void alpn_first(const char *name, size_t n)
{
    hello_begin(0x0303, one_cipher, 1);
    put16(HS_TLS_EXT_ALPN);
    put16((unsigned)(n + 3));
    put16((unsigned)(n + 1));
    put8((unsigned)n);
    put(name, n);
}

static void test_ja4_alpn(void)
{
    static const struct {
        const char *name, *want;
    } cases[] = {
        {"h2", "h2"}, {"http/1.1", "h1"}, {"x", "xx"}, {"H3", "H3"},
        /* FoxIO's examples of the hex rule */
        {"\xab", "ab"}, {"\xab\xcd", "ad"}, {"\x30\xab", "3b"}, {"\x30\x31\xab\xcd", "3d"},
        {"\x30\xab\xcd\x31", "01"}, {"-a", "21"}, {"a-", "6d"},
    };
    for (size_t i = 0; i < HS_ARRAY_LEN(cases); i++) {
        char want[16];
        alpn_first(cases[i].name, strlen(cases[i].name));
        snprintf(want, sizeof(want), "t12i0101%s_", cases[i].want);
        JA4(want);
    }
}

static void test_ja4_fields(void)
{
    static const uint16_t grease_only[] = {0x0a0a, 0xfafa};
    static const uint16_t v_draft[] = {0x7f1c}, v_grease[] = {0x5a5a};
    static const uint16_t v_mixed[] = {0x0302, 0x0304, 0x0303};
    hello_begin(0x0301, one_cipher, 1);
    hello_end(true);
    wrap(0);
    check_ja4(__LINE__, "t10i010000_0f2cb44170f4_000000000000"); /* no extension at all */
    hello_begin(0x0300, grease_only, 2);
    hello_end(true);
    wrap(0);
    check_ja4(__LINE__, "ts3i000000_000000000000_000000000000");
    hello_begin(0x0303, one_cipher, 1);
    ext_u16s(HS_TLS_EXT_SUPPORTED_VERSIONS, 1, v_draft, 1);
    JA4("t00i0101");
    hello_begin(0x0303, one_cipher, 1);
    ext_u16s(HS_TLS_EXT_SUPPORTED_VERSIONS, 1, v_grease, 1); /* only GREASE: legacy */
    JA4("t12i0101");
    hello_begin(0x0303, one_cipher, 1);
    ext_u16s(HS_TLS_EXT_SUPPORTED_VERSIONS, 1, v_mixed, 3);
    JA4("t13i0101");
    hello_begin(0x0303, one_cipher, 1);
    ext_sni("a.b");
    ext_alpn("h2");
    JA4("t12d0102h2_0f2cb44170f4_000000000000"); /* only SNI and ALPN: c is empty */
    hello_begin(0x0303, one_cipher, 1);
    ext(0x0017, "", 0);
    JA4("t12i010100_");
    char raw[HS_TLS_JA4_RAW_MAX + 1];
    hs_tls_ja4_raw(&H, raw);
    CHECK_STR(raw, "t12i010100_1301_0017"); /* no signature algorithms: no '_' */
}

int main(void)
{
    guard_init();
    test_ja4_hash();
    test_ja4_vector();
    test_real_hellos();
    test_real_raw();
    test_split();
    test_after_hello();
    test_not_tls();
    test_record_errors();
    test_body_errors();
    test_extension_errors();
    test_limits();
    test_sni();
    test_ja4_alpn();
    test_ja4_fields();
    UNIT_MAIN_END();
}
