// Developer-time: times one 3x3 stride-1 convolution's three passes (forward training, backward-data,
// backward-weights) with oneDNN's direct and Winograd algorithms; the evidence behind
// ConvolutionOps.winogradMinimumSide. Built and run by conv-algorithms.sh.
//   conv-algorithms BATCH CHANNELS SIDE
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static double run(dnnl_engine_t eng, dnnl_stream_t s, dnnl_primitive_desc_t pd, const int args[3], const dnnl_query_t q[3]) {
    dnnl_memory_t m[3];
    dnnl_exec_arg_t a[3];
    for (int j = 0; j < 3; j++) {
        dnnl_memory_create(&m[j], dnnl_primitive_desc_query_md(pd, q[j], 0), eng, DNNL_MEMORY_ALLOCATE);
        a[j].arg = args[j]; a[j].memory = m[j];
    }
    dnnl_primitive_t p;
    dnnl_primitive_create(&p, pd);
    for (int i = 0; i < 2; i++) { dnnl_primitive_execute(p, s, 3, a); dnnl_stream_wait(s); }
    const int reps = 5;
    double t0 = now();
    for (int i = 0; i < reps; i++) dnnl_primitive_execute(p, s, 3, a);
    dnnl_stream_wait(s);
    double t = (now() - t0) / reps;
    dnnl_primitive_destroy(p);
    for (int j = 0; j < 3; j++) dnnl_memory_destroy(m[j]);
    return t;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s BATCH CHANNELS SIDE\n", argv[0]); return 2; }
    int n = atoi(argv[1]), c = atoi(argv[2]), side = atoi(argv[3]);
    dnnl_engine_t eng; dnnl_engine_create(&eng, dnnl_cpu, 0);
    dnnl_stream_t s; dnnl_stream_create(&s, eng, dnnl_stream_default_flags);
    dnnl_memory_desc_t src, wt, dst;
    dnnl_dims_t sd = {n, c, side, side}, wd = {c, c, 3, 3};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wt, 4, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dst, 4, sd, dnnl_f32, dnnl_format_tag_any);
    dnnl_dims_t st = {1, 1}, pad = {1, 1};
    const char *names[3] = {"forward", "backward-data", "backward-weights"};
    const int args[3][3] = {{DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
                            {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST},
                            {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST}};
    const dnnl_query_t q[3][3] = {{dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md},
                                  {dnnl_query_diff_src_md, dnnl_query_weights_md, dnnl_query_diff_dst_md},
                                  {dnnl_query_src_md, dnnl_query_diff_weights_md, dnnl_query_diff_dst_md}};
    double ms[2][3];
    for (int w = 0; w < 2; w++) {
        dnnl_alg_kind_t alg = w ? dnnl_convolution_winograd : dnnl_convolution_direct;
        dnnl_convolution_desc_t fd, bd, bw;
        dnnl_primitive_desc_t pd[3];
        dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, alg, &src, &wt, NULL, &dst, st, pad, pad);
        dnnl_convolution_backward_data_desc_init(&bd, alg, &src, &wt, &dst, st, pad, pad);
        dnnl_convolution_backward_weights_desc_init(&bw, alg, &src, &wt, NULL, &dst, st, pad, pad);
        if (dnnl_primitive_desc_create(&pd[0], &fd, NULL, eng, NULL) ||
            dnnl_primitive_desc_create(&pd[1], &bd, NULL, eng, pd[0]) ||
            dnnl_primitive_desc_create(&pd[2], &bw, NULL, eng, pd[0])) {
            printf("mb%d %dch %dx%d: %s not available\n", n, c, side, side, w ? "Winograd" : "direct");
            return 0;
        }
        for (int k = 0; k < 3; k++) { ms[w][k] = 1e3 * run(eng, s, pd[k], args[k], q[k]); dnnl_primitive_desc_destroy(pd[k]); }
    }
    for (int k = 0; k < 3; k++)
        printf("mb%d %4dch %2dx%-2d %-17s direct %7.3f ms  Winograd %7.3f ms  speed-up %.2fx\n",
               n, c, side, side, names[k], ms[0][k], ms[1][k], ms[0][k] / ms[1][k]);
    return 0;
}
