import Compute
import Foundation

/// Imports pretrained ResNet weights (torchvision or timm; `.pth` or `.safetensors`) into torchvision's
/// state-dict names, checking every tensor's presence, dtype and shape against `ResNetSpec`.
///
/// ```swift
/// let report = try WeightImport.importResNet(from: URL(fileURLWithPath: "resnet50-0676ba61.pth"), arch: .resnet50)
/// try report.save(to: URL(fileURLWithPath: "resnet50.safetensors"))
/// ```
public enum WeightImport {
    /// Key prefixes removed before matching: DataParallel (`module.`) and `torch.compile` (`_orig_mod.`).
    public static let strippedPrefixes = ["module.", "_orig_mod."]

    /// Reads `url` (format sniffed), maps names and checks them against `arch`.
    /// - Parameter partial: accept missing, unexpected and mis-shaped tensors (they are reported and left out).
    /// - Throws: `WeightImportError` on a mismatch when `partial` is false, or always for an integer tensor
    ///   where a float weight belongs; `CheckpointError` / `SafeTensorsError` for unreadable files.
    public static func importResNet(from url: URL, arch: ResNetDepth, partial: Bool = false) throws -> ImportReport {
        try importResNet(contents: try CheckpointContents(contentsOf: url), source: url.path, arch: arch, partial: partial)
    }

    /// Maps and checks already-read contents; `source` labels messages.
    public static func importResNet(
        contents: CheckpointContents, source: String, arch: ResNetDepth,
        partial: Bool = false
    ) throws -> ImportReport {
        let spec = ResNetSpec(arch)
        var floats: [String: HostTensor] = [:]
        var integers: [String: HostIntegerTensor] = [:]
        var renamed = 0
        var unexpected: [String] = []
        func canonical(_ name: String) -> String {
            var name = Substring(name)
            var changed = true
            while changed {
                changed = false
                for prefix in strippedPrefixes where name.hasPrefix(prefix) {
                    name = name.dropFirst(prefix.count)
                    changed = true
                }
            }
            return String(name)
        }
        for named in contents.floatTensors {
            let name = canonical(named.name)
            if name != named.name { renamed += 1 }
            if floats[name] != nil { unexpected.append(named.name) } else { floats[name] = named.tensor }
        }
        for named in contents.integerTensors {
            let name = canonical(named.name)
            if name != named.name { renamed += 1 }
            if integers[name] != nil { unexpected.append(named.name) } else { integers[name] = named.tensor }
        }
        let dtypes = Dictionary(contents.descriptions.map { (canonical($0.name), $0.dtype) }, uniquingKeysWith: { a, _ in a })
        let shapes = floats.mapValues(\.shape)

        var report = ImportReport(arch: arch, source: source, format: contents.format)
        var wrongKind: [String] = []
        for parameter in spec.parameters {
            if parameter.isInteger {
                if let tensor = integers.removeValue(forKey: parameter.name) {
                    if tensor.shape == parameter.shape {
                        report.integerTensors.append(NamedIntegerTensor(name: parameter.name, tensor: tensor))
                    } else {
                        report.shapeMismatches.append(ShapeMismatch(name: parameter.name, expected: parameter.shape, found: tensor.shape))
                    }
                } else if floats[parameter.name] != nil {
                    wrongKind.append("\(parameter.name) (stored as \(dtypes[parameter.name]?.rawValue ?? "float"), expected an integer count)")
                } else {
                    // Some exports drop the BN step counter; it only matters for momentum=None. Default it to 0.
                    report.defaulted.append(parameter.name)
                    report.integerTensors.append(NamedIntegerTensor(name: parameter.name, tensor: try HostIntegerTensor(shape: [], values: [0])))
                }
                continue
            }
            guard let tensor = floats.removeValue(forKey: parameter.name) else {
                if integers[parameter.name] != nil {
                    wrongKind.append("\(parameter.name) (stored as \(dtypes[parameter.name]?.rawValue ?? "integer"), expected float)")
                    integers[parameter.name] = nil
                } else {
                    report.missing.append(parameter.name)
                }
                continue
            }
            if tensor.shape == parameter.shape {
                report.tensors.append(NamedTensor(name: parameter.name, tensor: tensor))
                if let dtype = dtypes[parameter.name], dtype != .F32 { report.convertedFrom[dtype.rawValue, default: 0] += 1 }
            } else {
                report.shapeMismatches.append(ShapeMismatch(name: parameter.name, expected: parameter.shape, found: tensor.shape))
            }
        }
        report.unexpected = (unexpected + floats.keys + integers.keys).sorted()
        report.renamedKeys = renamed
        // NaN or Inf in weights (a damaged file, or F64 values beyond float32's range) would only surface as a
        // NaN loss epochs later; refuse them here, naming the tensor.
        for named in report.tensors {
            if let index = named.tensor.values.firstIndex(where: { !$0.isFinite }) {
                let how = dtypes[named.name] == .F64 ? " (stored as F64: beyond float32's range, or not finite)" : ""
                throw WeightImportError(
                    source: source, arch: arch,
                    detail:
                        "tensor '\(named.name)' holds \(named.tensor.values[index]) at element \(index)\(how); the weights are damaged: re-export them")
            }
        }
        guard wrongKind.isEmpty else {
            throw WeightImportError(source: source, arch: arch, detail: "integer and float tensors are swapped: " + wrongKind.joined(separator: ", "))
        }
        if !partial && !report.isComplete {
            // A file made for another depth is a likelier mistake than a damaged one: say which depth it is, if
            // its float tensors are exactly that depth's, names and shapes (ResNet-18's are a subset of 34's).
            let fitting = ResNetDepth.allCases.first { other in
                let floats = ResNetSpec(other).parameters.filter { !$0.isInteger }
                return other != arch && floats.count == shapes.count && floats.allSatisfy { shapes[$0.name] == $0.shape }
            }
            var error = WeightImportError(source: source, arch: arch, detail: report.problemSummary)
            error.fittingArch = fitting
            error.partialWouldImport = fitting == nil && !report.tensors.isEmpty
            throw error
        }
        guard !report.tensors.isEmpty else {
            throw WeightImportError(source: source, arch: arch, detail: "no tensor matches \(arch.rawValue); is this a \(arch.rawValue) checkpoint?")
        }
        return report
    }
}

/// A tensor whose shape differs from the architecture's.
public struct ShapeMismatch: Sendable, Equatable {
    /// torchvision name.
    public var name: String
    /// Shape `ResNetSpec` requires.
    public var expected: [Int]
    /// Shape found in the file.
    public var found: [Int]
}

/// The result of `WeightImport.importResNet`: float32 tensors in torchvision names and order, plus findings.
public struct ImportReport: Sendable {
    /// The target architecture.
    public var arch: ResNetDepth
    /// The file read.
    public var source: String
    /// Its detected format.
    public var format: CheckpointFormat
    /// Float tensors in torchvision names, `ResNetSpec` order (only matching ones when partial).
    public var tensors: [NamedTensor] = []
    /// `num_batches_tracked` counters in `ResNetSpec` order.
    public var integerTensors: [NamedIntegerTensor] = []
    /// Spec entries absent from the file.
    public var missing: [String] = []
    /// File entries the spec does not know (after prefix stripping), sorted.
    public var unexpected: [String] = []
    /// Entries present with a different shape.
    public var shapeMismatches: [ShapeMismatch] = []
    /// `num_batches_tracked` entries absent from the file and set to 0.
    public var defaulted: [String] = []
    /// Keys renamed by prefix stripping (`module.`, `_orig_mod.`).
    public var renamedKeys = 0
    /// Counts of tensors converted to float32, by stored dtype (e.g. `["F16": 161]`).
    public var convertedFrom: [String: Int] = [:]

    init(arch: ResNetDepth, source: String, format: CheckpointFormat) {
        self.arch = arch
        self.source = source
        self.format = format
    }

    /// No missing, unexpected or mis-shaped tensors.
    public var isComplete: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }

    /// Missing / unexpected / mismatched names, abbreviated, for messages.
    public var problemSummary: String {
        func list(_ names: [String]) -> String {
            names.count <= 6 ? names.joined(separator: ", ") : names.prefix(6).joined(separator: ", ") + ", … (\(names.count) in all)"
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("\(missing.count) missing: \(list(missing))") }
        if !unexpected.isEmpty { parts.append("\(unexpected.count) unexpected: \(list(unexpected))") }
        if !shapeMismatches.isEmpty {
            parts.append("\(shapeMismatches.count) with a different shape: " + list(shapeMismatches.map { "\($0.name) \($0.found) (expected \($0.expected))" }))
        }
        return parts.isEmpty ? "all \(tensors.count + integerTensors.count) tensors match" : parts.joined(separator: "; ")
    }

    /// Writes the imported tensors as safetensors (atomically), with `arch`, `source` and `format` metadata.
    public func save(to url: URL) throws {
        let floats = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        let integers = Dictionary(uniqueKeysWithValues: integerTensors.map { ($0.name, $0.tensor) })
        let metadata = [
            "format": "pt", "arch": arch.rawValue, "source": URL(fileURLWithPath: source).lastPathComponent,
            "names": "torchvision", "complete": isComplete ? "true" : "false",
        ]
        try SafeTensorsWriter.write(floats: floats, integers: integers, metadata: metadata, to: url)
    }
}

/// An import refused because the file does not fit the architecture.
public struct WeightImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file read.
    public var source: String
    /// The requested architecture.
    public var arch: ResNetDepth
    /// What does not fit.
    public var detail: String
    /// The depth the file's float tensors match exactly (names and shapes), when it is not `arch`.
    public var fittingArch: ResNetDepth?
    /// Whether a partial import would take some of the tensors.
    public var partialWouldImport = false

    public init(source: String, arch: ResNetDepth, detail: String) {
        self.source = source
        self.arch = arch
        self.detail = detail
    }

    /// The message, with the advice worded for the caller's flags (nil: that advice is left out).
    public func message(archFlag: String?, partialFlag: String?) -> String {
        var text = "\(source): cannot import as \(arch.rawValue): \(detail)"
        if let fittingArch {
            text += "; it is a \(fittingArch.rawValue) checkpoint (all of \(fittingArch.rawValue)'s tensors and nothing else)"
            if let archFlag { text += ": pass \(archFlag) \(fittingArch.rawValue)" }
        } else if partialWouldImport, let partialFlag {
            text += "; pass \(partialFlag) to import what matches"
        }
        return text
    }

    /// Worded for the library (front ends word the advice with their own flags through `message`).
    public var description: String { message(archFlag: "arch:", partialFlag: "partial: true") }
}
