// swift-tools-version: 6.1
import PackageDescription

// Recombine: a native statistical-fit engine for CMS Combine datacards.
// Modules are layered; each depends only on the ones listed before it.
let package = Package(
  name: "Recombine",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "recombine", targets: ["recombine"]),
    .library(name: "ROOTIO", targets: ["ROOTIO"]),
    .library(name: "Datacard", targets: ["Datacard"]),
    .library(name: "Likelihood", targets: ["Likelihood"]),
    .library(name: "Fit", targets: ["Fit"]),
    .library(name: "EFT", targets: ["EFT"]),
    .library(name: "Inference", targets: ["Inference"]),
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
    // cairo, for PNG and PDF figures.
    .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
    .target(name: "ROOTIO", dependencies: ["CCompression"]),
    .target(name: "Datacard", dependencies: ["ROOTIO", "CCompression"]),
    .target(name: "Likelihood", dependencies: ["Datacard", "ROOTIO", "CGSL"]),
    .target(name: "EFT", dependencies: ["Likelihood", "Datacard", "ROOTIO", "CGSL", "CCompression"], exclude: ["FORMAT.md"]),
    .target(name: "Fit", dependencies: ["Likelihood", "EFT", "CGSL"]),
    .target(name: "Inference", dependencies: ["Fit", "Likelihood", "Datacard", "ROOTIO", "CGSL"]),
    .target(name: "InformationTrees", dependencies: ["EFT", "Datacard", "ROOTIO", "CCompression"]),
    .target(name: "Plots", dependencies: ["ROOTIO", "CCairo"]),
    .executableTarget(
      name: "recombine",
      dependencies: [
        "ROOTIO", "Datacard", "Likelihood", "EFT", "Fit", "Inference", "InformationTrees", "Plots",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "make-datacards", dependencies: ["ROOTIO", "Datacard", "EFT", "InformationTrees"], path: "Examples/MakeDatacards"),
    .executableTarget(
      name: "RecombineBench", dependencies: ["ROOTIO", "Datacard", "Likelihood", "EFT", "Fit", "Inference", "InformationTrees"],
      path: "Benchmarks/RecombineBench"),
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "ROOTIOTests", dependencies: ["ROOTIO", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "DatacardTests", dependencies: ["Datacard", "ROOTIO", "TestSupport"]),
    .testTarget(name: "LikelihoodTests", dependencies: ["Likelihood", "Datacard", "Fit", "TestSupport"]),
    .testTarget(name: "FitTests", dependencies: ["Fit", "TestSupport"]),
    .testTarget(name: "InferenceTests", dependencies: ["Inference", "Fit", "Likelihood", "Datacard", "ROOTIO", "TestSupport"]),
    .testTarget(name: "EFTTests", dependencies: ["EFT", "Likelihood", "Datacard", "Fit", "Inference", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "InformationTreesTests", dependencies: ["InformationTrees", "EFT", "TestSupport"]),
    .testTarget(name: "PlotsTests", dependencies: ["Plots", "TestSupport"]),
  ]
)
