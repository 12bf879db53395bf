/* Fixture generator (not part of any crate): HDF5 files closed with a metadata cache image
 * (superblock extension message 0x0018, H5Pset_mdc_image_config, libhdf5 1.10+).
 *
 * Build and run from this directory (Debian libhdf5-dev, serial flavour):
 *   cc -std=c99 -O2 -Wall -I/usr/include/hdf5/serial -o /tmp/gen_cache_image gen_cache_image.c \
 *      -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 && /tmp/gen_cache_image
 * Then make the goldens with make_goldens.sh.
 *
 * Files:
 *   ci_latest.h5    libver (latest, latest), written in one session with the image requested:
 *                   groups (compact and dense links), contiguous, compact and chunked datasets
 *                   (fixed array, extensible array, v2 B-tree indexes; gzip+shuffle), attributes
 *                   (compact and dense, strings), a committed datatype.
 *   ci_v18.h5       libver (v18, v110): v1 B-tree chunk index, the same kinds of objects.
 *   ci_reopened.h5  written without an image, then reopened read/write with the image
 *                   requested, every object read, closed: an image of clean entries.
 *   ci_minimal.h5   libver latest, one contiguous dataset with an attribute, image requested.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                   \
    do {                                                                           \
        if ((x) < 0) {                                                             \
            fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #x);         \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static hid_t fapl_with(H5F_libver_t low, H5F_libver_t high, int image)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    CHECK(H5Pset_libver_bounds(fapl, low, high));
    if (image) {
        H5AC_cache_image_config_t c;
        memset(&c, 0, sizeof c);
        c.version = H5AC__CURR_CACHE_IMAGE_CONFIG_VERSION;
        c.generate_image = 1;
        c.save_resize_status = 0;
        c.entry_ageout = H5AC__CACHE_IMAGE__ENTRY_AGEOUT__NONE;
        CHECK(H5Pset_mdc_image_config(fapl, &c));
    }
    return fapl;
}

static void attr_int(hid_t obj, const char *name, int v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Awrite(a, H5T_NATIVE_INT, &v));
    H5Aclose(a);
    H5Sclose(s);
}

static void attr_str(hid_t obj, const char *name, const char *v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t t = H5Tcopy(H5T_C_S1);
    CHECK(H5Tset_size(t, strlen(v)));
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Awrite(a, t, v));
    H5Aclose(a);
    H5Tclose(t);
    H5Sclose(s);
}

static void attr_doubles(hid_t obj, const char *name, int n, double scale)
{
    hsize_t d = (hsize_t)n;
    double *v = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = i * scale;
    hid_t s = H5Screate_simple(1, &d, NULL);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Awrite(a, H5T_NATIVE_DOUBLE, v));
    H5Aclose(a);
    H5Sclose(s);
    free(v);
}

/* A 1-D or 2-D dataset of n values f(i) = i * scale + offset, written whole. */
static hid_t dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                     const hsize_t *maxdims, hid_t dcpl, double scale, double offset)
{
    hsize_t n = 1;
    for (int r = 0; r < rank; r++) n *= dims[r];
    double *v = malloc(sizeof(double) * (size_t)n);
    for (hsize_t i = 0; i < n; i++) v[i] = (double)i * scale + offset;
    hid_t s = H5Screate_simple(rank, dims, maxdims);
    hid_t d = H5Dcreate2(loc, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(d);
    CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5Sclose(s);
    free(v);
    return d;
}

static hid_t chunked(int rank, const hsize_t *chunk, int gzip)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    CHECK(H5Pset_chunk(p, rank, chunk));
    if (gzip) {
        CHECK(H5Pset_shuffle(p));
        CHECK(H5Pset_deflate(p, 4));
    }
    return p;
}

static void populate(hid_t f, int tag)
{
    /* Root attributes. */
    attr_str(f, "title", tag == 0 ? "cache image, libver latest" : "cache image, libver v18-v110");
    attr_int(f, "version", 3 + tag);

    /* A group with a few links and an attribute. */
    hid_t g1 = H5Gcreate2(f, "g1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    attr_str(g1, "label", "first group");
    hid_t g2 = H5Gcreate2(g1, "g2", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    attr_doubles(g2, "weights", 5, 0.5);

    /* Contiguous 2-D int32. */
    hsize_t d2[2] = {10, 12};
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    CHECK(H5Pset_layout(p, H5D_CONTIGUOUS));
    hid_t d = dataset(g1, "contig_i32", H5T_STD_I32LE, 2, d2, NULL, p, 1.0, -7.0 - tag);
    attr_str(d, "units", "counts");
    attr_int(d, "id", 11);
    H5Dclose(d);
    H5Pclose(p);

    /* Compact float32. */
    hsize_t d1[1] = {6};
    p = H5Pcreate(H5P_DATASET_CREATE);
    CHECK(H5Pset_layout(p, H5D_COMPACT));
    d = dataset(g2, "compact_f32", H5T_IEEE_F32LE, 1, d1, NULL, p, 0.25, 1.0);
    H5Dclose(d);
    H5Pclose(p);

    /* Chunked, fixed size: fixed array index (latest) or v1 B-tree (v18). */
    hsize_t n1[1] = {5000}, c1[1] = {256};
    p = chunked(1, c1, 1);
    d = dataset(f, "chunked_gzip_f64", H5T_IEEE_F64LE, 1, n1, NULL, p, 0.001, tag);
    attr_doubles(d, "range", 2, 4.999);
    H5Dclose(d);
    H5Pclose(p);

    /* Chunked, one unlimited dimension: extensible array (latest) or v1 B-tree. */
    hsize_t n2[2] = {300, 4}, m2[2] = {H5S_UNLIMITED, 4}, c2[2] = {16, 4};
    p = chunked(2, c2, 0);
    d = dataset(g1, "growing_i64", H5T_STD_I64BE, 2, n2, m2, p, 3.0, -100.0);
    H5Dclose(d);
    H5Pclose(p);

    /* Chunked, two unlimited dimensions: v2 B-tree (latest) or v1 B-tree. */
    hsize_t n3[2] = {40, 50}, m3[2] = {H5S_UNLIMITED, H5S_UNLIMITED}, c3[2] = {8, 8};
    p = chunked(2, c3, 1);
    d = dataset(g2, "grid_u16", H5T_STD_U16LE, 2, n3, m3, p, 1.0, 0.0);
    H5Dclose(d);
    H5Pclose(p);

    /* A group with many links (dense: fractal heap + v2 B-tree name index) and a dataset
     * with many attributes (dense attribute storage). */
    hid_t many = H5Gcreate2(f, "many", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "item%03d", i);
        hsize_t n[1] = {3};
        d = dataset(many, name, H5T_STD_I16LE, 1, n, NULL, H5P_DEFAULT, 1.0, i * 10.0);
        attr_int(d, "index", i);
        H5Dclose(d);
    }
    hsize_t one[1] = {4};
    d = dataset(many, "attributed", H5T_IEEE_F64LE, 1, one, NULL, H5P_DEFAULT, 1.5, 0.0);
    for (int i = 0; i < 30; i++) {
        char name[32];
        snprintf(name, sizeof name, "a%02d", i);
        attr_int(d, name, i * i);
    }
    H5Dclose(d);
    H5Gclose(many);

    /* A committed datatype used by a dataset. */
    hid_t t = H5Tcopy(H5T_IEEE_F64BE);
    CHECK(H5Tcommit2(f, "f64be", t, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    hsize_t n4[1] = {7};
    d = dataset(f, "typed", t, 1, n4, NULL, H5P_DEFAULT, -2.0, 1.0);
    H5Dclose(d);
    H5Tclose(t);

    H5Gclose(g2);
    H5Gclose(g1);
}

static herr_t visit_read(hid_t obj, const char *name, const H5O_info_t *info, void *op)
{
    (void)op;
    if (info->type == H5O_TYPE_DATASET) {
        hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
        hid_t s = H5Dget_space(d);
        hssize_t n = H5Sget_simple_extent_npoints(s);
        double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
        CHECK(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
        free(v);
        H5Sclose(s);
        H5Dclose(d);
    }
    return 0;
}

static void write_file(const char *path, H5F_libver_t low, H5F_libver_t high, int tag, int image)
{
    hid_t fapl = fapl_with(low, high, image);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    CHECK(f);
    populate(f, tag);
    CHECK(H5Fclose(f));
    H5Pclose(fapl);
}

int main(void)
{
    write_file("ci_latest.h5", H5F_LIBVER_LATEST, H5F_LIBVER_LATEST, 0, 1);
    write_file("ci_v18.h5", H5F_LIBVER_V18, H5F_LIBVER_V110, 1, 1);

    {
        hid_t fapl = fapl_with(H5F_LIBVER_LATEST, H5F_LIBVER_LATEST, 1);
        hid_t f = H5Fcreate("ci_minimal.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        CHECK(f);
        hsize_t n[1] = {5};
        hid_t p = H5Pcreate(H5P_DATASET_CREATE);
        CHECK(H5Pset_layout(p, H5D_CONTIGUOUS));
        hid_t d = dataset(f, "x", H5T_IEEE_F64LE, 1, n, NULL, p, 0.5, 2.0);
        attr_int(d, "answer", 42);
        H5Dclose(d);
        H5Pclose(p);
        CHECK(H5Fclose(f));
        H5Pclose(fapl);
    }

    write_file("ci_reopened.h5", H5F_LIBVER_LATEST, H5F_LIBVER_LATEST, 2, 0);
    hid_t fapl = fapl_with(H5F_LIBVER_LATEST, H5F_LIBVER_LATEST, 1);
    hid_t f = H5Fopen("ci_reopened.h5", H5F_ACC_RDWR, fapl);
    CHECK(f);
    CHECK(H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, visit_read, NULL, H5O_INFO_BASIC));
    CHECK(H5Fclose(f));
    H5Pclose(fapl);
    return 0;
}
