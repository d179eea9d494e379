/// torchvision's state-dict names and shapes for a ResNet, generated from the architecture rules of
/// He et al. 2016 ("Deep Residual Learning for Image Recognition") as torchvision builds it (ResNet50 v1.5:
/// the stride-2 sits on the bottleneck's 3×3 convolution, which changes no shapes).
///
/// Rules: a 7×7/2 stem `conv1` (3→64) + `bn1`; four stages `layer1…layer4` with 64, 128, 256, 512 planes
/// and [2,2,2,2] (resnet18) or [3,4,6,3] (resnet34, resnet50) blocks; BasicBlock (two 3×3 convs, expansion 1)
/// or Bottleneck (1×1, 3×3, 1×1 convs, expansion 4); the first block of a stage gets a `downsample`
/// (1×1 conv + BN) when its stride is 2 or its input width differs from `planes × expansion`; then `fc`.
/// Every BN has `weight`, `bias`, `running_mean`, `running_var` (float, [C]) and `num_batches_tracked`
/// (int64, []). timm's `resnet18/34/50` (e.g. `resnet50.a1_in1k`) use exactly the same names.
///
/// ```swift
/// let spec = ResNetSpec(.resnet50)
/// spec.parameter(named: "layer1.0.downsample.0.weight")?.shape   // [256, 64, 1, 1]
/// ```
public struct ResNetSpec: Sendable {
    /// The residual block type.
    public enum Block: Sendable, Equatable {
        /// Two 3×3 convolutions, expansion 1 (resnet18, resnet34).
        case basic
        /// 1×1 → 3×3 → 1×1 convolutions, expansion 4 (resnet50).
        case bottleneck

        /// Output channels = planes × expansion.
        public var expansion: Int { self == .basic ? 1 : 4 }
    }

    /// One state-dict entry.
    public struct Parameter: Sendable, Equatable {
        /// torchvision's key, e.g. `layer3.2.conv2.weight`.
        public let name: String
        /// Shape: convolutions `[out, in, kH, kW]`, BN vectors `[C]`, `num_batches_tracked` `[]`, fc `[classes, in]`.
        public let shape: [Int]
        /// True for `num_batches_tracked` (int64); every other entry is float32.
        public let isInteger: Bool
    }

    /// The depth.
    public let arch: ResNetDepth
    /// The block type.
    public let block: Block
    /// Blocks per stage.
    public let layers: [Int]
    /// Classifier outputs (1000 for ImageNet).
    public let numClasses: Int
    /// All entries in torchvision's `state_dict()` order.
    public let parameters: [Parameter]

    /// Width of the pooled feature vector (512 or 2048).
    public var featureWidth: Int { 512 * block.expansion }

    /// Builds the spec for `arch` with an `fc` of `numClasses` outputs.
    public init(_ arch: ResNetDepth, numClasses: Int = 1000) {
        self.arch = arch
        self.numClasses = numClasses
        block = arch.usesBottleneck ? .bottleneck : .basic
        layers = arch.stageBlocks
        var builder = Builder()
        builder.conv("conv1", out: 64, in: 3, kernel: 7)
        builder.batchNorm("bn1", 64)
        var inputWidth = 64
        for (stage, (planes, blockCount)) in zip([64, 128, 256, 512], layers).enumerated() {
            let outputWidth = planes * block.expansion
            for index in 0..<blockCount {
                let prefix = "layer\(stage + 1).\(index)"
                switch block {
                case .basic:
                    builder.conv("\(prefix).conv1", out: planes, in: inputWidth, kernel: 3)
                    builder.batchNorm("\(prefix).bn1", planes)
                    builder.conv("\(prefix).conv2", out: planes, in: planes, kernel: 3)
                    builder.batchNorm("\(prefix).bn2", planes)
                case .bottleneck:
                    builder.conv("\(prefix).conv1", out: planes, in: inputWidth, kernel: 1)
                    builder.batchNorm("\(prefix).bn1", planes)
                    builder.conv("\(prefix).conv2", out: planes, in: planes, kernel: 3)  // stride here (v1.5)
                    builder.batchNorm("\(prefix).bn2", planes)
                    builder.conv("\(prefix).conv3", out: outputWidth, in: planes, kernel: 1)
                    builder.batchNorm("\(prefix).bn3", outputWidth)
                }
                let stride = (index == 0 && stage > 0) ? 2 : 1
                if index == 0 && (stride != 1 || inputWidth != outputWidth) {
                    builder.conv("\(prefix).downsample.0", out: outputWidth, in: inputWidth, kernel: 1)
                    builder.batchNorm("\(prefix).downsample.1", outputWidth)
                }
                inputWidth = outputWidth
            }
        }
        builder.add("fc.weight", [numClasses, inputWidth])
        builder.add("fc.bias", [numClasses])
        self.parameters = builder.parameters
    }

    /// The entry named `name`, or nil.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// Number of float values (weights and BN statistics), excluding `num_batches_tracked`.
    public var floatValueCount: Int {
        parameters.filter { !$0.isInteger }.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    private struct Builder {
        var parameters: [Parameter] = []

        mutating func add(_ name: String, _ shape: [Int], integer: Bool = false) {
            parameters.append(Parameter(name: name, shape: shape, isInteger: integer))
        }

        mutating func conv(_ name: String, out: Int, in input: Int, kernel: Int) {
            add("\(name).weight", [out, input, kernel, kernel])  // torchvision convs have bias=False
        }

        mutating func batchNorm(_ name: String, _ channels: Int) {
            for field in ["weight", "bias", "running_mean", "running_var"] { add("\(name).\(field)", [channels]) }
            add("\(name).num_batches_tracked", [], integer: true)
        }
    }
}
