// SPDX-License-Identifier: BSD-3-Clause
/* format-example.c -- doc/format.md's worked example is the format */
/*
 * Proves: the hex dumps of doc/format.md, section 11 (a slot entry, a
 * segment header and three records, checksums included) are what
 * lib/layout.h and the checksum rules of section 8 give, and what
 * rec_prepare() (lib/record.c) writes. Every line of every dump is
 * built here from the structs and libxxhash, and must appear in the
 * document as printed: a change of layout or checksum that the document
 * does not follow fails here, with the line the document should hold.
 * The document's path is the first argument (tests/unit/meson.build).
 */
#include <string.h>
#include <xxhash.h>

#include "t.h"
#include "layout.h"
#include "record.h"

/* the example's segment: one 4 MiB slot, id 1, this pool's uuid */
#define SEG_ID 1
#define SEG_SIZE 0x400000ULL
static const uint8_t uuid[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

static char *doc;
static unsigned missing;

/* the document holds the line "OOOO  hh hh ..." for bytes p[0, n) at off */
static void expect_dump(uint64_t off, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
		char line[128];
		int o = snprintf(line, sizeof(line), "\n%04llx ",
				 (unsigned long long)(off + i));

		for (size_t j = i; j < n && j < i + 16; j++)
			o += snprintf(line + o, sizeof(line) - (size_t)o,
				      " %02x", p[j]);
		if (!strstr(doc, line)) {
			printf("# doc/format.md lacks:%s\n", line);
			missing++;
		}
	}
}

/* XXH3_64bits of the header's bytes [8, 48) followed by the key (section 8) */
static uint64_t hcsum(const struct pmkv_record *r, const void *key)
{
	uint8_t b[sizeof(*r) - 8 + 16];

	memcpy(b, (const uint8_t *)r + 8, sizeof(*r) - 8);
	memcpy(b + sizeof(*r) - 8, key, r->klen);
	return XXH3_64bits(b, sizeof(*r) - 8 + r->klen);
}

/*
 * A record of the example at segment offset pos in seg, built field by
 * field as section 6 says; rec_prepare() must agree with it
 */
static void record(uint8_t *seg, uint64_t pos, uint64_t version,
		   const char *key, const uint8_t *val, uint32_t vlen,
		   uint32_t flags)
{
	struct pmkv_record *r = (void *)(seg + pos), want;
	uint32_t klen = (uint32_t)strlen(key);

	memset(r, 0, sizeof(*r));
	r->version = version;
	r->segment_id = SEG_ID;
	r->klen = klen;
	r->vlen_flags = vlen | flags;
	r->batch_count = 0;
	r->offset = (uint32_t)pos;
	r->vcsum = XXH3_64bits(val, vlen);
	memcpy(seg + pos + sizeof(*r), key, klen);
	if (vlen)
		memcpy(seg + record_value_at(pos, klen, vlen), val, vlen);
	r->hcsum = hcsum(r, key);

	rec_prepare(&want, version, SEG_ID, pos, key, klen, vlen,
		    rec_vcsum(val, vlen), flags, 0);
	if (memcmp(&want, r, sizeof(want)))
		T_FAIL("record at %llu: rec_prepare() writes another header than section 6 describes",
		       (unsigned long long)pos);
}

int main(int argc, char **argv)
{
	static uint8_t seg[0x12000];
	static uint8_t big[65536];
	struct pmkv_slot e = { 0 };
	struct pmkv_segment *h = (void *)seg;
	FILE *f;
	long n;

	if (argc != 2)
		t_skip("needs doc/format.md as its argument (meson passes it)");
	f = fopen(argv[1], "r");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		T_FAIL("%s: cannot read it", argv[1]);
	doc = calloc(1, (size_t)n + 1);
	if (!doc || fread(doc, 1, (size_t)n, f) != (size_t)n)
		T_FAIL("%s: cannot read it", argv[1]);
	fclose(f);

	/* section 4: the slot entry, checksum over bytes [8, 24) */
	e.state = PMKV_SLOT_LIVE;
	e.id = SEG_ID;
	e.span = 1;
	e.csum = XXH64((const uint8_t *)&e + 8, 16, 0);
	expect_dump(0, (const uint8_t *)&e, sizeof(e));

	/* section 5: a writer's segment header, checksum over [0, 40) */
	h->magic = PMKV_SEGMENT_MAGIC;
	h->id = SEG_ID;
	h->size = SEG_SIZE;
	memcpy(h->uuid, uuid, sizeof(uuid));
	h->csum = XXH64(h, 40, 0);
	h->reclaim = 0;
	expect_dump(0, seg, sizeof(*h));

	/* section 6: a put, a delete, and a value that starts on a page */
	record(seg, 0x40, 1, "key", (const uint8_t *)"value!", 6, 0);
	T_ASSERT_EQ(record_span(0x40, 3, 6), 64);
	expect_dump(0x40, seg + 0x40, 64);

	record(seg, 0x80, 2, "key", NULL, 0, PMKV_REC_TOMBSTONE);
	T_ASSERT_EQ(record_span(0x80, 3, 0), 56);
	expect_dump(0x80, seg + 0x80, 56);

	memset(big, 0x5a, sizeof(big));
	record(seg, 0xb8, 3, "big", big, sizeof(big), 0);
	T_ASSERT_EQ(record_value_at(0xb8, 3, sizeof(big)), 0x1000);
	T_ASSERT_EQ(record_span(0xb8, 3, sizeof(big)), 69448);
	expect_dump(0xb8, seg + 0xb8, 64);

	if (missing)
		T_FAIL("%u lines of the worked example differ from doc/format.md",
		       missing);
	free(doc);
	return T_EXIT_PASS;
}
