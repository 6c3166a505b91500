/* Dataset readers on small files the tests write themselves: IDX plain and
 * gzipped, mnist:DIR layouts, CIFAR-10 batches with a known CHW -> NHWC
 * mapping and the seed's split, npy; and one clear error naming the file for
 * each kind of bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/io_file.h"
#include "pcnn/data.h"
#include "pcnn/npy.h"
#include "test_util.h"

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void write_gz(const char *path, const void *b, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, b, (unsigned)n), (int)n);
    assert_int_equal(gzclose(gz), Z_OK);
}

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* An IDX images file of n rows x cols images; pixel bytes from `seed`. Returns its size. */
static size_t make_idx_images(unsigned char *buf, uint32_t n, uint32_t rows, uint32_t cols, uint64_t seed)
{
    put_be32(buf, 0x00000803);
    put_be32(buf + 4, n);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    test_random_bytes(buf + 16, (size_t)n * rows * cols, seed);
    return 16 + (size_t)n * rows * cols;
}

static size_t make_idx_labels(unsigned char *buf, uint32_t n)
{
    put_be32(buf, 0x00000801);
    put_be32(buf + 4, n);
    for (uint32_t i = 0; i < n; i++)
        buf[8 + i] = (unsigned char)(i % 10);
    return 8 + n;
}

static void expect_refused(const char *spec, pcnn_split split, const char *names, const char *word)
{
    pcnn_dataset d;
    pcnn_status st = pcnn_dataset_load(spec, split, &d);
    print_message("  %-50s -> %s\n", spec, pcnn_last_error());
    assert_int_not_equal(st, PCNN_OK);
    assert_null(d.pixels);
    if (names && !strstr(pcnn_last_error(), names))
        fail_msg("the message does not name %s: %s", names, pcnn_last_error());
    if (word && !strstr(pcnn_last_error(), word))
        fail_msg("the message does not say '%s': %s", word, pcnn_last_error());
}

static void test_idx_plain_and_gzipped_read_the_same(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), plain[512], gz[512], spec[600];
    unsigned char buf[16 + 3 * 5 * 4];
    size_t size = make_idx_images(buf, 3, 5, 4, 11);
    snprintf(plain, sizeof plain, "%s/a-images-idx3-ubyte", dir);
    snprintf(gz, sizeof gz, "%s/b-images-idx3-ubyte.gz", dir);
    write_bytes(plain, buf, size);
    write_gz(gz, buf, size);
    const char *paths[2] = {plain, gz};
    for (int i = 0; i < 2; i++) {
        pcnn_dataset d;
        snprintf(spec, sizeof spec, "idx:%s", paths[i]);
        assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TRAIN, &d), PCNN_OK);
        assert_int_equal(d.n, 3);
        assert_int_equal(d.height, 5);
        assert_int_equal(d.width, 4);
        assert_int_equal(d.channels, 1);
        assert_memory_equal(d.pixels, buf + 16, 60); /* row-major, one byte per pixel */
        pcnn_dataset_free(&d);
    }
    test_rmtree(dir);
    free(dir);
}

static void test_mnist_dir_picks_the_split_and_checks_labels(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[512], spec[600];
    unsigned char train[16 + 6 * 4 * 4], test[16 + 2 * 4 * 4], labels[8 + 6];
    size_t ntrain = make_idx_images(train, 6, 4, 4, 1), ntest = make_idx_images(test, 2, 4, 4, 2);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir); /* one gzipped, one plain */
    write_gz(path, train, ntrain);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", dir);
    write_bytes(path, test, ntest);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    write_gz(path, labels, make_idx_labels(labels, 6));
    snprintf(spec, sizeof spec, "mnist:%s", dir);
    pcnn_dataset d;
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TRAIN, &d), PCNN_OK);
    assert_int_equal(d.n, 6);
    assert_memory_equal(d.pixels, train + 16, ntrain - 16);
    pcnn_dataset_free(&d);
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TEST, &d), PCNN_OK);
    assert_int_equal(d.n, 2);
    assert_memory_equal(d.pixels, test + 16, ntest - 16);
    pcnn_dataset_free(&d);
    assert_true(pcnn_dataset_has_test_split(spec));

    /* 5 labels for 6 images: refused, naming the labels file. */
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    write_gz(path, labels, make_idx_labels(labels, 5));
    expect_refused(spec, PCNN_SPLIT_TRAIN, "train-labels-idx1-ubyte.gz", "5 labels for the 6 images");
    /* A labels file with an images magic. */
    write_gz(path, test, ntest);
    expect_refused(spec, PCNN_SPLIT_TRAIN, "train-labels-idx1-ubyte.gz", "not an IDX labels file");
    /* --split seed is CIFAR-10's. */
    expect_refused(spec, PCNN_SPLIT_SEED_TRAIN, "--split seed", NULL);
    test_rmtree(dir);
    free(dir);
}

static void test_bad_idx_files_refused(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[512], spec[600];
    unsigned char buf[16 + 4 * 3 * 3 + 8];
    size_t size = make_idx_images(buf, 4, 3, 3, 5);
    snprintf(path, sizeof path, "%s/x-images-idx3-ubyte", dir);
    snprintf(spec, sizeof spec, "idx:%s", path);

    buf[3] = 0x02; /* wrong magic */
    write_bytes(path, buf, size);
    expect_refused(spec, PCNN_SPLIT_TRAIN, path, "magic 0x00000802");
    buf[3] = 0x03;

    for (size_t cut = 0; cut < size; cut += 5) { /* truncated anywhere */
        write_bytes(path, buf, cut);
        expect_refused(spec, PCNN_SPLIT_TRAIN, path, "truncated");
    }
    write_bytes(path, buf, size + 3); /* bytes the header does not account for */
    expect_refused(spec, PCNN_SPLIT_TRAIN, path, "wrong image size");
    put_be32(buf + 8, 0); /* zero rows */
    write_bytes(path, buf, size);
    expect_refused(spec, PCNN_SPLIT_TRAIN, path, "bad image count or size");
    put_be32(buf + 8, 3);

    /* A gzipped file cut short: zlib's error, naming the file. */
    char gz[512];
    snprintf(gz, sizeof gz, "%s/y-images-idx3-ubyte.gz", dir);
    write_gz(gz, buf, size);
    unsigned char *packed;
    size_t packed_size;
    assert_int_equal(read_whole_file(gz, &packed, &packed_size), PCNN_OK);
    write_bytes(gz, packed, packed_size - 10);
    free(packed);
    snprintf(spec, sizeof spec, "idx:%s", gz);
    expect_refused(spec, PCNN_SPLIT_TRAIN, gz, NULL);

    snprintf(spec, sizeof spec, "idx:%s/missing", dir);
    expect_refused(spec, PCNN_SPLIT_TRAIN, "missing", "cannot open");
    snprintf(spec, sizeof spec, "mnist:%s/nowhere", dir);
    expect_refused(spec, PCNN_SPLIT_TEST, "t10k-images-idx3-ubyte", NULL);
    expect_refused("bogus:thing", PCNN_SPLIT_TRAIN, "bogus:thing", "unknown data spec");
    test_rmtree(dir);
    free(dir);
}

/* The value of colour c at (y, x) of CIFAR image `img` in the test batches. */
static unsigned char cifar_value(int img, int c, int y, int x) { return (unsigned char)(img * 31 + c * 101 + y * 7 + x); }

/* A batch of n records, images numbered from `first`, labels first % 10. */
static void write_cifar_batch(const char *dir, const char *file, int first, int n)
{
    unsigned char *b = malloc((size_t)n * 3073);
    for (int i = 0; i < n; i++) {
        unsigned char *r = b + (size_t)i * 3073;
        r[0] = (unsigned char)((first + i) % 10);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    r[1 + c * 1024 + y * 32 + x] = cifar_value(first + i, c, y, x);
    }
    char path[1024];
    snprintf(path, sizeof path, "%.500s/%.100s", dir, file);
    write_bytes(path, b, (size_t)n * 3073);
    free(b);
}

static void assert_cifar_images(const pcnn_dataset *d, int first, int n)
{
    assert_int_equal(d->n, n);
    assert_int_equal(d->height, 32);
    assert_int_equal(d->width, 32);
    assert_int_equal(d->channels, 3);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                for (int c = 0; c < 3; c++) /* NHWC */
                    assert_int_equal(d->pixels[(((size_t)i * 32 + y) * 32 + x) * 3 + c], cifar_value(first + i, c, y, x));
}

static void test_cifar10_layout_and_splits(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), spec[600], file[64];
    for (int b = 1; b <= 5; b++) { /* batch b holds images 2(b-1), 2(b-1)+1 */
        snprintf(file, sizeof file, "data_batch_%d.bin", b);
        write_cifar_batch(dir, file, 2 * (b - 1), 2);
    }
    write_cifar_batch(dir, "test_batch.bin", 100, 3);
    snprintf(spec, sizeof spec, "cifar10:%s", dir);
    pcnn_dataset d;
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TRAIN, &d), PCNN_OK);
    assert_cifar_images(&d, 0, 10);
    pcnn_dataset_free(&d);
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TEST, &d), PCNN_OK);
    assert_cifar_images(&d, 100, 3);
    pcnn_dataset_free(&d);
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_SEED_TRAIN, &d), PCNN_OK); /* batches 1-4 */
    assert_cifar_images(&d, 0, 8);
    pcnn_dataset_free(&d);
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_SEED_TEST, &d), PCNN_OK); /* batch 5 */
    assert_cifar_images(&d, 8, 2);
    pcnn_dataset_free(&d);

    /* Bad batches: truncated record, a label outside 0..9, a missing batch. */
    char path[512];
    snprintf(path, sizeof path, "%s/data_batch_3.bin", dir);
    unsigned char *b;
    size_t n;
    assert_int_equal(read_whole_file(path, &b, &n), PCNN_OK);
    write_bytes(path, b, n - 1);
    expect_refused(spec, PCNN_SPLIT_TRAIN, "data_batch_3.bin", "truncated");
    b[3073] = 200;
    write_bytes(path, b, n);
    expect_refused(spec, PCNN_SPLIT_TRAIN, "data_batch_3.bin", "record 1 has label 200");
    free(b);
    remove(path);
    expect_refused(spec, PCNN_SPLIT_TRAIN, "data_batch_3.bin", "cannot open");
    test_rmtree(dir);
    free(dir);
}

static void test_cifar10_archive_folder_found(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), sub[512], spec[600], file[64];
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", dir);
    assert_int_equal(make_dir(sub), PCNN_OK);
    for (int b = 1; b <= 5; b++) {
        snprintf(file, sizeof file, "data_batch_%d.bin", b);
        write_cifar_batch(sub, file, b, 1);
    }
    snprintf(spec, sizeof spec, "cifar10:%s", dir);
    pcnn_dataset d;
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TRAIN, &d), PCNN_OK);
    assert_int_equal(d.n, 5);
    pcnn_dataset_free(&d);
    test_rmtree(dir);
    free(dir);
}

static void test_npy_images(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[512], spec[600];
    snprintf(path, sizeof path, "%s/x.npy", dir);
    snprintf(spec, sizeof spec, "npy:%s", path);
    size_t shape[3] = {2, 3, 4};
    pcnn_array a;
    assert_int_equal(pcnn_array_alloc(&a, PCNN_U8, 3, shape), PCNN_OK);
    test_random_bytes(a.data, 24, 3);
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    pcnn_dataset d;
    assert_int_equal(pcnn_dataset_load(spec, PCNN_SPLIT_TEST, &d), PCNN_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.height, 3);
    assert_int_equal(d.width, 4);
    assert_int_equal(d.channels, 1);
    assert_memory_equal(d.pixels, a.data, 24);
    pcnn_dataset_free(&d);
    assert_false(pcnn_dataset_has_test_split(spec));
    pcnn_array_free(&a);
    assert_int_equal(pcnn_array_alloc(&a, PCNN_F32, 3, shape), PCNN_OK); /* floats are not images */
    assert_int_equal(pcnn_npy_write(path, &a), PCNN_OK);
    expect_refused(spec, PCNN_SPLIT_TRAIN, path, "expected uint8 images");
    pcnn_array_free(&a);
    test_rmtree(dir);
    free(dir);
}

static void test_memory_parsers_match_the_files(void **state)
{
    (void)state;
    unsigned char idx[16 + 2 * 2 * 3];
    size_t size = make_idx_images(idx, 2, 2, 3, 9);
    pcnn_dataset d;
    assert_int_equal(pcnn_idx_images_parse(idx, size, "mem", &d), PCNN_OK);
    assert_int_equal(d.n, 2);
    assert_memory_equal(d.pixels, idx + 16, 12);
    pcnn_dataset_free(&d);
    assert_int_equal(pcnn_idx_images_parse(idx, size - 1, "mem", &d), PCNN_ERR_FORMAT);
    unsigned char labels[8 + 4];
    size_t count;
    assert_int_equal(pcnn_idx_labels_parse(labels, make_idx_labels(labels, 4), "mem", &count), PCNN_OK);
    assert_int_equal(count, 4);
    assert_int_equal(pcnn_idx_labels_parse(labels, 11, "mem", &count), PCNN_ERR_FORMAT);
    unsigned char rec[3073] = {7};
    rec[1] = 42;                   /* red of pixel (0,0) */
    rec[1 + 1024 + 33] = 43;       /* green of pixel (1,1) */
    rec[1 + 2048 + 32 * 31] = 44;  /* blue of pixel (31,0) */
    assert_int_equal(pcnn_cifar10_parse(rec, sizeof rec, "mem", &d), PCNN_OK);
    assert_int_equal(d.pixels[0], 42);
    assert_int_equal(d.pixels[(1 * 32 + 1) * 3 + 1], 43);
    assert_int_equal(d.pixels[(31 * 32 + 0) * 3 + 2], 44);
    pcnn_dataset_free(&d);
    assert_int_equal(pcnn_cifar10_parse(rec, 3072, "mem", &d), PCNN_ERR_FORMAT);
}

/* A gzip bomb: a valid IDX header for 4 images of 8x8 (272 bytes in all),
 * then 128 MiB of zeros, compressed to about 130 KB. The reader inflates the
 * header, then at most the 272 bytes it declares plus one, and refuses the
 * file: the process's peak memory grows by far less than the bomb (before,
 * all of it was inflated, 128 MiB and more, before the header was read). A
 * header that declares more than the machine's memory is refused before any
 * data is inflated. */
static int load_idx(void *path)
{
    pcnn_dataset d;
    char spec[600];
    snprintf(spec, sizeof spec, "idx:%s", (const char *)path);
    pcnn_status st = pcnn_dataset_load(spec, PCNN_SPLIT_TRAIN, &d);
    if (!st)
        pcnn_dataset_free(&d);
    return st;
}

static void test_gzip_bomb_inflates_only_what_the_header_declares(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/bomb-idx3-ubyte.gz", dir);
    unsigned char head[16 + 4 * 64];
    size_t n = make_idx_images(head, 4, 8, 8, 1);
    enum { MIB = 1 << 20, BOMB_MIB = 128 };
    unsigned char *zeros = calloc(MIB, 1);
    gzFile gz = gzopen(path, "wb1");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, head, (unsigned)n), (int)n);
    for (int i = 0; i < BOMB_MIB; i++)
        assert_int_equal(gzwrite(gz, zeros, MIB), MIB);
    assert_int_equal(gzclose(gz), Z_OK);
    free(zeros);
    int st;
    char msg[512];
    long growth = test_peak_rss_growth_kib(load_idx, path, &st, msg, sizeof msg);
    print_message("  refused: %s\n  peak memory grew by %ld KiB while reading it (the bomb: %d MiB)\n", msg, growth,
                  BOMB_MIB);
    assert_int_equal(st, PCNN_ERR_FORMAT);
    assert_non_null(strstr(msg, "more than the 272 bytes its IDX header declares"));
    assert_true(growth >= 0 && growth < 16 * 1024);

    /* 2^32 - 1 images of 65536 x 65536: more than any machine's memory. */
    put_be32(head + 4, 0xffffffffu);
    put_be32(head + 8, 65536);
    put_be32(head + 12, 65536);
    write_gz(path, head, 16);
    growth = test_peak_rss_growth_kib(load_idx, path, &st, msg, sizeof msg);
    print_message("  refused: %s\n", msg);
    assert_int_equal(st, PCNN_ERR_FORMAT);
    assert_non_null(strstr(msg, "more than this machine's memory"));
    assert_true(growth >= 0 && growth < 16 * 1024);
    test_rmtree(dir);
    free(dir);
}

/* The real default dataset when Debian's package is installed. */
static void test_fashion_mnist_package(void **state)
{
    (void)state;
    pcnn_dataset d;
    assert_int_equal(pcnn_dataset_load("fashion-mnist", PCNN_SPLIT_TEST, &d), PCNN_OK);
    assert_int_equal(d.n, 10000);
    assert_int_equal(d.height, 28);
    assert_int_equal(d.width, 28);
    assert_int_equal(d.channels, 1);
    size_t sum = 0;
    for (size_t i = 0; i < d.n * 784; i++)
        sum += d.pixels[i];
    double mean = (double)sum / (double)(d.n * 784);
    print_message("  fashion-mnist t10k: %zu images, mean pixel %.2f\n", d.n, mean);
    assert_true(mean > 40 && mean < 100); /* clothes on black: about 73 */
    pcnn_dataset_free(&d);
}

/* test_data: the readers on files the tests write; test_data_fashion_mnist
 * (`test_data fashion-mnist`): the installed dataset, skipped (77) when it is
 * not installed. */
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fashion-mnist") == 0) {
        pcnn_dataset d;
        if (pcnn_dataset_load("fashion-mnist", PCNN_SPLIT_TEST, &d) != PCNN_OK &&
            strstr(pcnn_last_error(), "not found")) {
            printf("fashion-mnist: %s: skipped\n", pcnn_last_error());
            return TEST_SKIPPED;
        }
        pcnn_dataset_free(&d);
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_fashion_mnist_package)};
        return cmocka_run_group_tests_name("the installed Fashion-MNIST", tests, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_plain_and_gzipped_read_the_same),
        cmocka_unit_test(test_mnist_dir_picks_the_split_and_checks_labels),
        cmocka_unit_test(test_bad_idx_files_refused),
        cmocka_unit_test(test_cifar10_layout_and_splits),
        cmocka_unit_test(test_cifar10_archive_folder_found),
        cmocka_unit_test(test_npy_images),
        cmocka_unit_test(test_memory_parsers_match_the_files),
        cmocka_unit_test(test_gzip_bomb_inflates_only_what_the_header_declares),
    };
    return cmocka_run_group_tests_name("datasets", tests, NULL, NULL);
}
