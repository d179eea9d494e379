// Developer-time: times every implementation oneDNN 2.6.3 offers for one convolution pass (Winograd's, for 3x3
// stride-1, then direct's), in oneDNN's order of preference; the evidence behind ConvolutionImplementation
// (inference) and behind leaving the training passes to oneDNN. Built and run by conv-implementations.sh.
//   conv-implementations BATCH IN OUT SIDE KERNEL STRIDE [inference|training|backward-data|backward-weights]
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

enum pass { INFERENCE, TRAINING, BACKWARD_DATA, BACKWARD_WEIGHTS };

int main(int argc, char **argv) {
    const char *names[] = {"inference", "training", "backward-data", "backward-weights"};
    enum pass pass = INFERENCE;
    if (argc == 8) {
        for (pass = INFERENCE; pass <= BACKWARD_WEIGHTS && strcmp(argv[7], names[pass]); pass++) {}
    }
    if ((argc != 7 && argc != 8) || pass > BACKWARD_WEIGHTS) {
        fprintf(stderr, "usage: %s BATCH IN OUT SIDE KERNEL STRIDE [inference|training|backward-data|backward-weights]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), ic = atoi(argv[2]), oc = atoi(argv[3]), side = atoi(argv[4]), k = atoi(argv[5]), st = atoi(argv[6]);
    int os = (side + 2 * (k / 2) - k) / st + 1;
    dnnl_engine_t eng; dnnl_engine_create(&eng, dnnl_cpu, 0);
    dnnl_stream_t s; dnnl_stream_create(&s, eng, dnnl_stream_default_flags);
    dnnl_memory_desc_t src, wt, dst, bias;
    dnnl_dims_t sd = {n, ic, side, side}, wd = {oc, ic, k, k}, dd = {n, oc, os, os}, bd = {oc};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wt, 4, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_a);
    dnnl_dims_t strides = {st, st}, pad = {k / 2, k / 2};
    double flops = 2.0 * n * os * os * (double)ic * oc * k * k;
    printf("%s %d->%d %dx%d stride %d on %d², batch %d:\n", names[pass], ic, oc, k, k, st, side, n);
    // The backward passes need the training forward as their hint (direct: training's forward is direct).
    dnnl_convolution_desc_t hd;
    dnnl_primitive_desc_t hint = NULL;
    if (pass >= BACKWARD_DATA) {
        dnnl_convolution_forward_desc_init(&hd, dnnl_forward_training, dnnl_convolution_direct, &src, &wt, NULL, &dst, strides, pad, pad);
        if (dnnl_primitive_desc_create(&hint, &hd, NULL, eng, NULL)) return 1;
    }
    // Each pass's arguments: (source or its gradient, weights or their gradient, destination or its gradient, bias).
    int args[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS};
    dnnl_query_t q[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md, dnnl_query_weights_md};
    int nargs = pass == INFERENCE ? 4 : 3;
    if (pass == BACKWARD_DATA) { args[0] = DNNL_ARG_DIFF_SRC; q[0] = dnnl_query_diff_src_md; }
    if (pass == BACKWARD_WEIGHTS) { args[1] = DNNL_ARG_DIFF_WEIGHTS; q[1] = dnnl_query_diff_weights_md; }
    if (pass >= BACKWARD_DATA) { args[2] = DNNL_ARG_DIFF_DST; q[2] = dnnl_query_diff_dst_md; }
    // Winograd first (wbc asks for it first on 3x3 stride-1 layers), then direct; each in oneDNN's order.
    for (int w = 1; w >= 0; w--) {
        dnnl_convolution_desc_t cd;
        dnnl_alg_kind_t alg = w ? dnnl_convolution_winograd : dnnl_convolution_direct;
        dnnl_status_t made;
        switch (pass) {
        case INFERENCE: made = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, alg, &src, &wt, &bias, &dst, strides, pad, pad); break;
        case TRAINING: made = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg, &src, &wt, NULL, &dst, strides, pad, pad); break;
        case BACKWARD_DATA: made = dnnl_convolution_backward_data_desc_init(&cd, alg, &src, &wt, &dst, strides, pad, pad); break;
        default: made = dnnl_convolution_backward_weights_desc_init(&cd, alg, &src, &wt, NULL, &dst, strides, pad, pad); break;
        }
        if (made) continue;
        dnnl_primitive_desc_iterator_t it;
        if (dnnl_primitive_desc_iterator_create(&it, &cd, NULL, eng, hint)) continue;
        do {
            dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
            const char *impl; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
            dnnl_memory_t m[4]; dnnl_exec_arg_t a[4];
            for (int j = 0; j < nargs; j++) {
                dnnl_memory_create(&m[j], dnnl_primitive_desc_query_md(pd, q[j], j == 3), eng, DNNL_MEMORY_ALLOCATE);
                a[j].arg = args[j]; a[j].memory = m[j];
            }
            dnnl_primitive_t p; dnnl_primitive_create(&p, pd);
            for (int i = 0; i < 3; i++) dnnl_primitive_execute(p, s, nargs, a);
            dnnl_stream_wait(s);
            double best = 1e9;  // best of 20: the machine is noisy, the kernels are not
            for (int r = 0; r < 20; r++) {
                double t0 = now();
                dnnl_primitive_execute(p, s, nargs, a);
                dnnl_stream_wait(s);
                double t = now() - t0;
                if (t < best) best = t;
            }
            printf("  %-32s %7.3f ms/image %6.0f GFLOP/s\n", impl, best * 1e3 / n, flops / best * 1e-9);
            dnnl_primitive_destroy(p);
            for (int j = 0; j < nargs; j++) dnnl_memory_destroy(m[j]);
            dnnl_primitive_desc_destroy(pd);
        } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
        dnnl_primitive_desc_iterator_destroy(it);
    }
    if (hint) dnnl_primitive_desc_destroy(hint);
    return 0;
}
