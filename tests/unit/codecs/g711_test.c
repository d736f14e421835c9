#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecs/g711.h"
#include "codecs/wav.h"
#include "testutil.h"

/* The Sun reference (g711.c, public domain), written out here as the oracle
 * for every 16-bit sample: segment search by table, not by bit tricks. */
static const int seg_uend[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
static const int seg_aend[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};

static int search(int val, const int *table)
{
  for (int i = 0; i < 8; i++)
    if (val <= table[i])
      return i;
  return 8;
}

static unsigned char ref_linear2ulaw(int pcm_val)
{
  int mask, seg;
  pcm_val = pcm_val >> 2;
  if (pcm_val < 0) {
    pcm_val = -pcm_val;
    mask = 0x7F;
  } else {
    mask = 0xFF;
  }
  if (pcm_val > 8159)
    pcm_val = 8159;
  pcm_val += (0x84 >> 2);
  seg = search(pcm_val, seg_uend);
  if (seg >= 8)
    return (unsigned char)(0x7F ^ mask);
  return (unsigned char)(((seg << 4) | ((pcm_val >> (seg + 1)) & 0xF)) ^ mask);
}

static unsigned char ref_linear2alaw(int pcm_val)
{
  int mask, seg;
  unsigned char aval;
  pcm_val = pcm_val >> 3;
  if (pcm_val >= 0) {
    mask = 0xD5;
  } else {
    mask = 0x55;
    pcm_val = -pcm_val - 1;
  }
  seg = search(pcm_val, seg_aend);
  if (seg >= 8)
    return (unsigned char)(0x7F ^ mask);
  aval = (unsigned char)(seg << 4);
  if (seg < 2)
    aval |= (pcm_val >> 1) & 0xF;
  else
    aval |= (pcm_val >> seg) & 0xF;
  return aval ^ mask;
}

static int ref_ulaw2linear(unsigned char u_val)
{
  int t;
  u_val = ~u_val;
  t = ((u_val & 0xF) << 3) + 0x84;
  t <<= ((unsigned)u_val & 0x70) >> 4;
  return (u_val & 0x80) ? (0x84 - t) : (t - 0x84);
}

static int ref_alaw2linear(unsigned char a_val)
{
  int t, seg;
  a_val ^= 0x55;
  t = (a_val & 0xF) << 4;
  seg = ((unsigned)a_val & 0x70) >> 4;
  switch (seg) {
  case 0:
    t += 8;
    break;
  case 1:
    t += 0x108;
    break;
  default:
    t += 0x108;
    t <<= seg - 1;
  }
  return (a_val & 0x80) ? t : -t;
}

START_TEST(every_code_decodes_like_the_reference)
{
  for (int c = 0; c < 256; c++) {
    ck_assert_int_eq(g711_ulaw_decode1((uint8_t)c), ref_ulaw2linear((unsigned char)c));
    ck_assert_int_eq(g711_alaw_decode1((uint8_t)c), ref_alaw2linear((unsigned char)c));
  }
  /* spot values from G.711's tables */
  ck_assert_int_eq(g711_ulaw_decode1(0x00), -32124);
  ck_assert_int_eq(g711_ulaw_decode1(0x80), 32124);
  ck_assert_int_eq(g711_ulaw_decode1(0xFF), 0);
  ck_assert_int_eq(g711_alaw_decode1(0xD5), 8);
  ck_assert_int_eq(g711_alaw_decode1(0x55), -8);
  ck_assert_int_eq(g711_alaw_decode1(0xAA), 32256);
}
END_TEST

START_TEST(every_sample_encodes_like_the_reference)
{
  int16_t in[256];
  uint8_t out_u[256], out_a[256];
  for (int base = -32768; base < 32768; base += 256) {
    for (int i = 0; i < 256; i++)
      in[i] = (int16_t)(base + i);
    g711_ulaw_encode(in, out_u, 256);
    g711_alaw_encode(in, out_a, 256);
    for (int i = 0; i < 256; i++) {
      ck_assert_uint_eq(out_u[i], ref_linear2ulaw(in[i]));
      ck_assert_uint_eq(out_a[i], ref_linear2alaw(in[i]));
      ck_assert_uint_eq(g711_ulaw_encode1(in[i]), out_u[i]);
      ck_assert_uint_eq(g711_alaw_encode1(in[i]), out_a[i]);
    }
  }
  ck_assert_uint_eq(g711_ulaw_encode1(0), 0xFF);
  ck_assert_uint_eq(g711_ulaw_encode1(-32768), 0x00);
  ck_assert_uint_eq(g711_ulaw_encode1(32767), 0x80);
  ck_assert_uint_eq(g711_alaw_encode1(0), 0xD5);
  ck_assert_uint_eq(g711_alaw_encode1(-1), 0x55);
}
END_TEST

START_TEST(decode_then_encode_is_identity)
{
  for (int c = 0; c < 256; c++) {
    uint8_t code = (uint8_t)c;
    int16_t s;
    g711_decode(G711_ULAW, &code, &s, 1);
    uint8_t back;
    g711_encode(G711_ULAW, &s, &back, 1);
    /* µ-law has two zeros (0x7F and 0xFF); both decode to 0 */
    ck_assert_uint_eq(back, c == 0x7F ? 0xFF : c);
    g711_decode(G711_ALAW, &code, &s, 1);
    g711_encode(G711_ALAW, &s, &back, 1);
    ck_assert_uint_eq(back, c);
  }
  ck_assert_int_eq(g711_ulaw_decode1(g711_silence(G711_ULAW)), 0);
  ck_assert_int_eq(g711_alaw_decode1(g711_silence(G711_ALAW)), 8);
}
END_TEST

/* --- sox as an outside oracle ---------------------------------------------- */

static int mem_write_cb(void *arg, const void *buf, size_t len, uint64_t off)
{
  FILE *f = arg;
  if (fseek(f, (long)off, SEEK_SET) || fwrite(buf, 1, len, f) != len)
    return -5;
  return 0;
}

static bool have_sox(void) { return system("command -v sox >/dev/null 2>&1") == 0; }

/* Every 16-bit value in one mono PCM16 WAV, through `sox -e <enc>` into a
 * G.711 WAV, read back with wav_parse. */
static uint8_t *sox_encode_all(const char *enc, struct wav_info *wi, char *out_path)
{
  char in_path[] = "/tmp/g711_test_in_XXXXXX";
  int fd = mkstemp(in_path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w+b");
  struct wav_writer w;
  ck_assert_int_eq(wav_writer_open(&w, WAV_PCM16, 8000, 1, mem_write_cb, f), 0);
  int16_t blk[256];
  for (int base = -32768; base < 32768; base += 256) {
    for (int i = 0; i < 256; i++)
      blk[i] = (int16_t)(base + i);
    ck_assert_int_eq(wav_writer_put(&w, blk, 256), 0);
  }
  ck_assert_int_eq(wav_writer_close(&w), 0);
  fclose(f);
  strcpy(out_path, "/tmp/g711_test_out_XXXXXX.wav");
  int ofd = mkstemps(out_path, 4);
  ck_assert_int_ge(ofd, 0);
  close(ofd);
  char cmd[512];
  /* -D: no dither, or sox would add noise before reducing to 14/13 bits */
  snprintf(cmd, sizeof cmd, "sox -D -V1 -t wav %s -t wav -e %s %s", in_path, enc, out_path);
  ck_assert_int_eq(system(cmd), 0);
  unlink(in_path);
  size_t len;
  uint8_t *buf = (uint8_t *)tu_read_file(out_path, &len);
  ck_assert_ptr_nonnull(buf);
  const char *why = NULL;
  ck_assert_int_eq(wav_parse(buf, len, wi, &why), 0);
  ck_assert_uint_eq(wi->frames, 65536);
  return buf;
}

START_TEST(sox_agrees_on_every_sample)
{
  if (!have_sox()) {
    ck_abort_msg("sox is not installed");
    return;
  }
  static const struct {
    const char *enc;
    enum wav_format fmt;
    int step; /* input resolution of the law: 14 or 13 bits */
  } laws[] = {{"u-law", WAV_ULAW, 4}, {"a-law", WAV_ALAW, 8}};
  for (size_t l = 0; l < 2; l++) {
    struct wav_info wi;
    char path[64];
    uint8_t *buf = sox_encode_all(laws[l].enc, &wi, path);
    ck_assert_int_eq(wi.format, laws[l].fmt);
    enum g711_law law = laws[l].fmt == WAV_ULAW ? G711_ULAW : G711_ALAW;
    int step = laws[l].step, exact = 0;
    for (int x = -32768; x < 32768; x++) {
      uint8_t sox_code = wi.data[x + 32768];
      /* sox rounds to the law's resolution where the reference truncates:
       * on the law's own grid both agree bit for bit ... */
      int16_t s = (int16_t)x;
      uint8_t ours;
      g711_encode(law, &s, &ours, 1);
      if (x % step == 0) {
        ck_assert_msg(ours == sox_code, "%s x=%d ours=%02x sox=%02x", laws[l].enc, x, ours,
                      sox_code);
        exact++;
      }
      /* ... and everywhere once the input is rounded the way sox does */
      int r = ((x + step / 2) >> (step == 4 ? 2 : 3)) * step; /* floor, as sox */
      if (r > 32767)
        r = 32768 - step;
      int16_t rs = (int16_t)r;
      g711_encode(law, &rs, &ours, 1);
      ck_assert_msg(ours == sox_code, "%s rounded x=%d", laws[l].enc, x);
    }
    ck_assert_int_eq(exact, 65536 / step);
    /* decoding sox's bytes with our tables gives what sox decodes to */
    int16_t dec[256];
    ck_assert_uint_eq(wav_to_pcm16(&wi, dec, 256), 256);
    for (int i = 0; i < 256; i++)
      ck_assert_int_eq(dec[i], law == G711_ULAW ? ref_ulaw2linear(wi.data[i])
                                                : ref_alaw2linear(wi.data[i]));
    free(buf);
    unlink(path);
  }
}
END_TEST

START_TEST(sox_decodes_every_code_like_us)
{
  if (!have_sox()) {
    ck_abort_msg("sox is not installed");
    return;
  }
  static const char *const types[] = {"ul", "al"};
  for (int l = 0; l < 2; l++) {
    char in[] = "/tmp/g711_codes_XXXXXX", out[] = "/tmp/g711_pcm_XXXXXX";
    int fd = mkstemp(in);
    uint8_t codes[256];
    for (int i = 0; i < 256; i++)
      codes[i] = (uint8_t)i;
    ck_assert_int_eq(write(fd, codes, 256), 256);
    close(fd);
    close(mkstemp(out));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sox -V1 -t %s -r 8000 -c 1 %s -t s16 -e signed -b 16 -L %s",
             types[l], in, out);
    ck_assert_int_eq(system(cmd), 0);
    size_t len;
    uint8_t *pcm = (uint8_t *)tu_read_file(out, &len);
    ck_assert_uint_eq(len, 512);
    for (int i = 0; i < 256; i++) {
      int16_t sox_val = (int16_t)(pcm[2 * i] | pcm[2 * i + 1] << 8);
      int16_t ours = l == 0 ? g711_ulaw_decode1((uint8_t)i) : g711_alaw_decode1((uint8_t)i);
      ck_assert_int_eq(ours, sox_val);
    }
    free(pcm);
    unlink(in);
    unlink(out);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("g711");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, every_code_decodes_like_the_reference);
  tcase_add_test(tc, every_sample_encodes_like_the_reference);
  tcase_add_test(tc, decode_then_encode_is_identity);
  tcase_add_test(tc, sox_agrees_on_every_sample);
  tcase_add_test(tc, sox_decodes_every_code_like_us);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
