// swift-tools-version: 6.1
import PackageDescription

// Recombine: a native statistical-fit engine for CMS Combine datacards.
// Modules are layered; each depends only on the ones listed before it, and declares exactly the
// modules it imports (README, "Layout").
let package = Package(
  name: "Recombine",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "recombine", targets: ["recombine"]),
    .library(name: "Support", targets: ["Support"]),
    .library(name: "Maths", targets: ["Maths"]),
    .library(name: "ROOTIO", targets: ["ROOTIO"]),
    .library(name: "Datacard", targets: ["Datacard"]),
    .library(name: "Likelihood", targets: ["Likelihood"]),
    .library(name: "Fit", targets: ["Fit"]),
    .library(name: "EFT", targets: ["EFT"]),
    .library(name: "Inference", targets: ["Inference"]),
    .library(name: "HistFactory", targets: ["HistFactory"]),
    .library(name: "Batch", targets: ["Batch"]),
    .library(name: "InformationTrees", targets: ["InformationTrees"]),
    .library(name: "Plots", targets: ["Plots"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // GSL (distributions, quantiles, random numbers, linear algebra, root finding).
    .systemLibrary(name: "CGSL", pkgConfig: "gsl", providers: [.apt(["libgsl-dev"])]),
    // The decompressors ROOT files use: zlib (ZL), liblzma (XZ), liblz4 + xxhash (L4), libzstd (ZS).
    .systemLibrary(
      name: "CCompression",
      providers: [.apt(["zlib1g-dev", "liblzma-dev", "liblz4-dev", "libzstd-dev", "libxxhash-dev"])]),
    // cairo with FreeType, for PNG, PDF and SVG figures whose fonts are loaded from files.
    .systemLibrary(name: "CCairo", pkgConfig: "cairo-ft", providers: [.apt(["libcairo2-dev", "libfreetype-dev"])]),
    // The ground floor: atomic writes, gzip, JSON/YAML reading, the limit-tree table, the error protocol.
    .target(name: "Support", dependencies: ["CCompression"]),
    // GSL in one place: distributions, Garwood intervals, linear algebra, random numbers.
    .target(name: "Maths", dependencies: ["CGSL"]),
    .target(name: "ROOTIO", dependencies: ["Support", "CCompression"]),
    .target(name: "Datacard", dependencies: ["Support", "ROOTIO"]),
    .target(name: "HistFactory", dependencies: ["Support"]),
    .target(name: "Likelihood", dependencies: ["Support", "Maths", "Datacard", "ROOTIO", "HistFactory"]),
    .target(name: "EFT", dependencies: ["Support", "Maths", "Datacard", "Likelihood", "ROOTIO"], exclude: ["FORMAT.md"]),
    .target(name: "Fit", dependencies: ["Maths", "Likelihood"]),
    .target(name: "Inference", dependencies: ["Support", "Maths", "ROOTIO", "Datacard", "HistFactory", "Likelihood", "EFT", "Fit"]),
    // Batch scale-out: job arrays for Slurm, HTCondor and plain scripts, manifests, merging.
    .target(name: "Batch", dependencies: ["Support"]),
    .target(name: "InformationTrees", dependencies: ["Support", "Datacard", "Likelihood", "EFT", "CCompression"]),
    .target(name: "Plots", dependencies: ["Support", "CCairo"]),
    .executableTarget(
      name: "recombine",
      dependencies: [
        "Support", "Maths", "ROOTIO", "Datacard", "HistFactory", "Likelihood", "EFT", "Inference", "Batch", "InformationTrees", "Plots",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "make-datacards", dependencies: ["ROOTIO", "Datacard", "EFT", "InformationTrees"], path: "Examples/MakeDatacards"),
    .executableTarget(
      name: "RecombineBench", dependencies: ["ROOTIO", "Datacard", "Likelihood", "EFT", "Fit", "Inference", "InformationTrees"],
      path: "Benchmarks/RecombineBench"),
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "ROOTIOTests", dependencies: ["ROOTIO", "Support", "CCompression", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "DatacardTests", dependencies: ["Datacard", "ROOTIO", "TestSupport"]),
    .testTarget(name: "LikelihoodTests", dependencies: ["Likelihood", "Datacard", "Fit", "Support", "TestSupport"]),
    .testTarget(name: "HistFactoryTests", dependencies: ["HistFactory", "Likelihood", "Fit", "Inference", "EFT", "Maths", "ROOTIO", "Support", "TestSupport"],
                exclude: ["Fixtures"]),
    .testTarget(name: "FitTests", dependencies: ["Fit", "Maths", "TestSupport"]),
    .testTarget(name: "InferenceTests", dependencies: ["Inference", "Maths", "Fit", "Likelihood", "Datacard", "EFT", "ROOTIO", "TestSupport"]),
    .testTarget(name: "BatchTests", dependencies: ["Batch", "Inference", "Support", "TestSupport"]),
    // The command line: argument parsing, exit statuses, output files, the Examples/ workflows.
    .testTarget(name: "CommandLineTests", dependencies: ["Batch", "Datacard", "EFT", "Inference", "ROOTIO", "Support", "TestSupport"]),
    .testTarget(name: "EFTTests", dependencies: ["EFT", "Likelihood", "Datacard", "Fit", "Inference", "ROOTIO", "Support", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "InformationTreesTests", dependencies: ["InformationTrees", "EFT", "Datacard", "Likelihood", "Support", "TestSupport"]),
    .testTarget(name: "PlotsTests", dependencies: ["Plots", "Support", "TestSupport"]),
  ]
)
