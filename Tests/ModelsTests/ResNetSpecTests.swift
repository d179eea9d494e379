import Testing

@testable import Models

@Suite("ResNet state-dict spec")
struct ResNetSpecTests {
    // Parameter counts torchvision reports (sum of p.numel() over model.parameters()).
    @Test(arguments: [(ResNetDepth.resnet18, 11_689_512, 122), (.resnet34, 21_797_672, 218), (.resnet50, 25_557_032, 320)])
    func countsMatchTorchvision(_ arch: ResNetDepth, _ parameterCount: Int, _ keyCount: Int) {
        let spec = ResNetSpec(arch)
        #expect(spec.parameters.count == keyCount)
        let learnable = spec.parameters.filter { !$0.isInteger && !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
        #expect(learnable.reduce(0) { $0 + $1.shape.reduce(1, *) } == parameterCount)
        #expect(Set(spec.parameters.map(\.name)).count == keyCount)
    }

    @Test func resnet50ShapesFollowTheBottleneckRules() throws {
        let spec = ResNetSpec(.resnet50)
        #expect(spec.parameters.first?.name == "conv1.weight")
        #expect(spec.parameter(named: "conv1.weight")?.shape == [64, 3, 7, 7])
        #expect(spec.parameter(named: "layer1.0.downsample.0.weight")?.shape == [256, 64, 1, 1])  // width change, stride 1
        #expect(spec.parameter(named: "layer1.1.downsample.0.weight") == nil)
        #expect(spec.parameter(named: "layer3.2.conv2.weight")?.shape == [256, 256, 3, 3])
        #expect(spec.parameter(named: "layer4.0.conv1.weight")?.shape == [512, 1024, 1, 1])
        #expect(spec.parameter(named: "layer4.2.bn3.running_var")?.shape == [2048])
        #expect(
            spec.parameter(named: "layer2.0.downsample.1.num_batches_tracked")
                == ResNetSpec.Parameter(
                    name: "layer2.0.downsample.1.num_batches_tracked", shape: [], isInteger: true))
        #expect(spec.parameter(named: "fc.weight")?.shape == [1000, 2048])
        #expect(spec.parameters.last?.name == "fc.bias")
        #expect(spec.featureWidth == 2048)
    }

    @Test func resnet18HasNoDownsampleInLayer1() {
        let spec = ResNetSpec(.resnet18, numClasses: 10)
        #expect(spec.parameter(named: "layer1.0.downsample.0.weight") == nil)
        #expect(spec.parameter(named: "layer2.0.downsample.0.weight")?.shape == [128, 64, 1, 1])
        #expect(spec.parameter(named: "layer2.0.conv1.weight")?.shape == [128, 64, 3, 3])
        #expect(spec.parameter(named: "fc.weight")?.shape == [10, 512])
        // torchvision order inside a BN: parameters, then buffers.
        let bn = spec.parameters.filter { $0.name.hasPrefix("bn1.") }.map(\.name)
        #expect(bn == ["bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"])
    }
}
