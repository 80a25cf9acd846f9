//===--- TestSupport.swift ------------------------------------------------===//
// Helpers shared by every test target.
//===----------------------------------------------------------------------===//

import Foundation
import Testing

/// Paths used by tests: the package root and the shared reference folder beside it
/// (`RECOMBINE_SHARED` overrides where that folder is looked for).
public enum TestPaths {
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  public static let shared: URL = ProcessInfo.processInfo.environment["RECOMBINE_SHARED"].map { URL(fileURLWithPath: $0) }
    ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
  public static let reference: URL = shared.appendingPathComponent("reference")

  /// Whether ../shared/reference (Combine's reference numbers and the corpus) is there.
  public static let hasReference = FileManager.default.fileExists(atPath: reference.path)

  /// CI (`CI=true`) always has ../shared: there a missing reference is a failure, not a skip.
  public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
}

extension Trait where Self == ConditionTrait {
  /// For tests that compare with Combine's reference numbers in ../shared/reference: skipped, by
  /// name and with this reason, on a clone without it; run (and so failing) in CI, where it must be.
  public static var needsReference: Self {
    .enabled(if: TestPaths.hasReference || TestPaths.isCI, "../shared/reference (Combine's reference numbers) is not beside this checkout")
  }
}

/// SplitMix64: a small deterministic generator for reproducible random tests.
public struct SplitMix64: RandomNumberGenerator {
  public var state: UInt64
  public init(state: UInt64) { self.state = state }
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1).
  public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }
  /// Standard normal (Box–Muller).
  public mutating func normal() -> Double {
    let u1 = uniform(), u2 = uniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

/// Central finite-difference gradient of f at x, with steps h·max(1, |x_i|).
public func finiteDifferenceGradient(_ f: ([Double]) -> Double, at x: [Double], step h: Double = 1e-6) -> [Double] {
  x.indices.map { i in
    let d = h * max(1, abs(x[i]))
    var a = x, b = x
    a[i] += d
    b[i] -= d
    return (f(a) - f(b)) / (2 * d)
  }
}

/// Small datacards several test targets use.
public enum TestCards {
  /// One bin, n = 15, s = 5 (r), b = 10 with one lnN κ = 1.2 on b.
  /// s = 5, b = 3, n = 5 and no systematics: the HybridNew closed forms (Poisson CLs, FC).
  public static let countingFiveOverThree = """
    imax 1 jmax 1 kmax 0
    bin b1
    observation 5
    bin b1 b1
    process sig bkg
    process 0 1
    rate 5 3
    """

  public static let countingOneBin = """
    imax 1 jmax 1 kmax 1
    ---
    bin b1
    observation 15
    ---
    bin b1 b1
    process sig bkg
    process 0 1
    rate 5 10
    ---
    bkgUnc lnN - 1.2
    """
}

/// Runs a program to completion: exit status, standard output and standard error (standard error
/// goes through a temporary file, so that the two streams cannot block each other).
public func runProgram(
  _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String?] = [:]
) throws -> (status: Int32, stdout: String, stderr: String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: executable)
  p.arguments = arguments
  if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
  if !environment.isEmpty {
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
  }
  let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("rc-stderr-\(UUID().uuidString)").path
  _ = FileManager.default.createFile(atPath: errPath, contents: nil)
  defer { try? FileManager.default.removeItem(atPath: errPath) }
  let out = Pipe()
  p.standardOutput = out
  p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
  try p.run()
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  let errData = FileManager.default.contents(atPath: errPath) ?? Data()
  return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
