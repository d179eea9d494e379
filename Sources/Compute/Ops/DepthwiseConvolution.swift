import CDNNL
import Parallelism

/// The weight gradient of a depthwise convolution (one filter per channel) where oneDNN 2.6 has no JIT
/// kernel for it: its `jit_dw` backward-weights takes 3×3 filters only, and for EfficientNet's 5×5 ones it
/// falls back to an im2col GEMM per channel (`gemm:jit`), which took 12–23 ms per layer at batch 32: 0.18 s of a
/// 0.42 s training step of EfficientNet-Lite0 at 112² (ONEDNN_VERBOSE, 2026-12-03).
/// The direct sum below does the same multiply-adds without the copies: that training step's backward pass went
/// from 0.33 to 0.17 s (`wbc bench --model efficientnet-lite0 --mode train --batch 32 --size 112`).
enum DepthwiseConvolution {
    /// Whether `g` is a depthwise convolution: as many groups as input and output channels.
    static func isDepthwise(_ g: ConvGeometry) -> Bool { g.groups > 1 && g.groups == g.inChannels && g.groups == g.outChannels }

    /// `gw[c, 0, i, j] = Σ_n Σ_(oh, ow) dy[n, c, oh, ow] · x[n, c, oh·s + i·d − pad, ow·s + j·d − pad]` (zero outside
    /// the input), PyTorch's weight shape `[C, 1, kH, kW]`, plain.
    ///
    /// Both maps are read in oneDNN's 16-channel blocked layout (`nChw16c`, where training keeps them anyway), so
    /// each multiply-add is one 16-lane vector operation and no sum runs along a vector.
    static func backwardWeights(_ dy: Tensor, input x: Tensor, _ g: ConvGeometry) throws -> Tensor {
        precondition(isDepthwise(g), "DepthwiseConvolution.backwardWeights on \(g)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (dy.shape[2], dy.shape[3])
        guard dy.shape == [n, c, oh, ow] else {
            throw ComputeError("depthwise conv2d \(g): gradient shape \(dy.shape) does not match input \(x.shape)")
        }
        let (kh, kw) = (g.kernelH, g.kernelW)
        let taps = kh * kw
        let blocks = (c + 15) / 16
        let input = try x.reordered(to: Layout.tagged(x.shape, dnnl_nChw16c))
        let gradient = try dy.reordered(to: Layout.tagged(dy.shape, dnnl_nChw16c))
        let result = Tensor.zeros([c, 1, kh, kw])
        input.withStorage { xs in
            gradient.withStorage { gs in
                result.withMutableValues { out in
                    let xv = UnsafeRawPointer(xs.baseAddress!)
                    let gv = UnsafeRawPointer(gs.baseAddress!)
                    let vector = MemoryLayout<SIMD16<Float>>.stride
                    ParallelFor.run(blocks) { range in
                        var sums = [SIMD16<Float>](repeating: .zero, count: taps)
                        for block in range {
                            for t in 0..<taps { sums[t] = .zero }
                            for image in 0..<n {
                                let plane = image * blocks + block
                                for row in 0..<oh {
                                    for col in 0..<ow {
                                        let d = gv.loadUnaligned(fromByteOffset: ((plane * oh + row) * ow + col) * vector, as: SIMD16<Float>.self)
                                        for i in 0..<kh {
                                            let inputRow = row * g.strideH + i * g.dilationH - g.padH
                                            guard inputRow >= 0, inputRow < h else { continue }
                                            for j in 0..<kw {
                                                let inputColumn = col * g.strideW + j * g.dilationW - g.padW
                                                guard inputColumn >= 0, inputColumn < w else { continue }
                                                let offset = ((plane * h + inputRow) * w + inputColumn) * vector
                                                sums[i * kw + j] += d * xv.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                                            }
                                        }
                                    }
                                }
                            }
                            for lane in 0..<min(16, c - block * 16) {
                                for t in 0..<taps { out[(block * 16 + lane) * taps + t] = sums[t][lane] }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
