import Foundation
import Models

/// Loads published weights (torchvision/timm `.pth` or `.safetensors`) into a backbone, for `weights`.
enum PretrainedWeightsLoader {
    /// What was loaded, e.g. "122 tensors".
    static func load(_ path: String, into backbone: any Backbone) throws -> String {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw WorkflowError("\(setting: .weights) \(path): no such file. Download torchvision's file (weights download), or import one (weights import).")
        }
        do {
            return try backbone.architecture.loadWeights(from: url, into: backbone)
        } catch let error as WeightImportError {
            // The depth is chosen by `backbone`, and partial imports are not offered here.
            var parts: [WorkflowError.Part] = [.setting(.weights), .text(": " + error.message(archFlag: nil, partialFlag: nil))]
            if let fitting = error.fittingArch { parts += [.text(": pass "), .setting(.backbone), .text(" \(fitting.rawValue)")] }
            throw WorkflowError(parts: parts)
        } catch {
            throw WorkflowError(parts: [.setting(.weights), .text(" \(path): \(error)")])
        }
    }
}
