import Testing
@testable import Clustering
