import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// What an XML parse of a chart or report found: element and class counts, ids, and text content.
struct ParsedXML {
    var elements: [String: Int] = [:]
    var classes: [String: Int] = [:]
    var ids: [String] = []
    /// Text of every `<title>` element, in document order.
    var titles: [String] = []
    /// Text of every `<text>` element, in document order.
    var texts: [String] = []
    /// Attributes of every element, in document order.
    var attributes: [(name: String, attributes: [String: String])] = []

    func count(_ element: String) -> Int { elements[element, default: 0] }
    func count(class name: String) -> Int { classes[name, default: 0] }
}

struct XMLParseFailure: Error, CustomStringConvertible {
    var description: String
}

/// Parses `markup` with Foundation's XMLParser; throws if it is not well-formed XML.
func parseXML(_ markup: String) throws -> ParsedXML {
    let collector = XMLCollector()
    let parser = XMLParser(data: Data(markup.utf8))
    parser.delegate = collector
    guard parser.parse() else {
        let line = parser.lineNumber
        let column = parser.columnNumber
        throw XMLParseFailure(
            description: "not well-formed XML at \(line):\(column): "
                + (parser.parserError.map { "\($0)" } ?? "unknown error"))
    }
    return collector.result
}

private final class XMLCollector: NSObject, XMLParserDelegate {
    var result = ParsedXML()
    private var textStack: [String] = []
    private var nameStack: [String] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        result.elements[elementName, default: 0] += 1
        if let classes = attributeDict["class"] {
            for name in classes.split(separator: " ") { result.classes[String(name), default: 0] += 1 }
        }
        if let id = attributeDict["id"] { result.ids.append(id) }
        result.attributes.append((elementName, attributeDict))
        nameStack.append(elementName)
        textStack.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !textStack.isEmpty else { return }
        textStack[textStack.count - 1] += string
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?
    ) {
        let text = textStack.popLast() ?? ""
        nameStack.removeLast()
        if elementName == "title" { result.titles.append(text) }
        if elementName == "text" { result.texts.append(text) }
    }
}
