import Foundation
@_exported import TestSupport

