//===--- DatacardsTests.swift ---------------------------------------------===//
// The example datacards of Datacards/ (H→4ℓ, ttH multilepton, ZH with BIT categories, their
// combinations): they validate, `make-datacards` regenerates them byte for byte, the Asimov EFT fit of
// the combination returns the truth, and the single-μ precisions are of the published size (issue 6).
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Fit
import Foundation
import Likelihood
import Testing

@Suite(.serialized) struct DatacardsTests {
  static let dir = TestPaths.packageRoot.appendingPathComponent("Datacards")
  static let hzz = dir.appendingPathComponent("hzz4l/hzz4l.txt").path
  static let tth = dir.appendingPathComponent("tth-multilepton/tth.txt").path
  static let combination = dir.appendingPathComponent("combination.txt").path
  static let zhbit = dir.appendingPathComponent("zh-bit/zhbit.txt").path
  static let combinationZH = dir.appendingPathComponent("combination_zh.txt").path
  static let cards = [
    "hzz4l/hzz4l.txt", "hzz4l/hzz4l_eftdata.txt", "tth-multilepton/tth.txt", "tth-multilepton/tth_eftdata.txt",
    "combination.txt", "combination_eftdata.txt", "zh-bit/zhbit.txt", "combination_zh.txt",
  ]
  /// The files of the ZH BIT channel (written only when the ZH toy's PDF tables are available).
  static let zhFiles = [
    "combination_zh.txt", "combination_zh_eft.json", "zh-bit/zhbit.txt", "zh-bit/zhbit_categories.md",
    "zh-bit/zhbit_eft.json",
  ]
  /// The EFT file of each card (combination_eft.json has the bins renamed by combine-cards).
  static let eftFiles = [
    hzz: dir.appendingPathComponent("hzz4l/hzz4l_eft.json").path,
    tth: dir.appendingPathComponent("tth-multilepton/tth_eft.json").path,
    combination: dir.appendingPathComponent("combination_eft.json").path,
    zhbit: dir.appendingPathComponent("zh-bit/zhbit_eft.json").path,
    combinationZH: dir.appendingPathComponent("combination_zh_eft.json").path,
  ]

  // MARK: - Validation

  @Test(arguments: cards) func cardValidates(_ name: String) throws {
    let card = try Datacard.parse(contentsOf: Self.dir.appendingPathComponent(name).path)
    let report = Validator.validate(card)
    #expect(report.errors.isEmpty, "\(name): \(report.errors)")
    #expect(report.shapesRead || card.shapes.isEmpty)  // zhbit.txt is a counting card
    #expect(card.bins.allSatisfy { !($0.first?.isNumber ?? true) })
    // The pseudo-data are integers and agree with the observation line.
    #expect(card.observations?.allSatisfy { $0 == $0.rounded() } == true)
  }

  @Test func eftFilesScaleEverySignal() throws {
    for (cardPath, eftPath) in Self.eftFiles {
      let card = try Datacard.parse(contentsOf: cardPath)
      let p = try NativeFormat.read(path: eftPath)
      let physics = EFTPhysicsModel(model: try p.compile())
      #expect(physics.unscaledSignals(in: card).isEmpty, "\(eftPath)")
      // Every signal column has its own (channel-specific) target; backgrounds have none.
      for c in card.columns {
        let t = p.targets.first { $0.channel == c.bin && $0.process == c.process }
        #expect((t != nil) == c.isSignal, "\(c.bin)/\(c.process)")
      }
    }
  }

  // MARK: - Regeneration

  /// The `make-datacards` executable, built beside the test bundle by `swift build --build-tests`.
  static func generator() -> URL? {
    var candidates: [URL] = []
    if let exe = Bundle.main.executableURL?.deletingLastPathComponent() {
      candidates.append(exe.appendingPathComponent("make-datacards"))
      candidates.append(exe.deletingLastPathComponent().appendingPathComponent("make-datacards"))
    }
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("make-datacards"))
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("make-datacards"))
    candidates.append(TestPaths.packageRoot.appendingPathComponent(".build/debug/make-datacards"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  static func files(under root: URL) -> [String] {
    let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
    var out: [String] = []
    for case let u as URL in e where (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
      out.append(String(u.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)))
    }
    return out.sorted()
  }

  /// Runs the generator into a temporary directory and compares every file it writes with the
  /// committed one: once from the committed SMEFT subset alone (as from a fresh clone), and once from
  /// the full STXStoSMEFT directory when it is available. The ZH BIT channel is written (and compared)
  /// when the ZH toy's PDF tables are available; a third run without them checks that it is skipped
  /// with a message and nothing else changes.
  @Test func regenerationReproducesCommittedFiles() throws {
    let exe = try #require(Self.generator(), "make-datacards not built (run swift build --build-tests)")
    let stxs = TestPaths.shared.appendingPathComponent(
      "spec/eft-data/stxs-to-smeft/CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01").path
    let pdf = TestPaths.reference.appendingPathComponent("bit/zh-pdf-tables").path
    let havePDF = FileManager.default.fileExists(atPath: pdf + "/pdf_u.txt")
    let subset = ["--stxs", "/nonexistent", "--stxs-subset", Self.dir.appendingPathComponent("cms-stxs-to-smeft-subset.json").path]
    var runs: [(args: [String], zh: Bool)] = [(subset + ["--pdf-dir", pdf], havePDF)]
    if FileManager.default.fileExists(atPath: stxs + "/prod.json") { runs.append((["--stxs", stxs, "--pdf-dir", pdf], havePDF)) }
    runs.append((subset + ["--pdf-dir", "/nonexistent"], false))
    for (extra, zh) in runs {
      let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("datacards-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: tmp) }
      let p = Process()
      p.executableURL = exe
      p.arguments = [tmp.path] + extra
      let out = Pipe()
      p.standardOutput = out
      try p.run()
      let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationStatus == 0)
      let generated = Self.files(under: tmp)
      #expect(generated.count == (zh ? 13 + Self.zhFiles.count : 13), "\(generated)")
      #expect(Set(Self.zhFiles).isSubset(of: generated) == zh, "\(extra)")
      if !zh { #expect(stdout.contains("skipping zh-bit"), "\(stdout)") }
      for f in generated {
        let a = try Data(contentsOf: tmp.appendingPathComponent(f))
        let b = try Data(contentsOf: Self.dir.appendingPathComponent(f))
        #expect(a == b, "\(f) differs from the committed file (\(extra))")
      }
    }
  }

  /// An option that needs a value given as the last argument is a usage error (exit status 2, a
  /// message naming the option), not a crash, and nothing is written.
  @Test(arguments: ["--stxs-subset", "--pdf-dir"]) func generatorOptionWithoutValue(_ option: String) throws {
    let exe = try #require(Self.generator(), "make-datacards not built (run swift build --build-tests)")
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("datacards-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: tmp) }
    let p = Process()
    p.executableURL = exe
    p.arguments = [tmp.path, option]
    let err = Pipe()
    p.standardError = err
    p.standardOutput = Pipe()
    try p.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationReason == .exit && p.terminationStatus == 2)
    #expect(stderr.hasPrefix("make-datacards: \(option) needs a value"), "\(stderr)")
    #expect(!FileManager.default.fileExists(atPath: tmp.path))
  }

  // MARK: - Fits

  struct Prepared {
    var model: CompiledModel
    var nll: NLL
    var specs: [ParameterSpec]
    var targets: [Int]
  }

  /// As `recombine fit CARD -P … [-t -1]`: the POIs in `pois` float, other POIs are fixed at their
  /// initial values; `asimov` fits the expected yields at the initial values (`expectSignal`, default
  /// 1: the signal+background model generates, with r = 1 where there is an r).
  static func prepare(
    _ cardPath: String, physics: PhysicsModel, pois: [String], asimov: Bool, expectSignal: Double? = 1
  ) throws -> Prepared {
    let card = try Datacard.parse(contentsOf: cardPath)
    let model = try CompiledModel.compile(card, physics: physics)
    var setup = FitSetup(model: model)
    let targets = try pois.map { try #require(setup.index(of: $0), "no parameter \($0)") }
    setup.fixPOIs(except: targets)
    let data = asimov ? setup.makeAsimov(model: model, expectSignal: expectSignal) : nil
    let nll = try NLL(model: model, data: data)
    let specs = setup.parameterSpecs(model: model)
    return Prepared(model: model, nll: nll, specs: specs, targets: targets)
  }

  static func eftPhysics(_ card: String) throws -> PhysicsModel {
    EFTPhysicsModel(model: try NativeFormat.read(path: eftFiles[card]!).compile())
  }

  /// Best fit and 68% interval of `poi`.
  static func interval(_ p: Prepared, _ k: Int) throws -> (best: Double, lower: Double, upper: Double) {
    let best = Minimizer().minimize(p.nll, parameters: p.specs)
    #expect(best.status.isConverged)
    let iv = profileInterval(p.nll, parameters: p.specs, best: best, index: k, delta: 0.5, minimizer: Minimizer())
    return (best.x[k], iv.lower, iv.upper)
  }

  /// WCs the two channels constrain (POI names: c·10^exponent, CMS exponents).
  static let wcs = ["chgXE3", "ctgreXE1", "chbox", "cthre"]

  /// The Asimov fit of the combination with c_HG, c_tG and c_H□ floating together, started away from
  /// the SM, returns the SM (all WCs 0) to 1e-3; with the default model, μ = 1.
  @Test func asimovCombinedFitReturnsTruth() throws {
    let pois = ["chgXE3", "ctgreXE1", "chbox"]
    var p = try Self.prepare(Self.combination, physics: try Self.eftPhysics(Self.combination), pois: pois, asimov: true)
    for (k, start) in zip(p.targets, [1.5, -0.8, 0.6]) { p.specs[k].value = start }
    let best = Minimizer().minimize(p.nll, parameters: p.specs)
    #expect(best.status.isConverged)
    for (name, k) in zip(pois, p.targets) { #expect(abs(best.x[k]) < 1e-3, "\(name) = \(best.x[k])") }

    var q = try Self.prepare(Self.combination, physics: DefaultPhysicsModel(), pois: ["r"], asimov: true, expectSignal: 1)
    q.specs[q.targets[0]].value = 0.7
    let r = Minimizer().minimize(q.nll, parameters: q.specs)
    #expect(abs(r.x[q.targets[0]] - 1) < 1e-3, "r = \(r.x[q.targets[0]])")
  }

  /// One WC at a time (the others at 0), Asimov: every WC's 68% interval from the combination is
  /// no wider than the narrowest single channel's, and each is finite inside its range.
  @Test(arguments: wcs) func combinedIntervalIsNarrowest(_ wc: String) throws {
    var widths: [String: Double] = [:]
    for card in [Self.hzz, Self.tth, Self.combination] {
      let p = try Self.prepare(card, physics: try Self.eftPhysics(card), pois: [wc], asimov: true)
      let iv = try Self.interval(p, p.targets[0])
      #expect(abs(iv.best) < 1e-3, "\(wc) in \(card): best fit \(iv.best)")
      widths[card] = iv.upper - iv.lower
      print("DatacardsTests: \(wc) \((card as NSString).lastPathComponent): [\(iv.lower), \(iv.upper)]")
    }
    let combined = widths[Self.combination]!
    let narrowest = min(widths[Self.hzz]!, widths[Self.tth]!)
    #expect(combined <= narrowest * (1 + 1e-6), "\(wc): combination \(combined) vs narrowest channel \(narrowest)")
    #expect(combined < narrowest, "\(wc): the combination should add information")
  }

  // MARK: - ZH with BIT categories

  /// The ZH BIT card alone, Asimov at the SM, one WC at a time: the best fit is 0 to 1e-3 and the 68%
  /// interval is finite inside the POI range. For c_HW (chwXE2) the three-channel combination's interval
  /// is narrower than H→4ℓ's alone and no wider than ZH's.
  @Test(arguments: ["chwXE2", "chj3XE1", "chwtil"]) func zhbitAsimovFit(_ wc: String) throws {
    var widths: [String: Double] = [:]
    for card in [Self.zhbit, Self.combinationZH, Self.hzz] where card != Self.hzz || wc != "chwtil" {
      let p = try Self.prepare(card, physics: try Self.eftPhysics(card), pois: [wc], asimov: true)
      let k = p.targets[0]
      let iv = try Self.interval(p, k)
      print("DatacardsTests: \(wc) \((card as NSString).lastPathComponent): [\(iv.lower), \(iv.upper)]")
      #expect(abs(iv.best) < 1e-3, "\(wc) in \(card): best fit \(iv.best)")
      #expect(iv.lower.isFinite && iv.upper.isFinite && iv.lower < 0 && iv.upper > 0, "\(wc) in \(card): \(iv)")
      #expect(iv.lower > p.specs[k].lower && iv.upper < p.specs[k].upper, "\(wc) in \(card): \(iv) hits the range")
      widths[card] = iv.upper - iv.lower
    }
    #expect(widths[Self.combinationZH]! <= widths[Self.zhbit]! * (1 + 1e-6), "\(wc): \(widths)")
    if let h = widths[Self.hzz] { #expect(widths[Self.combinationZH]! < h, "\(wc): \(widths)") }
  }

  /// The ZH BIT channel's EFT file declares the three toy coefficients by their STXStoSMEFT names with
  /// pois.yaml's exponents (chw 2, chj3 1, chwtil 0), like the other channels' files, and its signal
  /// scales as production × Γ_bb/Γ_tot.
  @Test func zhbitEFTNames() throws {
    let p = try NativeFormat.read(path: Self.eftFiles[Self.zhbit]!)
    let hzz = try NativeFormat.read(path: Self.eftFiles[Self.hzz]!)
    for c in hzz.coefficients { #expect(p.coefficients.contains(c), "\(c.name)") }
    let byName = Dictionary(uniqueKeysWithValues: p.coefficients.map { ($0.name, $0) })
    #expect(byName["chw"]?.poiName == "chwXE2")
    #expect(byName["chj3"]?.poiName == "chj3XE1")
    #expect(byName["chwtil"]?.poiName == "chwtil")
    for t in p.targets {
      guard case .process(let f) = t.scaling else { Issue.record("\(t.channel): not a process scaling"); continue }
      #expect(f.numerators.count == 2 && f.numerators[1] == "decay:bb" && f.denominators == ["decay:tot"])
      // The production forms depend on c_HW, c_HQ3 and c_HW̃ only.
      let prod = try #require(p.forms[f.numerators[0]])
      let names = Set(prod.indices.map { p.coefficients[$0].name })
      #expect(names.isSubset(of: ["chw", "chj3", "chwtil"]), "\(names)")
    }
  }

  /// H→4ℓ alone with one μ (default model) on the SM pseudo-data: an interval of the published size
  /// (CMS HIG-19-001: μ = 0.94 ± 0.07 (stat) +0.09 −0.08 (syst), i.e. about ±0.11).
  @Test func hzz4lSignalStrengthPrecision() throws {
    let p = try Self.prepare(Self.hzz, physics: DefaultPhysicsModel(), pois: ["r"], asimov: false)
    let iv = try Self.interval(p, p.targets[0])
    let half = (iv.upper - iv.lower) / 2
    print("DatacardsTests: H->4l mu = \(iv.best) [\(iv.lower), \(iv.upper)]")
    #expect(half >= 0.10 && half <= 0.13, "half-width \(half)")
    #expect(abs(iv.best - 1) < 3 * half)
    // The Asimov (expected) interval: each side within ±0.10–0.13.
    let a = try Self.prepare(Self.hzz, physics: DefaultPhysicsModel(), pois: ["r"], asimov: true, expectSignal: 1)
    let ia = try Self.interval(a, a.targets[0])
    #expect(ia.best - ia.lower >= 0.10 && ia.best - ia.lower <= 0.13, "\(ia)")
    #expect(ia.upper - ia.best >= 0.10 && ia.upper - ia.best <= 0.13, "\(ia)")
  }

  /// ttH multilepton alone with μ_ttH on ttH (tH at the SM): ± 0.2–0.3 (CMS HIG-19-008:
  /// μ_ttH = 0.92 ± 0.19 (stat) +0.17 −0.13 (syst)), on the SM pseudo-data and on the Asimov data.
  @Test func tthSignalStrengthPrecision() throws {
    let physics = try MultiSignalModel(options: ["map=.*/ttH_.*:r_ttH[1,-5,10]"])
    for asimov in [false, true] {
      let p = try Self.prepare(Self.tth, physics: physics, pois: ["r_ttH"], asimov: asimov)
      let iv = try Self.interval(p, p.targets[0])
      print("DatacardsTests: ttH multilepton mu_ttH (asimov: \(asimov)) = \(iv.best) [\(iv.lower), \(iv.upper)]")
      for side in [iv.best - iv.lower, iv.upper - iv.best] {
        #expect(side >= 0.2 && side <= 0.3, "asimov \(asimov): \(iv)")
      }
    }
  }
}
