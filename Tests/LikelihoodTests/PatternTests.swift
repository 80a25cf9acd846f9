import Foundation
import Testing
import TestSupport

@testable import Datacard
@testable import Likelihood

/// Combine's `rgx{…}`/`var{…}` parameter patterns: anchored regular expressions on parameter names
/// in --freezeParameters, --setParameters and --setParameterRanges.
@Suite struct ParameterPatternTests {
  static let card = """
    imax 2 jmax 1 kmax *
    bin a b
    observation 10 20
    bin a a b b
    process s bkg s bkg
    process 0 1 0 1
    rate 2 8 3 15
    lumi_2016 lnN 1.02 1.02 1.02 1.02
    lumi_2017 lnN 1.03 1.03 1.03 1.03
    CMS_eff_e lnN - 1.05 - 1.05
    xlumi_2018 lnN - 1.01 - -
    """

  @Test func patternsAreAnchoredRegularExpressions() throws {
    let model = try CompiledModel.compile(try Datacard.parse(text: Self.card))
    var setup = FitSetup(model: model)
    let names = model.parameters.map(\.name)
    #expect(try setup.resolve("rgx{lumi_.*}").map { names[$0] } == ["lumi_2016", "lumi_2017"])  // not xlumi_2018
    #expect(try setup.resolve("var{.*_201[67]}").map { names[$0] } == ["lumi_2016", "lumi_2017"])
    #expect(try setup.resolve("CMS_eff_e").map { names[$0] } == ["CMS_eff_e"])
    #expect(throws: LikelihoodError.self) { try setup.resolve("rgx{nothing.*}") }
    #expect(throws: LikelihoodError.self) { try setup.resolve("rgx{(}") }
    try setup.freeze("rgx{lumi_.*},CMS_eff_e")
    let fixed = names.indices.filter { setup.fixed[$0] }.map { names[$0] }
    #expect(fixed == ["lumi_2016", "lumi_2017", "CMS_eff_e"])
    try setup.setValues("rgx{.*lumi_201[78]}=0.5")
    #expect(setup.values[model.index(of: "lumi_2017")!] == 0.5 && setup.values[model.index(of: "xlumi_2018")!] == 0.5)
    #expect(setup.values[model.index(of: "lumi_2016")!] == 0)
    try setup.setRanges("rgx{lumi_.*}=-2,2")
    #expect(setup.lower[model.index(of: "lumi_2016")!] == -2 && setup.upper[model.index(of: "lumi_2017")!] == 2)
  }
}

/// Held Barlow–Beeston-lite parameters (autoMCStats frozen): the NLL uses the given x_j, and its
/// analytic gradient matches finite differences.
@Suite struct FrozenBarlowBeestonTests {
  @Test(.needsReference) func gradientWithHeldParameters() throws {
    let path = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt").path
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: path), mass: 200)
    let nll = try NLL(model: model)
    var x = model.parameters.map(\.initial)
    for k in x.indices where model.parameters[k].role == .nuisance { x[k] = 0.3 * sin(Double(k)) }
    x[model.index(of: "r")!] = 0.7
    let profiled = nll.value(at: x)
    let xhat = nll.barlowBeestonValues
    #expect(xhat.contains { $0 != 0 })
    // Held at the profiled values: the same NLL at this point (the envelope), a larger one elsewhere.
    nll.freezeBarlowBeeston(xhat)
    #expect(abs(nll.value(at: x) - profiled) < 1e-9 * max(1, abs(profiled)))
    var y = x
    y[model.index(of: "r")!] = 1.2
    let heldElsewhere = nll.value(at: y)
    nll.freezeBarlowBeeston(nil)
    #expect(heldElsewhere > nll.value(at: y))
    nll.freezeBarlowBeeston(xhat)
    let (_, g) = nll.valueAndGradient(at: y)
    let fd = finiteDifferenceGradient({ nll.value(at: $0) }, at: y)
    for k in g.indices { #expect(abs(g[k] - fd[k]) < 1e-5 * max(1, abs(fd[k])), "\(model.parameters[k].name): \(g[k]) vs \(fd[k])") }
  }
}
