#include "cpeak.h"

#if defined(__x86_64__) || defined(__i386__)
#include <pthread.h>
#include <time.h>
#include <immintrin.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/// Operands the compiler cannot see through, so the chains are real work.
static volatile float operand_b = 0.999999f, operand_c = 1e-7f;
static volatile float sink;

enum { CHAINS = 12, INNER = 1 << 16 };

__attribute__((target("avx512f")))
static long run_avx512(double seconds) {
    __m512 b = _mm512_set1_ps(operand_b), c = _mm512_set1_ps(operand_c);
    __m512 a[CHAINS];
    for (int i = 0; i < CHAINS; i++) a[i] = _mm512_set1_ps((float)i);
    long rounds = 0;
    double end = now_seconds() + seconds;
    do {
        for (int r = 0; r < INNER; r++) {
            for (int i = 0; i < CHAINS; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
        }
        rounds++;
    } while (now_seconds() < end);
    __m512 s = a[0];
    for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, a[i]);
    sink = _mm512_reduce_add_ps(s);
    return rounds;
}

__attribute__((target("avx2,fma")))
static long run_avx2(double seconds) {
    __m256 b = _mm256_set1_ps(operand_b), c = _mm256_set1_ps(operand_c);
    __m256 a[CHAINS];
    for (int i = 0; i < CHAINS; i++) a[i] = _mm256_set1_ps((float)i);
    long rounds = 0;
    double end = now_seconds() + seconds;
    do {
        for (int r = 0; r < INNER; r++) {
            for (int i = 0; i < CHAINS; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
        }
        rounds++;
    } while (now_seconds() < end);
    __m256 s = a[0];
    for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, a[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    sink = lanes[0] + lanes[7];
    return rounds;
}

int wbc_fma_peak_width(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 256;
    return 0;
}

struct job { double seconds; long rounds; double elapsed; };

static void *worker(void *arg) {
    struct job *j = arg;
    double t0 = now_seconds();
    j->rounds = wbc_fma_peak_width() == 512 ? run_avx512(j->seconds) : run_avx2(j->seconds);
    j->elapsed = now_seconds() - t0;
    return 0;
}

double wbc_fma_peak_gflops(int threads, double seconds) {
    // Release builds only: at -O0 the chains live in memory and the figure is meaningless.
    int width = wbc_fma_peak_width();
    if (width == 0 || threads < 1) return 0;
    if (threads > 256) threads = 256;
    pthread_t ids[256];
    struct job jobs[256];
    for (int i = 0; i < threads; i++) {
        jobs[i].seconds = seconds;
        jobs[i].rounds = 0;
        jobs[i].elapsed = 0;
        if (pthread_create(&ids[i], 0, worker, &jobs[i]) != 0) { threads = i; break; }
    }
    double total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], 0);
        double flops = (double)jobs[i].rounds * INNER * CHAINS * (width / 32) * 2.0;
        if (jobs[i].elapsed > 0) total += flops / jobs[i].elapsed;
    }
    return total / 1e9;
}

#else

// Not an x86 CPU: no measurement (wbc bench --mode peak reports 0).
int wbc_fma_peak_width(void) { return 0; }
double wbc_fma_peak_gflops(int threads, double seconds) { (void)threads; (void)seconds; return 0; }

#endif
