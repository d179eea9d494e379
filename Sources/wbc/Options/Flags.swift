import ArgumentParser
import Foundation
import Workflows

/// How each command words the settings a message names: the flag that sets it there. Workflows name
/// settings (`Setting`), never flags; this is the one place that turns them into flags.
struct Flags: Sendable {
    /// This command's own flags where they differ from the common ones (`--epochs` on `pretrain`).
    var overrides: [Setting: String] = [:]

    func name(_ s: Setting) -> String { overrides[s] ?? Self.common[s] ?? "--" + Self.kebab(s.rawValue) }

    /// Flags that are spelled the same on every command that has them.
    static let common: [Setting: String] = [
        .normalization: "--normalize", .pretrainEpochs: "--pretrain-epochs", .clusterEpochs: "--cluster-epochs",
        .pretrainLearningRate: "--lr (pretrain)", .clusterLearningRate: "--lr (cluster)", .pretrainedLearningRateScale: "--pretrained-lr-scale",
        .pretrainBatch: "--batch (pretrain)", .clusterBatch: "--batch (cluster)",
        .pretrainSamples: "--samples (pretrain)", .clusterSamples: "--samples (cluster)",
        .noiseSigma: "the noise σ (config.json: noiseSigma)", .repeats: "--repeat", .benchMode: "--mode", .benchModel: "--model",
    ]

    /// `pretrain`'s flags: its epochs, batch, learning rate and samples are the pretraining ones.
    static let pretrain = Flags(overrides: [
        .pretrainEpochs: "--epochs", .pretrainBatch: "--batch", .pretrainLearningRate: "--lr",
        .pretrainSamples: "--samples",
    ])
    /// `cluster`'s flags: its epochs, batch, learning rate and samples are the clustering ones.
    static let cluster = Flags(overrides: [
        .clusterEpochs: "--epochs", .clusterBatch: "--batch", .clusterLearningRate: "--lr",
        .clusterSamples: "--samples",
    ])
    /// `run`'s flags: the clustering batch has its own (`--batch` would be ambiguous there).
    static let run = Flags(overrides: [.clusterBatch: "--cluster-batch"])
    static let standard = Flags()

    static func kebab(_ camel: String) -> String {
        camel.reduce(into: "") { out, c in
            if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) }
        }
    }

    /// A library error in this command's words.
    func message(_ error: any Error) -> String {
        if let e = error as? WorkflowError { return e.rendered(name) }
        return "\(error)"
    }
}

/// Runs a command's work; a library error is printed in the command's words (no stack trace) and exits 1.
func reportingErrors(_ flags: Flags = .standard, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch {
        FileHandle.standardError.write(Data("error: \(flags.message(error))\n".utf8))
        throw ExitCode.failure
    }
}
