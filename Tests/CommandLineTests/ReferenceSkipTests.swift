import Foundation
import Testing
import TestSupport

/// Without ../shared beside the checkout the tests that compare with Combine's reference numbers
/// are reported as skipped, by name and with the reason; in CI (`CI=true`) the same tests fail.
/// Proven by running this test bundle again on one such suite with the reference hidden.
@Suite struct ReferenceSkipTests {
  func runBundle(ci: Bool) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    p.arguments = ["--testing-library", "swift-testing", "--filter", "CorpusTests"]
    var env = ProcessInfo.processInfo.environment
    env["RECOMBINE_SHARED"] = FileManager.default.temporaryDirectory.appendingPathComponent("no-shared-\(getpid())").path
    env["CI"] = ci ? "true" : nil
    env["NO_COLOR"] = "1"
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  @Test func referenceTestsAreSkippedWithoutTheReferenceAndFailInCI() throws {
    // Only where this bundle is the test runner (not under another harness).
    try #require(CommandLine.arguments[0].hasSuffix(".xctest"), "not running from the test bundle")
    let local = try runBundle(ci: false)
    #expect(local.status == 0, Comment(rawValue: local.output))
    #expect(local.output.contains("Test wholeCorpusMatchesCombine() skipped: \"../shared/reference (Combine's reference numbers) is not beside this checkout\""))
    let ci = try runBundle(ci: true)
    #expect(ci.status != 0, Comment(rawValue: ci.output))
    #expect(!ci.output.contains("skipped"))
  }
}
