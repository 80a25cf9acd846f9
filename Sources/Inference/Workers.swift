//===--- Workers.swift ----------------------------------------------------===//
// Parallel work over one model: one NLL per thread.
//===----------------------------------------------------------------------===//

import Dispatch
import Foundation
import Likelihood

/// Runs `body(worker, nll)` on `threads` threads at once, each with its own `NLL` of `model` and
/// `data` (NLL evaluations use per-instance scratch buffers, so instances cannot be shared), its
/// global observables and held Barlow–Beeston-lite values set as given.
/// Rethrows the error of an NLL that could not be built.
func forEachWorker(threads: Int, model: CompiledModel, data: [Double], globalObservables: [Double]?,
                   frozenBarlowBeeston: [Double]? = nil,
                   _ body: @Sendable (_ worker: Int, _ nll: NLL) -> Void) throws {
  let failure = FirstError()
  DispatchQueue.concurrentPerform(iterations: max(1, threads)) { worker in
    let nll: NLL
    do {
      nll = try NLL(model: model, data: data)
      if let g = globalObservables { nll.setGlobalObservables(g) }
      if let f = frozenBarlowBeeston { nll.freezeBarlowBeeston(f) }
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

/// Tasks 0..<count handed to worker threads one at a time, and their results, under a lock.
final class WorkQueue<Result>: @unchecked Sendable {
  private let lock = NSLock()
  private var cursor = 0
  private var done = 0
  private var slots: [Result?]

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  /// The next task, or nil when all are taken.
  func next() -> Int? {
    lock.withLock {
      guard cursor < slots.count else { return nil }
      cursor += 1
      return cursor - 1
    }
  }

  func set(_ task: Int, _ result: Result) { lock.withLock { slots[task] = result; done += 1 } }

  /// The number of results set so far.
  var finished: Int { lock.withLock { done } }

  /// Results by task (nil for a task that produced none).
  var results: [Result?] { lock.withLock { slots } }
}
