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
    .target(name: "ROOTIO", dependencies: ["CCompression"]),
    .target(name: "Datacard", dependencies: ["ROOTIO", "CCompression"]),
    .target(name: "Likelihood", dependencies: ["Datacard", "ROOTIO", "CGSL"]),
    .target(name: "Fit", dependencies: ["Likelihood", "CGSL"]),
    .executableTarget(
      name: "recombine",
      dependencies: [
        "ROOTIO", "Datacard", "Likelihood", "Fit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "RecombineBench", dependencies: ["ROOTIO", "Datacard", "Likelihood", "Fit"],
      path: "Benchmarks/RecombineBench"),
    .testTarget(name: "ROOTIOTests", dependencies: ["ROOTIO"]),
    .testTarget(name: "DatacardTests", dependencies: ["Datacard", "ROOTIO"]),
    .testTarget(name: "LikelihoodTests", dependencies: ["Likelihood", "Datacard", "Fit"]),
    .testTarget(name: "FitTests", dependencies: ["Fit"]),
  ]
)
