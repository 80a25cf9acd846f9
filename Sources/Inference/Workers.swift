//===--- Workers.swift ----------------------------------------------------===//
// Parallel work over one model: one NLL per thread.
//===----------------------------------------------------------------------===//

import Dispatch
import Foundation
import Likelihood

/// Runs `body(worker, nll)` on `threads` threads at once, each with its own `NLL` of `model` and
/// `data` (NLL evaluations use per-instance scratch buffers, so instances cannot be shared).
/// Rethrows the error of an NLL that could not be built.
func forEachWorker(threads: Int, model: CompiledModel, data: [Double], globalObservables: [Double]?,
                   _ body: @Sendable (_ worker: Int, _ nll: NLL) -> Void) throws {
  let failure = FirstError()
  DispatchQueue.concurrentPerform(iterations: max(1, threads)) { worker in
    let nll: NLL
    do {
      nll = try NLL(model: model, data: data)
      if let g = globalObservables { nll.setGlobalObservables(g) }
    } catch {
      failure.record(error)
      return
    }
    body(worker, nll)
  }
  if let e = failure.error { throw e }
}

/// The first error reported by any thread.
final class FirstError: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Error?
  var error: Error? { lock.withLock { stored } }
  func record(_ e: Error) { lock.withLock { if stored == nil { stored = e } } }
}
