import Datacard
import EFT
import Fit
import Foundation
import Inference
import Likelihood
import Testing
import TestSupport

/// An EFT model inside the likelihood: a two-category H→4ℓ-like counting card whose signals are
/// STXS processes, parametrised by the real CMS STXStoSMEFT files.
@Suite struct EFTLikelihoodTests {
  static let stxs = TestPaths.shared.appendingPathComponent("spec/eft-data/stxs-to-smeft/CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01")
  static let card = """
    imax 2
    jmax 2
    kmax *
    bin untagged vbf
    observation 120 25
    bin untagged untagged untagged vbf vbf
    process ggH_0J_PTH_0_10_hzz qqH_GE2J_MJJ_60_120_hzz ZZ qqH_GE2J_MJJ_60_120_hzz ZZ
    process 0 -1 1 -1 1
    rate 60 5 55 12 13
    lumi lnN 1.016 1.016 1.016 1.016 1.016
    zz_norm lnN - - 1.05 - 1.05
    """

  /// μ by hand from the JSON numbers: (1 + Σ A c + Σ B c c) per form (only the A terms with
  /// `linear`), prod × decay / tot.
  static func handForm(_ entries: [String: Any], _ c: [String: Double], linear: Bool = false) -> Double {
    var v = 1.0
    for (k, any) in entries where !k.hasPrefix("u_") && !(linear && k.hasPrefix("B_")) {
      let x = (any as! NSNumber).doubleValue
      let parts = k.split(separator: "_").map(String.init)
      if parts[0] == "A" {
        v += x * (c[parts[1]] ?? 0)
      } else if parts.count == 3 && parts[2] == "2" {
        v += x * pow(c[parts[1]] ?? 0, 2)
      } else {
        v += x * (c[parts[1]] ?? 0) * (c[parts[2]] ?? 0)
      }
    }
    return v
  }

  func compile(truncation: String = "quadratic") throws -> (CompiledModel, EFTModel) {
    let card = try Datacard.parse(text: Self.card)
    var mapping: [String: STXStoSMEFT.ProcessMapping] = [:]
    for p in card.processes { if let m = STXStoSMEFT.defaultMapping(process: p) { mapping[p] = m } }
    let p = try EFTParametrisation.read(path: Self.stxs.path, stxsProcesses: mapping)
    let eft = try p.compile(options: EFTOptions(truncation: truncation))
    return (try CompiledModel.compile(card, physics: EFTPhysicsModel(model: eft)), eft)
  }

  @Test(.needsReference, arguments: ["quadratic", "linear"])
  func yieldsEqualHandPolynomials(_ truncation: String) throws {
    let (model, eft) = try compile(truncation: truncation)
    let lin = truncation == "linear"
    let prod = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.stxs.appendingPathComponent("prod.json"))) as! [String: [String: Any]]
    let decay = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.stxs.appendingPathComponent("decay.json"))) as! [String: [String: Any]]
    #expect(model.pois.count == eft.parameters.count)
    for point in [["chgXE3": 0.3, "chwXE2": -0.4], ["chbox": 1.1, "chdd": -0.7, "chwXE2": 0.5], ["chgXE3": -1.2]] {
      var x = model.initialValues
      var c: [String: Double] = [:]
      for (name, v) in point {
        x[model.index(of: name)!] = v
        // POI θ = c·10^exponent (chg: exponent 3, chw: 2).
        let base = name.components(separatedBy: "XE").first!
        let exp = name.contains("XE") ? Double(name.components(separatedBy: "XE")[1])! : 0
        c[base] = v * pow(10, -exp)
      }
      let zz = Self.handForm(decay["ZZ"]!, c, linear: lin) / Self.handForm(decay["tot"]!, c, linear: lin)
      let gg = Self.handForm(prod["GG2H_0J_PTH_0_10"]!, c, linear: lin) * zz
      let vbf = Self.handForm(prod["QQ2HQQ_GE2J_MJJ_60_120"]!, c, linear: lin) * zz
      let nu = model.expectedYields(at: x)
      #expect(abs(nu[0] - (60 * gg + 5 * vbf + 55)) < 1e-9 * nu[0], "\(point)")
      #expect(abs(nu[1] - (12 * vbf + 13)) < 1e-9 * nu[1], "\(point)")
    }
  }

  @Test(.needsReference, arguments: ["quadratic", "linear", "expanded"])
  func gradientMatchesFiniteDifferences(_ truncation: String) throws {
    let (model, _) = try compile(truncation: truncation)
    let nll = try NLL(model: model)
    var x = model.initialValues
    var rng = SplitMix64(seed: 7)
    for i in x.indices { x[i] += 0.3 * (rng.uniform() - 0.5) }
    let (_, g) = nll.valueAndGradient(at: x)
    let fd = finiteDifferenceGradient({ nll.value(at: $0) }, at: x)
    for i in x.indices { #expect(abs(fd[i] - g[i]) < 1e-5 * max(1, abs(fd[i])), "\(model.parameters[i].name)") }
  }

  /// On the Asimov dataset at the SM the best fit of c_HG (other WCs fixed at 0) is 0, and the
  /// profiled scan has its minimum there.
  @Test(.needsReference) func asimovFitReturnsTheSM() throws {
    let (model, _) = try compile()
    var setup = FitSetup(model: model)
    let k = model.index(of: "chgXE3")!
    setup.fixPOIs(except: [k])
    let data = setup.makeAsimov(model: model, expectSignal: 1)
    let nll = try NLL(model: model, data: data)
    let specs = setup.parameterSpecs(model: model)
    let best = Minimizer().minimize(nll, parameters: specs)
    #expect(best.status.isConverged)
    #expect(abs(best.x[k]) < 1e-3)
    var o = GridScanOptions()
    o.points = 21
    let scan = try GridScan.run(model: model, data: data, specs: specs, best: best, axes: [k], options: o)
    let minimum = scan.min { $0.deltaNLL < $1.deltaNLL }!
    #expect(abs(minimum.values[0]) < 0.3)
    #expect(scan.allSatisfy { $0.deltaNLL > -1e-6 })
  }
}

/// A profiled EFT scan whose profiled coefficient has two minima: the grid (warm starts from the
/// best fit and from the neighbour, plus random restarts) equals a brute-force profile over a fine
/// grid of the other coefficient, refined by a 1D minimisation.
@Suite struct TwoMinimaProfileTests {
  static let eft = """
    {"format": "recombine-eft", "version": 1,
     "coefficients": [{"name": "a", "min": -3, "max": 3}, {"name": "b", "min": -4, "max": 2}],
     "forms": {"f1": {"constant": 1, "linear": {"a": 0.3, "b": 2}, "quadratic": {"b*b": 1.2}},
               "f2": {"constant": 1, "linear": {"a": -0.2, "b": 0.4}}},
     "targets": [{"channel": "c1", "process": "S", "numerators": ["f1"]},
                 {"channel": "c2", "process": "S", "numerators": ["f2"]}]}
    """
  static let card = """
    imax 2
    jmax 1
    kmax 0
    bin c1 c2
    observation 95 60
    bin c1 c1 c2 c2
    process S B S B
    process 0 1 0 1
    rate 50 60 30 25
    """

  @Test func profileMatchesBruteForce() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-eft2min-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("eft.json")
    try Self.eft.write(to: file, atomically: true, encoding: .utf8)
    let physics = EFTPhysicsModel(model: try EFTParametrisation.read(path: file.path).compile())
    let model = try CompiledModel.compile(try Datacard.parse(text: Self.card), physics: physics)
    let nll = try NLL(model: model)
    let setup = FitSetup(model: model)
    let specs = setup.parameterSpecs(model: model).map { s -> ParameterSpec in
      var s = s
      s.step = 0.5
      return s
    }
    let best = Minimizer().minimize(nll, parameters: specs)
    let a = model.index(of: "a")!, b = model.index(of: "b")!
    var o = GridScanOptions()
    o.points = 30
    o.randomStarts = 3
    o.randomizedParameters = [b]
    let scan = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [a], options: o)
    #expect(scan.count == 30)
    var twoMinimaSeen = false
    for p in scan {
      // Brute force over b, then refine the best grid point by a 1D fit.
      var x = best.x
      x[a] = p.values[0]
      var values: [(Double, Double)] = []
      for i in 0...600 {
        x[b] = -4 + 6 * Double(i) / 600
        values.append((x[b], nll.value(at: x)))
      }
      let localMinima = values.indices.dropFirst().dropLast().filter { values[$0].1 < values[$0 - 1].1 && values[$0].1 < values[$0 + 1].1 }
      if localMinima.count >= 2 { twoMinimaSeen = true }
      let start = values.min { $0.1 < $1.1 }!.0
      var s = specs
      s[a].value = p.values[0]
      s[a].fixed = true
      s[b].value = start
      let refined = Minimizer().minimize(nll, parameters: s).fval
      #expect(abs((refined - best.fval) - p.deltaNLL) < 1e-6, "a = \(p.values[0])")
    }
    #expect(twoMinimaSeen)
  }
}
