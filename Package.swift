// swift-tools-version:6.0
import PackageDescription

/// dnalc: a compiler and CPU runtime for DNAL (Differentiable Neural Architecture Learning).
///
/// Dependencies point one way: DNALCore and CDNALKernels are leaves (standard library and C
/// library only); DNALSyntax reads YAML into Core; DNALPasses analyses and rewrites Core graphs;
/// DNALKernels wraps the C kernels; DNALRuntime runs graphs on them; DNALSearch trains (the DNAL
/// schedule and plain training); DNALExport writes ONNX from Core graphs; the `dnalc` executable
/// sits on top. libyaml is reached only through CYAML (used by DNALSyntax), zlib through CZlib
/// (used by DNALData), libjpeg(-turbo) and libpng through CJPEG and CPNG, wrapped by the C target
/// CImageCodecs (used by DNALData). README.md's stage map lists each target's place.
let package = Package(
    name: "dnalc",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dnalc", targets: ["dnalc"]),
        .library(name: "DNALCore", targets: ["DNALCore"]),
        .library(name: "DNALSyntax", targets: ["DNALSyntax"]),
        .library(name: "DNALPasses", targets: ["DNALPasses"]),
        .library(name: "DNALKernels", targets: ["DNALKernels"]),
        .library(name: "DNALRuntime", targets: ["DNALRuntime"]),
        .library(name: "DNALData", targets: ["DNALData"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]
        ),
        // JPEG and PNG decoding in C: libjpeg's errors longjmp, which must not cross Swift frames
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"], cSettings: [.unsafeFlags(["-O2"])]),
        // the git commit of the build, for --version and config.json
        .plugin(name: "CommitStamp", capability: .buildTool(), path: "Plugins/CommitStamp"),
        .target(name: "DNALCore", plugins: ["CommitStamp"]),
        .target(
            name: "DNALData",
            dependencies: ["DNALCore", "CZlib", "CImageCodecs"],
            resources: [.copy("Resources/fashion-mnist-subset")]
        ),
        // Hot kernels are optimised in every configuration, debug included: a debug build of
        // SIMD code is ~100x slower (docs/performance.md). ISA-specific code is confined to functions
        // with target attributes and chosen at run time, so the binary runs on any x86-64 CPU.
        .target(
            name: "CDNALKernels",
            exclude: ["conv.inc", "conv_weight.inc", "dwconv.inc", "dwconv3.inc", "peak.inc"],
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        .target(name: "DNALKernels", dependencies: ["CDNALKernels"]),
        .target(name: "DNALRuntime", dependencies: ["DNALCore", "DNALKernels"]),
        .target(name: "DNALSyntax", dependencies: ["DNALCore", "CYAML"]),
        .target(name: "DNALSearch", dependencies: ["DNALCore", "DNALSyntax", "DNALPasses", "DNALKernels", "DNALRuntime", "DNALData", "DNALExport"]),
        .target(name: "DNALPasses", dependencies: ["DNALCore"]),
        .target(name: "DNALExport", dependencies: ["DNALCore"]),
        .executableTarget(
            name: "dnalc",
            dependencies: [
                "DNALCore", "DNALSyntax", "DNALPasses", "DNALRuntime", "DNALKernels", "DNALData", "DNALSearch", "DNALExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer targets for the readers of user files (scripts/fuzz.sh); a replay tool otherwise
        .executableTarget(name: "dnalc-fuzz", dependencies: ["DNALSyntax", "DNALPasses", "DNALRuntime", "DNALData"], path: "Fuzz",
                          exclude: ["Regressions", "Seeds"]),
        .target(name: "DNALTestSupport", dependencies: ["DNALCore"], path: "Tests/DNALTestSupport"),
        .testTarget(name: "DNALCoreTests", dependencies: ["DNALCore", "DNALTestSupport"]),
        .testTarget(name: "DNALSyntaxTests", dependencies: ["DNALSyntax", "DNALTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "DNALPassesTests", dependencies: ["DNALPasses", "DNALSyntax", "DNALTestSupport"]),
        .testTarget(name: "DNALKernelsTests", dependencies: ["DNALKernels", "DNALCore", "DNALTestSupport"]),
        .testTarget(name: "DNALRuntimeTests", dependencies: ["DNALRuntime", "DNALSyntax", "DNALTestSupport"]),
        .testTarget(name: "DNALDataTests", dependencies: ["DNALData", "DNALTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DNALSearchTests", dependencies: ["DNALSearch", "DNALSyntax", "DNALTestSupport"]),
        .testTarget(name: "DNALExportTests", dependencies: ["DNALExport", "DNALRuntime", "DNALSyntax", "DNALTestSupport"]),
        .testTarget(name: "TorchBackendTests", dependencies: ["DNALExport", "DNALRuntime", "DNALSyntax", "DNALTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["dnalc", "DNALCore", "DNALData", "DNALRuntime", "DNALTestSupport"]),
    ]
)
