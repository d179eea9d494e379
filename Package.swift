// swift-tools-version:6.0
import PackageDescription

// MARK: - System libraries (C shims: a module map and one header each)

let systemLibraries: [Target] = [
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
    .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
]

// MARK: - Library modules, lowest layer first

let libraries: [Target] = [
    .target(name: "Determinism"),
    // The CPU's fp32 FMA peak, for `wbc bench --mode peak` (C: vector intrinsics chosen at run time).
    .target(name: "CPeak", path: "Sources/CPeak"),
    // The one thread pool (oneDNN's OpenMP threads), for everything that runs on several cores.
    .target(name: "Parallelism", dependencies: ["CDNNL"]),
    .target(name: "Compute", dependencies: ["CDNNL", "Parallelism", "Determinism"]),
    .target(name: "Imaging", dependencies: ["CTurboJPEG", "CPNG", "Determinism"]),
    .target(
        name: "Models",
        dependencies: [
            "Compute", "Determinism",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
    .target(name: "Clustering", dependencies: ["Parallelism", "Determinism"]),
    .target(name: "Report", dependencies: []),
    .target(
        name: "Workflows",
        dependencies: [
            "Compute", "CPeak", "Imaging", "Models", "Clustering", "Report", "Determinism",
        ]),
    // `wbc serve`: the HTTP server (Hummingbird), the case history (GRDB), the inference queue.
    .target(
        name: "Serving",
        dependencies: [
            "Workflows", "Imaging", "Models",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
    // Every reader of outside files, fed arbitrary bytes (Scripts/fuzz.sh, and the regression tests).
    .target(name: "FuzzTargets", dependencies: ["Compute", "Imaging", "Models"]),
]

// MARK: - The command-line tool

let executables: [Target] = [
    .executableTarget(
        name: "wbc",
        dependencies: [
            "Workflows", "Imaging", "Models", "Serving",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    // libFuzzer's entry points when built by Scripts/fuzz.sh; otherwise replays files through a reader.
    .executableTarget(name: "wbc-fuzz", dependencies: ["FuzzTargets"]),
]

// MARK: - Tests (mirror Sources/)

let tests: [Target] = [
    .testTarget(name: "ParallelismTests", dependencies: ["Parallelism"]),
    .testTarget(name: "ComputeTests", dependencies: ["Compute", "Parallelism", "Determinism"], resources: [.copy("Fixtures")]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Compute", "Determinism"], resources: [.copy("Fixtures")]),
    .testTarget(name: "ClusteringTests", dependencies: ["Clustering", "Determinism"], resources: [.copy("Fixtures")]),
    .testTarget(name: "ReportTests", dependencies: ["Report"]),
    .testTarget(name: "wbcTests", dependencies: ["wbc", "Workflows", "Models", "Compute"]),
    .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "Imaging", "Compute", "Models"]),
    .testTarget(
        name: "ServingTests",
        dependencies: [
            "Serving", "Workflows", "Imaging", "Models", "Determinism", .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
    .testTarget(name: "WorkflowsTests", dependencies: ["Workflows", "Imaging", "Compute", "Models", "Clustering", "Determinism"]),
]

let package = Package(
    name: "wbc-cluster",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wbc", targets: ["wbc"]),
        .library(name: "WBCCluster", targets: ["Determinism", "Parallelism", "Compute", "Imaging", "Models", "Clustering", "Report", "Workflows"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // For the tests that talk to a live `wbc serve` and to chromedriver (already a dependency of HummingbirdTesting).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.30.0"),
    ],
    targets: systemLibraries + libraries + executables + tests,
    swiftLanguageModes: [.v6]
)
