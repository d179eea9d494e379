#ifndef WBC_CPEAK_H
#define WBC_CPEAK_H

/// Measures the fp32 fused-multiply-add peak of this CPU: `threads` threads each run independent chains of
/// 512-bit FMAs (256-bit where AVX-512 is missing) for about `seconds` seconds.
/// Returns GFLOP/s (2 FLOPs per lane per FMA) summed over the threads, or 0 where FMA is not available
/// (or off x86). Meaningful in optimised builds only.
double wbc_fma_peak_gflops(int threads, double seconds);

/// The vector width the measurement used: 512, 256, or 0 when the CPU has no FMA.
int wbc_fma_peak_width(void);

#endif
