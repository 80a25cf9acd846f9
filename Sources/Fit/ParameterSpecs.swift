//===--- ParameterSpecs.swift ---------------------------------------------===//
// The minimiser's view of a fit setup: one `ParameterSpec` per model parameter.
//===----------------------------------------------------------------------===//

import Likelihood

extension FitSetup {
  /// The minimiser's view of the setup: every parameter's value, fit range (lnN-type nuisances
  /// unbounded), frozen flag and initial step.
  public func parameterSpecs(model: CompiledModel) -> [ParameterSpec] {
    model.parameters.indices.map { i in
      ParameterSpec(
        name: names[i], value: values[i], lower: lower[i], upper: upper[i], fixed: fixed[i], step: model.parameters[i].step)
    }
  }

  /// Parameter specs with every parameter at its **declared** range (as `--rMin/--rMax` and
  /// `--setParameterRanges` left it): lnN-type nuisances bounded at [−7, 7], `shape` at [−4, 4],
  /// as Combine has them in AsymptoticLimits, Significance and GoodnessOfFit (no OPTIMIZE_BOUNDS).
  public func boundedParameterSpecs(model: CompiledModel) -> [ParameterSpec] {
    model.parameters.indices.map { i in
      ParameterSpec(
        name: names[i], value: min(max(values[i], declaredLower[i]), declaredUpper[i]), lower: declaredLower[i],
        upper: declaredUpper[i], fixed: fixed[i], step: model.parameters[i].step)
    }
  }
}
