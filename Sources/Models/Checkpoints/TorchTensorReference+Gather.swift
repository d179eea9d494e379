extension TorchTensorReference {
    /// Number of elements, or nil on overflow.
    var elementCount: Int? {
        var product = 1
        for size in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// Why this view does not fit a storage of `storageCount` elements, or nil when it fits.
    /// A view may not hold more elements than its storage (which also bounds memory use).
    func misfit(storageCount: Int) -> String? {
        guard let count = elementCount, count <= storageCount else {
            return "shape \(shape) holds more elements than its storage '\(storage.key)' (\(storageCount))"
        }
        guard count > 0 else { return nil }
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (span, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (next, overflow2) = last.addingReportingOverflow(span)
            guard !overflow1, !overflow2 else { return "strides \(strides) overflow" }
            last = next
        }
        guard last < storageCount else {
            return "view (offset \(offset), shape \(shape), strides \(strides)) reaches element \(last) of storage '\(storage.key)', which has \(storageCount)"
        }
        return nil
    }

    /// The view's elements in row-major order, gathered from `storage` (which `misfit` has accepted).
    func gather<Element>(from storage: [Element]) -> [Element] {
        guard let count = elementCount, count > 0 else { return [] }
        if isContiguous { return Array(storage[offset..<(offset + count)]) }
        var out: [Element] = []
        out.reserveCapacity(count)
        var index = [Int](repeating: 0, count: shape.count)
        var position = offset
        for _ in 0..<count {
            out.append(storage[position])
            // Advance the multi-index like an odometer, innermost dimension first.
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                position += strides[d]
                if index[d] < shape[d] { break }
                position -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Row-major contiguous (dimensions of size 1 may have any stride).
    var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            guard stride == expected else { return false }
            expected *= size
        }
        return true
    }
}
