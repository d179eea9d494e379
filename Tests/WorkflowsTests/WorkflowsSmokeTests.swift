import Testing
@testable import Workflows
